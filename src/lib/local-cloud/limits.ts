/**
 * How large a request may be, known before its body is read: the server counts the body as it streams
 * and refuses it as soon as it passes its operation's limit, so no request can make the daemon buffer
 * more than that. awsQuery names its Action inside the body, so IAM and STS have one limit per service;
 * restJson1 operations are known by method and path, awsJson ones by the X-Amz-Target header.
 */
import type { IncomingHttpHeaders } from 'node:http';

const KiB = 1024;
const MiB = 1024 * KiB;

export interface BodyLimit {
  bytes: number;
  /** For the request log, when the limit is an operation's. */
  operation?: string;
  code: string;
  status: number;
  message: string;
}

interface LimitRule {
  /** SigV4 signing name. */
  service: string;
  /** Matched against `METHOD path` (restJson1) or the X-Amz-Target header (awsJson); absent: every request. */
  request?: RegExp;
  target?: string;
  limit: BodyLimit;
}

const tooLarge = (bytes: number, operation: string): BodyLimit => ({
  bytes,
  operation,
  code: 'RequestEntityTooLargeException',
  status: 413,
  message: `Request must be smaller than ${bytes} bytes for the ${operation} operation`,
});

/**
 * Every rule, first match wins. Sources: Lambda's answers ("Request must be smaller than 6291456 bytes
 * for the InvokeFunction operation"; "… 69905067 bytes for the CreateFunction operation": 50 MiB of zip,
 * base64-encoded in the JSON body, so the limit counts the encoded request); EventBridge's 1 MB PutEvents
 * request (its 256 KB per entry is the service's own check).
 */
const RULES: readonly LimitRule[] = [
  {
    service: 'lambda',
    request: /^POST \/2015-03-31\/functions\/[^/]+\/invocations$/,
    limit: tooLarge(6 * MiB, 'InvokeFunction'),
  },
  {
    service: 'lambda',
    request: /^POST \/2015-03-31\/functions\/?$/,
    limit: tooLarge(69_905_067, 'CreateFunction'),
  },
  {
    service: 'lambda',
    request: /^PUT \/2015-03-31\/functions\/[^/]+\/code$/,
    limit: tooLarge(69_905_067, 'UpdateFunctionCode'),
  },
  {
    service: 'events',
    target: 'AWSEvents.PutEvents',
    limit: {
      bytes: 1 * MiB,
      operation: 'PutEvents',
      code: 'ValidationException',
      status: 400,
      message: 'Total size of the entries in the request is over the limit.',
    },
  },
  // IAM's largest documented inputs are policy documents (an inline role policy: 10,240 characters);
  // percent-encoded, a character takes at most 9 bytes (3 UTF-8 bytes as %XX), ≈ 92 KB, plus the other
  // members: 128 KiB holds any valid IAM request. STS's (AssumeRole's 2,048-character session policy) are
  // smaller still.
  {
    service: 'iam',
    limit: { ...tooLarge(128 * KiB, 'IAM'), operation: undefined, code: 'RequestEntityTooLarge' },
  },
  {
    service: 'sts',
    limit: { ...tooLarge(128 * KiB, 'STS'), operation: undefined, code: 'RequestEntityTooLarge' },
  },
];

/**
 * Every other request (DSQL's, EventBridge's other operations, the local cloud's own paths): 1 MiB, far
 * above any of their documented member sizes (an event pattern: 4 KB+; tags: 50 × 384 bytes), and small
 * enough that buffering it costs nothing.
 */
export const DEFAULT_BODY_LIMIT: BodyLimit = {
  bytes: 1 * MiB,
  code: 'RequestEntityTooLarge',
  status: 413,
  message: `Request must be smaller than ${1 * MiB} bytes`,
};

/**
 * Request line plus headers (node counts both against `maxHeaderSize`): 16 KiB, node's default, stated
 * so it cannot change under us. SigV4 headers and the longest query strings dsqlctl sends fit in 4 KiB.
 */
export const MAX_HEADER_BYTES = 16 * KiB;

export function bodyLimit(
  service: string | undefined,
  request: { method: string; path: string; headers: IncomingHttpHeaders },
): BodyLimit {
  const line = `${request.method} ${request.path}`;
  const target = request.headers['x-amz-target'];
  for (const rule of RULES) {
    if (rule.service !== service) continue;
    if (rule.request && !rule.request.test(line)) continue;
    if (rule.target && rule.target !== target) continue;
    return rule.limit;
  }
  return DEFAULT_BODY_LIMIT;
}
