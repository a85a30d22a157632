// The floor under the DSQL endpoint's bench: a TLS-terminating pass-through in its own process, as the
// endpoint runs in the daemon's. It answers the SSLRequest, terminates TLS with the endpoint's own
// certificate and pipes the bytes to the backing PostgreSQL's Unix socket, inspecting nothing: what
// TLS and one extra hop cost on this machine, without anything the front checks.
//   node --import tsx scripts/lib/tls-pass-through.ts <certificate folder> <backend socket path>
// prints the port it listens on (127.0.0.1), then serves until killed or until its stdin closes (the
// bench ended, even by a crash: no proxy is left behind).
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { createSecureContext, TLSSocket } from 'node:tls';

const [certificateFolder, socketPath] = process.argv.slice(2);
if (!certificateFolder || !socketPath) {
  console.error('usage: tls-pass-through.ts <certificate folder> <backend socket path>');
  process.exit(2);
}
const secureContext = createSecureContext({
  key: readFileSync(join(certificateFolder, 'server-key.pem')),
  cert: readFileSync(join(certificateFolder, 'server.pem')),
});
/** The 8-byte SSLRequest every TLS-wanting PostgreSQL client sends first, in plaintext. */
const SSL_REQUEST_LENGTH = 8;

const server = createServer((raw) => {
  raw.setNoDelay(true);
  raw.on('error', () => raw.destroy());
  raw.once('readable', function answer() {
    if (raw.readableLength < SSL_REQUEST_LENGTH) return raw.once('readable', answer);
    raw.read(SSL_REQUEST_LENGTH);
    raw.write('S');
    const client = new TLSSocket(raw, { isServer: true, secureContext });
    client.on('error', () => raw.destroy());
    client.once('secure', () => {
      const backend = connect({ path: socketPath });
      backend.setNoDelay(true);
      backend.on('error', () => client.destroy());
      client.pipe(backend).pipe(client);
    });
  });
});
process.stdin.on('end', () => process.exit(0)).resume();
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : ''}\n`);
});
