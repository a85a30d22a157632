// Installed like a real CLI: `npm pack` of the built project, `npm install -g` of that tarball into an
// empty prefix, then the `dsqlctl` on that prefix's PATH answers --version and runs `up` and `down` on
// the local target — with the bundle, the manifest, the function zip and the local cloud all taken
// from the package, not from this checkout.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const REPO = new URL('../..', import.meta.url).pathname;
const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };

describe('the packed CLI, installed into an empty prefix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsqlctl-packed-'));
  // As root, PostgreSQL runs as its own user, which must reach the installed binaries (as under /usr/local).
  chmodSync(dir, 0o755);
  const prefix = join(dir, 'prefix');
  const home = join(dir, 'home');
  // Only the prefix's bin and this Node: nothing of the checkout is on the PATH.
  const env = {
    PATH: `${join(prefix, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: process.env.HOME,
    DSQLCTL_HOME: home,
  };
  const dsqlctl = (...args: string[]) =>
    spawnSync('dsqlctl', args, { cwd: dir, env, encoding: 'utf8', timeout: 300_000 });

  before(() => {
    const npm = {
      cwd: REPO,
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
    };
    const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], {
      ...npm,
      encoding: 'utf8',
    }).trim();
    // --prefer-offline: the packages this checkout installed are in npm's cache already.
    execFileSync(
      'npm',
      [
        'install',
        '--global',
        '--prefix',
        prefix,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        join(dir, tarball),
      ],
      { ...npm, stdio: 'ignore' },
    );
  });
  after(() => {
    dsqlctl('local', 'stop');
    rmSync(dir, { recursive: true, force: true });
  });

  it('dsqlctl --version is the package version', () => {
    const run = dsqlctl('--version');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^dsqlctl/${version.replaceAll('.', '\\.')} `));
  });

  it('up and down on the local target', () => {
    const up = dsqlctl('up', '--target', 'local', '--stack', 'packed', '--json');
    assert.equal(up.status, 0, up.stderr + up.stdout);
    assert.equal(JSON.parse(up.stdout).status, 'ok');
    const down = dsqlctl('down', '--target', 'local', '--stack', 'packed', '--yes', '--json');
    assert.equal(down.status, 0, down.stderr);
  });
});
