/**
 * Runs the built CLI (bin/run.js) as a child process, the way an operator does, for every test folder.
 * The child runs from a private copy of the build: other test runs rebuild dist/ (rm -rf, then tsc)
 * while tests run the CLI dozens of times, and a CLI started in that window finds half a build.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientConfig, type PrivateCloud } from '../../scripts/lib/local-cloud.js';

const REPO = new URL('../..', import.meta.url).pathname;
const NEEDED = ['dist/cli/commands.mjs', 'dist/lib/provision/render.js', 'lambda-bundle/dist/function.zip'];
let snapshot: string | undefined;

/** Copies a complete build into a temporary folder once per test process (waits out a rebuild). */
async function builtCli(): Promise<string> {
  if (snapshot) return snapshot;
  for (let attempt = 0; attempt < 20; attempt++) {
    if (NEEDED.every((f) => existsSync(join(REPO, f)))) {
      const dir = mkdtempSync(join(tmpdir(), 'dsqlctl-cli-'));
      for (const part of ['bin', 'dist', 'package.json', 'oclif.manifest.json']) {
        cpSync(join(REPO, part), join(dir, part), { recursive: true });
      }
      mkdirSync(join(dir, 'lambda-bundle/dist'), { recursive: true });
      cpSync(join(REPO, 'lambda-bundle/dist/function.zip'), join(dir, 'lambda-bundle/dist/function.zip'));
      symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
      if (NEEDED.every((f) => existsSync(join(dir, f)))) {
        snapshot = dir;
        process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
        return dir;
      }
      rmSync(dir, { recursive: true, force: true });
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('No complete build of the CLI: run npm run build first.');
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * `dsqlctl ...args` with PATH, HOME and `env` only (nothing else leaks in from the test's environment).
 * `killAfterMs` SIGKILLs it at that instant; its status is then 137. `signalWhen` sends `signal` once
 * its stderr matches `stderr` (once), as an operator's Ctrl-C or CI's cancellation would. `cwd`: the
 * working directory (default the build's copy), e.g. one holding a dsqlctl.config.json. `onSpawn` gets
 * the child (to kill it at a moment the test chooses).
 */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: {
    killAfterMs?: number;
    cwd?: string;
    signalWhen?: { stderr: RegExp; signal: NodeJS.Signals };
    onSpawn?: (child: ChildProcess) => void;
  } = {},
): Promise<CliResult> {
  const built = await builtCli();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(built, 'bin/run.js'), ...args], {
      cwd: options.cwd ?? built,
      // Node's compile cache (bin/run.js) is keyed by each file's path: under the real home, every test
      // process's copy of the build would add its own entries for good (1.6 GB seen after a day of runs).
      env: { PATH: process.env.PATH, HOME: process.env.HOME, XDG_CACHE_HOME: join(built, '.cache'), ...env },
    });
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    let signalled = false;
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      const when = options.signalWhen;
      if (when && !signalled && when.stderr.test(stderr)) {
        signalled = true;
        child.kill(when.signal);
      }
    });
    const timer =
      options.killAfterMs === undefined
        ? undefined
        : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ status: status ?? (signal === 'SIGKILL' ? 137 : -1), stdout, stderr });
    });
  });
}

/**
 * The environment for a CLI child using the aws target against `endpoint` (a recording endpoint):
 * throwaway credentials, and no config files, so nothing of the developer's AWS setup leaks in.
 */
export function awsTargetEnv(endpoint: string): NodeJS.ProcessEnv {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
    AWS_CONFIG_FILE: '/nonexistent/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    DSQLCTL_TARGET: 'aws',
  };
}

/** Runs the built CLI against `endpoint` as the aws target, with throwaway credentials and no config files. */
export function runAwsCli(args: string[], endpoint: string): Promise<CliResult> {
  return runCli(args, awsTargetEnv(endpoint));
}

/**
 * The CLI and SDK clients bound to the private cloud a test file starts in `before` (`cloud` is read
 * at each call): `cli` runs dsqlctl, `ok` also asserts exit 0, `client` makes an SDK client of a region.
 */
export function onCloud(cloud: () => PrivateCloud) {
  const cli = (...args: string[]): Promise<CliResult> => runCli(args, cloud().env);
  const ok = async (...args: string[]): Promise<CliResult> => {
    const result = await cli(...args);
    assert.equal(result.status, 0, `dsqlctl ${args.join(' ')}: ${result.stderr}${result.stdout}`);
    return result;
  };
  const client = <C>(Kind: new (config: object) => C, region: string): C =>
    new Kind(clientConfig(cloud().cloud, region));
  return { cli, ok, client };
}
