/** Where the local cloud keeps its files: DSQLCTL_HOME (default ~/.dsqlctl), folder `local-cloud`. */
import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The local cloud's files hold code, logs and state of one user: its folders are 0700 and its files
 * 0600. The daemon runs with umask 077 (daemon.ts) so whatever it creates is private; the CLI passes
 * these modes for the few it creates itself.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Makes every folder under `dir` (and `dir`) 0700 and every file 0600 — for a home written by an older
 * version. `skip` (PostgreSQL's folder: its server keeps its own modes, as another user when root) is
 * left alone; symbolic links are not followed.
 */
export function restrictModes(dir: string, skip: string): void {
  const walk = (path: string) => {
    if (path === skip) return;
    const stat = lstatSync(path);
    if (stat.isDirectory()) {
      if ((stat.mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(path, PRIVATE_DIR_MODE);
      for (const name of readdirSync(path)) walk(join(path, name));
    } else if (stat.isFile() && (stat.mode & 0o777) !== PRIVATE_FILE_MODE) {
      chmodSync(path, PRIVATE_FILE_MODE);
    }
  };
  walk(dir);
}

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
  /** The operator's access key (operator-key.ts), 0600. */
  operatorKey: string;
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
    operatorKey: join(dir, 'operator-key.json'),
  };
}
