/**
 * A loopback HTTP endpoint that records every request a CLI child sends (AWS_ENDPOINT_URL points the
 * real SDK clients at it) and answers each with what the test's responder says: proof that no call was
 * made, or the one scripted answer a decision depends on.
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
