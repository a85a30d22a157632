/**
 * GET of a control path (`/_dsqlctl/…`) as the operator, with node:http rather than fetch: a CLI run
 * asks the daemon once or twice, and fetch's first use compiles undici and its WebAssembly parser
 * (about 40 ms of a start-up; scripts/bundle-cli.mjs says the same of importing node:http).
 */
import { createRequire } from 'node:module';

// require(), not import: ESM's import of node:http reads its lazy getters, which compile undici.
const { get } = createRequire(import.meta.url)('node:http') as typeof import('node:http');

export interface ControlAnswer {
  status: number;
  body: unknown;
}

/** The answer's status and JSON body (undefined when not JSON); rejects on a network error or after `timeoutMs`. */
export function getControl(url: string | URL, secret: string, timeoutMs: number): Promise<ControlAnswer> {
  return new Promise((resolve, reject) => {
    // agent false: a connection of its own, closed after the answer (nothing left to keep the CLI alive).
    const request = get(
      url,
      { agent: false, headers: { authorization: `Bearer ${secret}` }, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            body = undefined;
          }
          resolve({ status: response.statusCode ?? 0, body });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`No answer from ${url} within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}
