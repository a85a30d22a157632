/** The system's psql for tests that use the real client: found on PATH, or installed with apt-get once. */
import { spawnSync } from 'node:child_process';

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
