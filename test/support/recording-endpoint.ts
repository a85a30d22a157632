/**
 * A loopback HTTP endpoint that records every request a CLI child sends (AWS_ENDPOINT_URL points the
 * real SDK clients at it) and answers each with what the test's responder says: proof that no call was
 * made, or the one scripted answer a decision depends on. The reply builders below speak AWS's wire
 * formats, so a test scripts the one answer a decision depends on (a FunctionError, an `{ok:false}`, a
 * missing role) without a deployed stack.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  /** The signing region, from the SigV4 credential scope. */
  region: string;
  /** The signing service (`iam`, `lambda`). */
  service: string;
  body: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export type Responder = (request: RecordedRequest) => Reply;

export interface RecordingEndpoint {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startRecordingEndpoint(respond: Responder): Promise<RecordingEndpoint> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const scope = /Credential=[^/]+\/\d+\/([^/]+)\/([^/]+)\//.exec(req.headers.authorization ?? '');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        region: scope?.[1] ?? '',
        service: scope?.[2] ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const reply = respond(recorded);
      res.writeHead(reply.status, { 'x-amzn-requestid': 'test-request', ...reply.headers });
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** IAM GetRole's answer for a role with these tags (awsQuery XML). */
export function getRoleReply(roleName: string, tags: Record<string, string>): Reply {
  const members = Object.entries(tags)
    .map(([k, v]) => `<member><Key>${k}</Key><Value>${v}</Value></member>`)
    .join('');
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role><Path>/</Path><RoleName>${roleName}</RoleName><RoleId>AROATEST</RoleId><Arn>arn:aws:iam::123456789012:role/${roleName}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate><Tags>${members}</Tags></Role></GetRoleResult><ResponseMetadata><RequestId>test</RequestId></ResponseMetadata></GetRoleResponse>`,
  };
}

/** IAM's NoSuchEntity error. */
export function noSuchRoleReply(roleName: string): Reply {
  return {
    status: 404,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name ${roleName} cannot be found.</Message></Error><RequestId>test</RequestId></ErrorResponse>`,
  };
}

/** Lambda Invoke's answer: HTTP 200 with the payload, and X-Amz-Function-Error when the handler threw. */
export function invokeReply(payload: unknown, functionError?: string): Reply {
  return {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'x-amz-executed-version': '$LATEST',
      ...(functionError ? { 'x-amz-function-error': functionError } : {}),
    },
    body: JSON.stringify(payload),
  };
}

export function isGetRole(request: RecordedRequest): boolean {
  return request.service === 'iam' && request.body.includes('Action=GetRole');
}

export function isInvoke(request: RecordedRequest): boolean {
  return request.service === 'lambda' && request.path.includes('/invocations');
}
