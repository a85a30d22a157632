/**
 * Starting, finding and stopping the local cloud's daemon, from any CLI process. Starts and stops hold
 * a proper-lockfile lock on the home's local-cloud folder, so two processes starting at once end with
 * one daemon: the second finds the first's runtime.json once it gets the lock.
 */
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getControl } from './control-client.js';
import type { FaultConfig } from './fault-config.js';
import type { CloudStatus, DaemonInfo } from './instance.js';
import { ensureOperatorKey, readOperatorKey } from './operator-key.js';
import { type CloudPaths, cloudPaths, dsqlctlHome, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './paths.js';
import { isAlive, waitForExit } from './pids.js';

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
const BUSY_DAEMON_WAIT_MS = 15_000;

function readDaemonInfo(paths: CloudPaths): DaemonInfo | undefined {
  if (!existsSync(paths.daemonInfo)) return undefined;
  try {
    return JSON.parse(readFileSync(paths.daemonInfo, 'utf8')) as DaemonInfo;
  } catch {
    return undefined;
  }
}

/** A control path of the daemon (`/_dsqlctl/…`), as the operator (its secret as the bearer). */
async function getJson<T>(paths: CloudPaths, url: string, timeoutMs = 2_000): Promise<T | undefined> {
  const key = readOperatorKey(paths);
  if (!key) return undefined;
  try {
    const { status, body } = await getControl(url, key.secretAccessKey, timeoutMs);
    return status >= 200 && status < 300 ? (body as T | undefined) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Is `pid` a local cloud daemon? runtime.json outlives a daemon killed with -9, and its pid may since
 * belong to another program, which must never be signalled (nor mistaken for a running local cloud).
 */
function isDaemonProcess(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('local-cloud/daemon.');
  } catch {
    return true; // no /proc here: the pid is all there is to go by
  }
}

/** The daemon described by runtime.json, when it is alive and answering. */
async function runningDaemon(paths: CloudPaths): Promise<DaemonInfo | undefined> {
  const info = readDaemonInfo(paths);
  if (!info || !isDaemonProcess(info.pid)) return undefined;
  const health = await getJson<{ pid: number }>(paths, `${info.endpoint}/_dsqlctl/health`);
  return health?.pid === info.pid ? info : undefined;
}

async function withLock<T>(paths: CloudPaths, work: () => Promise<T>): Promise<T> {
  mkdirSync(paths.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  // Loaded here, as postgres.js below: a command that finds the daemon running needs neither.
  const { default: lockfile } = await import('proper-lockfile');
  // stale: a holder killed mid-start frees the lock after 10 s; retries cover a slow concurrent start.
  const release = await lockfile.lock(paths.dir, {
    lockfilePath: `${paths.lock}.lock`,
    stale: 10_000,
    retries: { retries: 600, minTimeout: 50, maxTimeout: 200 },
  });
  // proper-lockfile's lock is a folder made with the CLI's umask.
  chmodSync(`${paths.lock}.lock`, PRIVATE_DIR_MODE);
  try {
    return await work();
  } finally {
    await release().catch(() => undefined);
  }
}

/** How to run daemon.ts/daemon.js with this very node: compiled from dist, or the TypeScript sources. */
function daemonCommand(): string[] {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    return ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./daemon.ts', self))];
  }
  return [fileURLToPath(new URL('./daemon.js', self))];
}

/**
 * The daemon runtime.json names, once it answers: at once when it is healthy (e.g. started by another
 * process while this one waited for the lock); one that runs but missed the quick health check (a
 * loaded machine) is given a while to answer — starting a second one would make two processes own the
 * same state file and PostgreSQL data.
 */
async function awaitRunningDaemon(paths: CloudPaths): Promise<DaemonInfo | undefined> {
  const info = readDaemonInfo(paths);
  if (!info || !isDaemonProcess(info.pid)) return undefined;
  const deadline = Date.now() + BUSY_DAEMON_WAIT_MS;
  while (Date.now() < deadline && isDaemonProcess(info.pid)) {
    const answering = await runningDaemon(paths);
    if (answering) return answering;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!isDaemonProcess(info.pid)) return undefined;
  throw new Error(
    `The local cloud (pid ${info.pid}) is running but does not answer at ${info.endpoint}; stop it with \`dsqlctl local stop\`.`,
  );
}

function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

export interface StartOptions {
  home?: string;
  /** Fixed port for the endpoint (default: any free port). */
  port?: number;
  faults?: FaultConfig;
  /** A policy document (JSON text): the operator acts as an IAM user limited to it (default: the root). */
  operatorPolicy?: string;
  /** false: no signature verified and every call allowed — for the bench's baseline only. */
  enforcement?: boolean;
}

export interface StartResult {
  info: DaemonInfo;
  /** True when a daemon was already running (and the options were not applied). */
  alreadyRunning: boolean;
}

export async function startDaemon(options: StartOptions = {}): Promise<StartResult> {
  if (options.faults) (await import('./fault-config.js')).validateFaults(options.faults);
  const home = dsqlctlHome(options.home);
  const paths = cloudPaths(home);
  const running = await runningDaemon(paths);
  if (running) return { info: running, alreadyRunning: true };
  return withLock(paths, async () => {
    const answering = await awaitRunningDaemon(paths);
    if (answering) return { info: answering, alreadyRunning: true };
    rmSync(paths.daemonInfo, { force: true });
    ensureOperatorKey(paths);
    const log = openSync(paths.daemonLog, 'a', PRIVATE_FILE_MODE);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DSQLCTL_LOCAL_DAEMON: JSON.stringify({
        home,
        port: options.port,
        faults: options.faults,
        operatorPolicy: options.operatorPolicy,
        enforcement: options.enforcement,
      }),
    };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, daemonCommand(), {
      cwd: paths.dir,
      detached: true,
      stdio: ['ignore', log, log],
      env,
    });
    closeSync(log);
    child.unref();
    let exitCode: number | null | undefined;
    child.once('exit', (code) => {
      exitCode = code;
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const info = readDaemonInfo(paths);
      if (info && info.pid === child.pid) return { info, alreadyRunning: false };
      if (exitCode !== undefined) {
        throw new Error(`The local cloud failed to start (exit ${exitCode}):\n${tail(paths.daemonLog)}`);
      }
      if (Date.now() > deadline) {
        if (child.pid) process.kill(child.pid, 'SIGKILL');
        throw new Error(
          `The local cloud did not start within ${START_TIMEOUT_MS / 1000} s:\n${tail(paths.daemonLog)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  });
}

export interface StopResult {
  /** The daemon's pid, when one was running. */
  stoppedPid?: number;
  /** PostgreSQL left behind by a daemon that died (kill -9) and stopped now. */
  stoppedOrphanPostgres: boolean;
}

export async function stopDaemon(options: { home?: string } = {}): Promise<StopResult> {
  const paths = cloudPaths(options.home);
  return withLock(paths, async () => {
    const info = readDaemonInfo(paths);
    let stoppedPid: number | undefined;
    if (info && isDaemonProcess(info.pid)) {
      stoppedPid = info.pid;
      process.kill(info.pid, 'SIGTERM');
      if (!(await waitForExit(info.pid, STOP_TIMEOUT_MS))) process.kill(info.pid, 'SIGKILL');
    }
    // A daemon killed with -9 leaves its PostgreSQL running: stop it too, so nothing is left behind.
    const { postgresDataDir, stopOrphanPostgres } = await import('./postgres.js');
    const stoppedOrphanPostgres = await stopOrphanPostgres(
      info?.postgres.dataDir ?? postgresDataDir(paths.dir),
    );
    rmSync(paths.daemonInfo, { force: true });
    return { ...(stoppedPid ? { stoppedPid } : {}), stoppedOrphanPostgres };
  });
}

export async function daemonStatus(options: { home?: string } = {}): Promise<CloudStatus | undefined> {
  const paths = cloudPaths(options.home);
  const info = await runningDaemon(paths);
  if (!info) return undefined;
  return getJson<CloudStatus>(paths, `${info.endpoint}/_dsqlctl/status`);
}
