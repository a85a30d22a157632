// Checks a DSQL authentication token: what @aws-sdk/dsql-signer makes, a SigV4-presigned
// `GET https://<host>/?Action=DbConnect[Admin]&X-Amz-…` without its scheme. The signature is
// recomputed with @smithy/signature-v4 (the signer's own library) from the token's own date and
// expiry and the secret of its access key, so any change to the token breaks it.
import { timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export type TokenAction = 'DbConnect' | 'DbConnectAdmin';

export interface KnownCredentials {
  secretAccessKey: string;
  /** Required to match when the key is temporary. */
  sessionToken?: string;
  /** When a temporary key stops working (epoch ms): a token signed with it after that is refused. */
  expiresAt?: number;
  /** Who signs with this key: an IAM user/role ARN, a role session's STS ARN, or the account root. */
  principalArn: string;
}

export interface TokenExpectation {
  hostname: string;
  region: string;
  action: TokenAction;
  credentials(accessKeyId: string): KnownCredentials | undefined;
  now: Date;
}

export type TokenCheck =
  | { ok: true; accessKeyId: string; principalArn: string }
  | { ok: false; message: string };

/** Allowed clock skew for a token dated in the future (SigV4's usual 5 minutes). */
const SKEW_MS = 5 * 60 * 1000;

export async function checkToken(token: string, expected: TokenExpectation): Promise<TokenCheck> {
  const refuse = (message: string): TokenCheck => ({ ok: false, message });
  let url: URL;
  try {
    url = new URL(`https://${token}`);
  } catch {
    return refuse('the password is not a DSQL authentication token');
  }
  const query = url.searchParams;
  const action = query.get('Action');
  const signature = query.get('X-Amz-Signature');
  const credential = query.get('X-Amz-Credential')?.split('/');
  const date = parseAmzDate(query.get('X-Amz-Date') ?? '');
  const expires = Number(query.get('X-Amz-Expires'));
  if (
    url.pathname !== '/' ||
    !action ||
    !signature ||
    credential?.length !== 5 ||
    !date ||
    !Number.isInteger(expires) ||
    query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' ||
    query.get('X-Amz-SignedHeaders') !== 'host'
  ) {
    return refuse('the password is not a DSQL authentication token');
  }
  const [accessKeyId, , region, service] = credential;
  if (action !== expected.action) {
    return refuse(`wrong action: the token is for ${action}, this login needs ${expected.action}`);
  }
  if (url.hostname !== expected.hostname.toLowerCase()) {
    return refuse(`wrong host: the token was signed for ${url.hostname}, not for ${expected.hostname}`);
  }
  if (region !== expected.region) {
    return refuse(`wrong region: the token was signed for ${region}, this cluster is in ${expected.region}`);
  }
  if (service !== 'dsql') return refuse(`wrong service: the token was signed for ${service}, not dsql`);
  const now = expected.now.getTime();
  if (now > date.getTime() + expires * 1000) {
    return refuse(`the token expired at ${new Date(date.getTime() + expires * 1000).toISOString()}`);
  }
  if (date.getTime() > now + SKEW_MS)
    return refuse(`the token is dated in the future (${date.toISOString()})`);
  const known = expected.credentials(accessKeyId);
  if (!known) return refuse(`the token was signed with an unknown access key ${accessKeyId}`);
  const sessionToken = query.get('X-Amz-Security-Token') ?? undefined;
  if (known.sessionToken !== sessionToken)
    return refuse('the token does not carry the session token of its key');
  if (known.expiresAt !== undefined && now > known.expiresAt) {
    return refuse(
      `the token was signed with session credentials that expired at ${new Date(known.expiresAt).toISOString()}`,
    );
  }
  const signer = new SignatureV4({
    service: 'dsql',
    region,
    credentials: { accessKeyId, secretAccessKey: known.secretAccessKey, sessionToken },
    sha256: Sha256,
  });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: url.hostname,
      path: '/',
      query: { Action: action },
      headers: { host: url.hostname },
    },
    { signingDate: date, expiresIn: expires },
  );
  const recomputed = Buffer.from(String(presigned.query?.['X-Amz-Signature'] ?? ''));
  const given = Buffer.from(signature);
  if (recomputed.length !== given.length || !timingSafeEqual(recomputed, given)) {
    return refuse('the token signature does not match');
  }
  return { ok: true, accessKeyId, principalArn: known.principalArn };
}

/** `arn:aws:sts::<acct>:assumed-role/<role>/<session>` → `arn:aws:iam::<acct>:role/<role>`; others unchanged. */
export function roleArnOf(principalArn: string): string {
  const [arn, partition, service, , account, resource] = principalArn.split(':');
  const [kind, role] = (resource ?? '').split('/');
  if (arn === 'arn' && service === 'sts' && kind === 'assumed-role' && role) {
    return `arn:${partition}:iam::${account}:role/${role}`;
  }
  return principalArn;
}

/** `YYYYMMDDTHHMMSSZ` (SigV4's date) → Date. */
function parseAmzDate(value: string): Date | undefined {
  if (value.length !== 16 || value[8] !== 'T' || value[15] !== 'Z') return undefined;
  const iso = `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}T${value.slice(9, 11)}:${value.slice(11, 13)}:${value.slice(13, 15)}Z`;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
