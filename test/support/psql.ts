/** The system's psql for tests that use the real client (installed from Debian's packages when missing). */
import { execFile } from 'node:child_process';
import { ensureCommand } from './debian.js';

export const psqlPath = (): string => ensureCommand('psql', 'postgresql-client');

/**
 * `psql <conninfo> -tA -c <sql>` with PGPASSWORD, nothing of dsqlctl in between; asynchronous, since
 * the endpoint may answer from the calling process.
 */
export function runPsql(conninfo: string, password: string, sql: string) {
  return new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      psqlPath(),
      [conninfo, '-tA', '-c', sql],
      {
        encoding: 'utf8',
        env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' },
        timeout: 30_000,
      },
      (error, stdout, stderr) => resolve({ status: error ? Number(error.code) || 1 : 0, stdout, stderr }),
    );
  });
}
