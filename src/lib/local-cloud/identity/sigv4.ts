/**
 * SigV4 verification of header-signed requests. The signature is recomputed with the SDK's own signer
 * (@smithy/signature-v4), given exactly the headers the client listed in `SignedHeaders`, the client's
 * `X-Amz-Date` and the stored secret, so the canonical request is built by the same code that built the
 * client's; this module only parses the Authorization header and decides which refusal applies.
 *
 * What the SDK signs (checked in @smithy/signature-v4 5.7.5, `signRequest`): every header except a fixed
 * unsignable set (authorization, user-agent, x-amzn-trace-id, connection…), plus `x-amz-date`,
 * `x-amz-security-token` when the credentials carry a session token, and `x-amz-content-sha256` (the
 * payload hash) unless the client was built with `applyChecksum: false`. When that header is present the
 * signer trusts it as the payload hash without reading the body, so the verifier checks it against the
 * body itself: otherwise a body could be swapped under a valid signature.
 */
import { createHash, createHmac, type Hash, type Hmac, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** Why a request is refused before any policy is evaluated. */
export type SignatureRefusal =
  | 'MissingAuthentication'
  | 'IncompleteSignature'
  | 'UnknownAccessKey'
  | 'BadSignature'
  | 'SignatureExpired'
  | 'ExpiredToken';

/** A request as it arrived: the path and query exactly as sent (still percent-encoded). */
export interface SignedRequest {
  method: string;
  path: string;
  /** The raw query string, without the leading `?` (`''` when there is none). */
  query: string;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

/** What the credential store knows about an access key. */
export interface SigningSecret {
  secretAccessKey: string;
  /** Present for temporary (role session) credentials: the request must carry the same token. */
  sessionToken?: string;
  /** Epoch ms after which the session credentials are refused as expired. */
  expiresAt?: number;
}

export type SignatureVerification =
  | { ok: true; accessKeyId: string; region: string; service: string }
  | { ok: false; refusal: SignatureRefusal; message: string };

/** AWS refuses a request whose X-Amz-Date is more than 15 minutes from the server's clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;_.-]+), ?Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

const INVALID_TOKEN = 'The security token included in the request is invalid.';
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** node:crypto as the signer's hash constructor (HMAC when given a key), instead of a JS SHA-256. */
class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    const key =
      typeof this.secret === 'string'
        ? this.secret
        : ArrayBuffer.isView(this.secret)
          ? new Uint8Array(this.secret.buffer, this.secret.byteOffset, this.secret.byteLength)
          : new Uint8Array(this.secret);
    return createHmac('sha256', key);
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

function headerValue(headers: SignedRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** `20240101T000000Z` → epoch ms, or undefined when malformed. */
function parseAmzDate(value: string): number | undefined {
  const m = AMZ_DATE.exec(value);
  if (!m) return undefined;
  const time = Date.UTC(
    +(m[1] ?? 0),
    +(m[2] ?? 1) - 1,
    +(m[3] ?? 1),
    +(m[4] ?? 0),
    +(m[5] ?? 0),
    +(m[6] ?? 0),
  );
  return Number.isNaN(time) ? undefined : time;
}

function amzDate(time: number): string {
  return new Date(time)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** The raw query as the signer's input: decoded keys and values, repeated keys as lists. */
function parseQuery(raw: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const key = decodeURIComponent(at === -1 ? pair : pair.slice(0, at));
    const value = at === -1 ? '' : decodeURIComponent(pair.slice(at + 1));
    const existing = query[key];
    query[key] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

/** The message AWS gives for a stale or future request date (its exact wording, 15-minute window). */
function skewMessage(requestTime: number, now: number): string | undefined {
  if (requestTime < now - MAX_CLOCK_SKEW_MS) {
    return `Signature expired: ${amzDate(requestTime)} is now earlier than ${amzDate(now - MAX_CLOCK_SKEW_MS)} (${amzDate(now)} - 15 min.)`;
  }
  if (requestTime > now + MAX_CLOCK_SKEW_MS) {
    return `Signature not yet current: ${amzDate(requestTime)} is still later than ${amzDate(now + MAX_CLOCK_SKEW_MS)} (${amzDate(now)} + 15 min.)`;
  }
  return undefined;
}

const refuse = (refusal: SignatureRefusal, message: string): SignatureVerification => ({
  ok: false,
  refusal,
  message,
});

/**
 * Verifies a header-signed request against the secret `lookup` returns for its access key, at `now`
 * (epoch ms). The checks run in the order AWS reports them: a missing or malformed header, an unknown
 * key or wrong session token, expired session credentials, a stale date, then the signature itself.
 */
export async function verifySignature(
  request: SignedRequest,
  lookup: (accessKeyId: string) => SigningSecret | undefined,
  now: number,
): Promise<SignatureVerification> {
  const authorization = headerValue(request.headers, 'authorization');
  if (authorization === undefined || authorization === '') {
    return refuse('MissingAuthentication', 'Missing Authentication Token');
  }
  const parsed = AUTHORIZATION.exec(authorization);
  const dateHeader = headerValue(request.headers, 'x-amz-date');
  const requestTime = dateHeader === undefined ? undefined : parseAmzDate(dateHeader);
  if (!parsed || requestTime === undefined) {
    return refuse(
      'IncompleteSignature',
      'Authorization header requires AWS4-HMAC-SHA256 with Credential, SignedHeaders and Signature, and an X-Amz-Date header.',
    );
  }
  const [, accessKeyId = '', scopeDate = '', region = '', service = '', signedList = '', signature = ''] =
    parsed;
  const secret = lookup(accessKeyId);
  const token = headerValue(request.headers, 'x-amz-security-token');
  if (!secret || token !== secret.sessionToken) return refuse('UnknownAccessKey', INVALID_TOKEN);
  if (secret.expiresAt !== undefined && secret.expiresAt <= now) {
    return refuse('ExpiredToken', 'The security token included in the request is expired');
  }
  const skew = skewMessage(requestTime, now);
  if (skew) return refuse('SignatureExpired', skew);
  if (scopeDate !== dateHeader?.slice(0, 8)) {
    return refuse('BadSignature', `Credential should be scoped to a valid date: ${dateHeader?.slice(0, 8)}.`);
  }

  const signedHeaders = signedList.split(';');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(request.headers, name);
    if (value === undefined) return refuse('BadSignature', SIGNATURE_MISMATCH);
    headers[name] = value;
  }
  const claimedPayloadHash = headers['x-amz-content-sha256'];
  if (
    claimedPayloadHash !== undefined &&
    claimedPayloadHash !== createHash('sha256').update(request.body).digest('hex')
  ) {
    return refuse(
      'BadSignature',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  }

  const signer = new SignatureV4({
    credentials: {
      accessKeyId,
      secretAccessKey: secret.secretAccessKey,
      ...(secret.sessionToken ? { sessionToken: secret.sessionToken } : {}),
    },
    region,
    service,
    sha256: NodeSha256,
    applyChecksum: claimedPayloadHash !== undefined,
  });
  const resigned = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: headers.host ?? '',
      path: request.path,
      query: parseQuery(request.query),
      headers,
      body: request.body,
    },
    { signingDate: new Date(requestTime), signableHeaders: new Set(signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]{64})$/.exec(String(resigned.headers.authorization))?.[1] ?? '';
  const matches =
    expected.length === signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
  return matches ? { ok: true, accessKeyId, region, service } : refuse('BadSignature', SIGNATURE_MISMATCH);
}

export type SigningProtocol = 'restJson1' | 'awsJson' | 'awsQuery';

/**
 * How each protocol answers each refusal (error code, HTTP status). Sources:
 * - restJson1 (Lambda, DSQL): Lambda's Common Errors page (ExpiredTokenException 403, IncompleteSignature
 *   403, MissingAuthenticationToken 403; docs.aws.amazon.com/lambda/latest/api/CommonErrors.html); a real
 *   Lambda DeleteFunction answered `StatusCode: 403 … UnrecognizedClientException: The security token
 *   included in the request is invalid` (github.com/iann0036/iamlive/issues/58); Glacier's (restJson)
 *   stale date answered `403, code=InvalidSignatureException, message=Signature expired: …`.
 * - awsJson (EventBridge): the awsJson services answer these as client errors with status 400 —
 *   `InvalidSignatureException … Signature expired: … (… - 15 min.)`, statusCode 400
 *   (github.com/aws/aws-sdk-js/issues/254, DynamoDB), UnrecognizedClientException 400 (Cognito, DynamoDB),
 *   ExpiredTokenException 400 (github.com/salesforce/multicloudj/pull/608); the missing token is 403
 *   (MissingAuthenticationToken 403 on every Common Errors page).
 * - awsQuery (IAM, STS): IAM's Common Errors (InvalidClientTokenId 403, MissingAuthenticationToken 403,
 *   IncompleteSignature 400, ExpiredToken 403 — an IAM ErrorResponse with Code ExpiredToken came back as
 *   `403 Forbidden`, github.com/cfn-sphere/cfn-sphere/issues/55); STS answers a stale date with
 *   `SignatureDoesNotMatch … Signature expired: … (… - 15 min.)` (github.com/devsecops/bootcamp/issues/101).
 */
export const REFUSAL_ERRORS: Record<
  SigningProtocol,
  Record<SignatureRefusal, { code: string; status: number }>
> = {
  restJson1: {
    MissingAuthentication: { code: 'MissingAuthenticationTokenException', status: 403 },
    IncompleteSignature: { code: 'IncompleteSignatureException', status: 403 },
    UnknownAccessKey: { code: 'UnrecognizedClientException', status: 403 },
    BadSignature: { code: 'InvalidSignatureException', status: 403 },
    SignatureExpired: { code: 'InvalidSignatureException', status: 403 },
    ExpiredToken: { code: 'ExpiredTokenException', status: 403 },
  },
  awsJson: {
    MissingAuthentication: { code: 'MissingAuthenticationTokenException', status: 403 },
    IncompleteSignature: { code: 'IncompleteSignatureException', status: 400 },
    UnknownAccessKey: { code: 'UnrecognizedClientException', status: 400 },
    BadSignature: { code: 'InvalidSignatureException', status: 400 },
    SignatureExpired: { code: 'InvalidSignatureException', status: 400 },
    ExpiredToken: { code: 'ExpiredTokenException', status: 400 },
  },
  awsQuery: {
    MissingAuthentication: { code: 'MissingAuthenticationToken', status: 403 },
    IncompleteSignature: { code: 'IncompleteSignature', status: 400 },
    UnknownAccessKey: { code: 'InvalidClientTokenId', status: 403 },
    BadSignature: { code: 'SignatureDoesNotMatch', status: 403 },
    SignatureExpired: { code: 'SignatureDoesNotMatch', status: 403 },
    ExpiredToken: { code: 'ExpiredToken', status: 403 },
  },
};
