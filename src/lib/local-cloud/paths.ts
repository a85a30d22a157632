/** Where the local cloud keeps its files: DSQLCTL_HOME (default ~/.dsqlctl), folder `local-cloud`. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function dsqlctlHome(home?: string): string {
  return resolve(home ?? process.env.DSQLCTL_HOME ?? join(homedir(), '.dsqlctl'));
}

export interface CloudPaths {
  dir: string;
  /** Durable state of every service (state-store.ts). */
  state: string;
  /** Written by the daemon once it serves: pid, endpoint, PostgreSQL. Removed when it stops. */
  daemonInfo: string;
  /** One JSON line per AWS call (request-log.ts). */
  requests: string;
  /** The daemon's stdout/stderr. */
  daemonLog: string;
  /** proper-lockfile target serializing starts and stops. */
  lock: string;
}

export function cloudPaths(home?: string): CloudPaths {
  const dir = join(dsqlctlHome(home), 'local-cloud');
  return {
    dir,
    state: join(dir, 'state.json'),
    daemonInfo: join(dir, 'runtime.json'),
    requests: join(dir, 'requests.jsonl'),
    daemonLog: join(dir, 'daemon.log'),
    lock: join(dir, 'daemon'),
  };
}
