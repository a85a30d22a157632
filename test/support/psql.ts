/** The system's psql for tests that use the real client: found on PATH, or installed with apt-get once. */
import { execFile, spawnSync } from 'node:child_process';

const which = () => spawnSync('sh', ['-c', 'command -v psql'], { encoding: 'utf8' }).stdout.trim();

export function psqlPath(): string {
  const found = which();
  if (found) return found;
  const install = spawnSync('sh', ['-c', 'apt-get update -q && apt-get install -y -q postgresql-client'], {
    encoding: 'utf8',
  });
  const installed = which();
  if (!installed)
    throw new Error(
      `psql is not installed and apt-get could not install postgresql-client:\n${install.stderr}`,
    );
  return installed;
}

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
