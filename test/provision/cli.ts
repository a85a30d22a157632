/** A stand-in AWS endpoint for the provisioning CLI tests (the CLI runner is test/support/cli.ts). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP endpoint that answers 500 to everything and counts what it was sent. */
export async function startCountingEndpoint(): Promise<{
  url: string;
  count(): number;
  close(): Promise<void>;
}> {
  let count = 0;
  const server = createServer((request, response) => {
    count++;
    request.resume();
    response.writeHead(500, { 'content-type': 'application/json' });
    response.end('{"message":"no call was expected"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
