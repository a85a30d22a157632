/**
 * Function code never runs as root. Lambda runs a function as its own unprivileged sandbox user; here,
 * when the daemon runs as root (as in CI containers), each worker drops to the user `dsqlctl-lambda`
 * (created when missing, as postgres.ts creates `postgres`; `nobody` where users cannot be created)
 * before it loads any function code (worker.ts). That user cannot enter the local cloud's 0700 home, so
 * its code runs from a copy in /var/tmp/dsqlctl-lambda-<hash of the home>/code/<id>: a folder only that
 * user (and root) may enter, read-only like Lambda's /var/task. The copy goes with `local stop`;
 * copies whose home is gone (a killed daemon's temp home) are collected at the next start.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { codeDir } from './code.js';

export interface SandboxUser {
  uid: number;
  gid: number;
}

const SANDBOX_USER = 'dsqlctl-lambda';
const SANDBOX_ROOT = '/var/tmp';
const SANDBOX_PREFIX = 'dsqlctl-lambda-';
/** In a sandbox folder: the local cloud folder it belongs to, so abandoned ones can be collected. */
const OWNER_FILE = 'owner';
const NOBODY: SandboxUser = { uid: 65534, gid: 65534 };

let cachedUser: SandboxUser | undefined;
/** Files copied by this daemon (each once: every invocation asks). */
const copiedFiles = new Set<string>();

/** The user function code runs as, or undefined when the daemon is not root (code runs as the daemon's user). */
export function sandboxUser(): SandboxUser | undefined {
  // process.getuid() is the same uid as userInfo().uid without its password-database lookup (every
  // invocation asks).
  if (process.getuid?.() !== 0) return undefined;
  if (cachedUser) return cachedUser;
  const id = (flag: string) => Number(execFileSync('id', [flag, SANDBOX_USER], { encoding: 'utf8' }).trim());
  try {
    cachedUser = { uid: id('-u'), gid: id('-g') };
  } catch {
    try {
      execFileSync('groupadd', ['-f', SANDBOX_USER], { stdio: 'ignore' });
      execFileSync('useradd', ['-M', '-s', '/usr/sbin/nologin', '-g', SANDBOX_USER, SANDBOX_USER], {
        stdio: 'ignore',
      });
      cachedUser = { uid: id('-u'), gid: id('-g') };
    } catch {
      cachedUser = NOBODY;
    }
  }
  return cachedUser;
}

function sandboxDir(cloudDir: string): string {
  const hash = createHash('sha256').update(resolve(cloudDir)).digest('hex').slice(0, 12);
  return join(SANDBOX_ROOT, `${SANDBOX_PREFIX}${hash}`);
}

/** The sandbox folder and its `code` folder, the sandbox user's alone. */
function prepareRoot(cloudDir: string, user: SandboxUser): void {
  const root = sandboxDir(cloudDir);
  mkdirSync(join(root, 'code'), { recursive: true, mode: 0o700 });
  // No package.json above the task root, as in Lambda: a `.js` handler is CommonJS unless the zip says so.
  const scope = join(root, 'code', 'package.json');
  if (!existsSync(scope)) {
    writeFileSync(scope, '{}\n');
    handOver(scope, user);
  }
  writeFileSync(join(root, OWNER_FILE), `${resolve(cloudDir)}\n`, { mode: 0o600 });
  for (const path of [root, join(root, 'code')]) {
    chownSync(path, user.uid, user.gid);
    chmodSync(path, 0o700);
  }
}

/** Gives the tree to `user`, read-only (folders 0500, files 0400), as Lambda's task root is. */
function handOver(path: string, user: SandboxUser): void {
  const isDir = lstatSync(path).isDirectory();
  if (isDir) for (const entry of readdirSync(path)) handOver(join(path, entry), user);
  chownSync(path, user.uid, user.gid);
  chmodSync(path, isDir ? 0o500 : 0o400);
}

/**
 * The folder a worker runs code `id` from: the extracted tree itself when the daemon is not root, else
 * the sandbox user's read-only copy of it (made once per content).
 */
export function runnableCodeDir(cloudDir: string, id: string, user: SandboxUser | undefined): string {
  const source = codeDir(cloudDir, id);
  if (!user) return source;
  const root = sandboxDir(cloudDir);
  const target = join(root, 'code', id);
  if (existsSync(target)) return target;
  prepareRoot(cloudDir, user);
  const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
  try {
    cpSync(source, temp, { recursive: true });
    handOver(temp, user);
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    // Two first invocations at once: the other one made the copy.
    if (!existsSync(target)) throw error;
  }
  return target;
}

/**
 * A file the worker reads after dropping to the sandbox user (the DSQL endpoint's CA certificate, which
 * Node may load only when the first TLS connection needs it): a readable copy in the sandbox folder.
 */
export function runnableFile(cloudDir: string, path: string, user: SandboxUser | undefined): string {
  if (!user) return path;
  const target = join(sandboxDir(cloudDir), basename(path));
  if (copiedFiles.has(target) && existsSync(target)) return target;
  prepareRoot(cloudDir, user);
  rmSync(target, { force: true });
  cpSync(path, target);
  chownSync(target, user.uid, user.gid);
  chmodSync(target, 0o400);
  copiedFiles.add(target);
  return target;
}

/** Removes this local cloud's sandbox copies (`local stop`; they are made again on demand). */
export function removeSandbox(cloudDir: string): void {
  copiedFiles.clear();
  rmSync(sandboxDir(cloudDir), { recursive: true, force: true });
}

/** Removes sandbox folders whose local cloud folder no longer exists (a killed daemon's temp home). */
export function collectAbandonedSandboxes(): void {
  if (userInfo().uid !== 0 || !existsSync(SANDBOX_ROOT)) return;
  for (const name of readdirSync(SANDBOX_ROOT).filter((n) => n.startsWith(SANDBOX_PREFIX))) {
    const dir = join(SANDBOX_ROOT, name);
    try {
      const owner = readFileSync(join(dir, OWNER_FILE), 'utf8').trim();
      if (!existsSync(owner)) rmSync(dir, { recursive: true, force: true });
    } catch {
      // No owner file yet (a copy being made) or already gone: leave it.
    }
  }
}
