/**
 * dsqlctl.config.json: found from the working directory upward, the command line beats the
 * environment beats the file beats the default, and a file that cannot be used is exit 2 naming the
 * file and the field. The CLI cases run the built CLI in a folder holding the file; `down` without a
 * terminal refuses before any AWS call, and its advice shows the stack and target it resolved.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfigFile, resolveSettings } from '../../src/lib/config-file.js';
import { UsageError } from '../../src/lib/errors.js';
import { runCli } from '../support/cli.js';

const root = mkdtempSync(join(tmpdir(), 'dsqlctl-config-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A project folder with `document` in its dsqlctl.config.json and a nested working directory. */
function project(name: string, document: string): { dir: string; file: string; nested: string } {
  const dir = join(root, name);
  const nested = join(dir, 'src', 'deep');
  mkdirSync(nested, { recursive: true });
  const file = join(dir, 'dsqlctl.config.json');
  writeFileSync(file, document);
  return { dir, file, nested };
}

describe('finding the config file', () => {
  it('is found from a working directory two levels below it; the nearest file wins', async () => {
    const { file, nested } = project('upward', '{"stack": "shop", "regions": ["us-east-1", "us-west-2"]}');
    assert.deepEqual(await loadConfigFile(nested), {
      path: file,
      values: { stack: 'shop', regions: 'us-east-1,us-west-2' },
    });
    const nearer = join(nested, 'dsqlctl.config.json');
    writeFileSync(nearer, '{"stack": "inner"}');
    assert.deepEqual(await loadConfigFile(nested), { path: nearer, values: { stack: 'inner' } });
  });

  it('is absent when no folder up to the root has one', async () => {
    const dir = join(root, 'none');
    mkdirSync(dir);
    assert.equal(await loadConfigFile(dir), undefined);
  });
});

describe('precedence', () => {
  const { nested, file } = project(
    'precedence',
    '{"stack": "from-file", "target": "local", "profile": "filed"}',
  );
  const defined = new Set(['stack', 'target', 'profile', 'regions']);

  it('a flag beats the environment, which beats the file, which beats the default', async () => {
    const settings = await resolveSettings({
      defined,
      flagged: { stack: 'typed', target: 'aws', profile: undefined, regions: 'us-east-1,us-west-2' },
      given: new Set(['stack']),
      cwd: nested,
      env: { DSQLCTL_TARGET: 'aws' },
    });
    assert.deepEqual(settings, {
      stack: { value: 'typed', source: { from: 'flag' } },
      target: { value: 'aws', source: { from: 'env', variable: 'DSQLCTL_TARGET' } },
      profile: { value: 'filed', source: { from: 'file', path: file } },
      regions: { value: 'us-east-1,us-west-2', source: { from: 'default' } },
    });
  });

  it('AWS_PROFILE beats the file; a typed --target beats DSQLCTL_TARGET; settings the command lacks are left out', async () => {
    const settings = await resolveSettings({
      defined: new Set(['target', 'profile']),
      flagged: { target: 'local' },
      given: new Set(['target']),
      cwd: nested,
      env: { DSQLCTL_TARGET: 'aws', AWS_PROFILE: 'ops' },
    });
    assert.deepEqual(settings, {
      target: { value: 'local', source: { from: 'flag' } },
      profile: { value: 'ops', source: { from: 'env', variable: 'AWS_PROFILE' } },
    });
  });
});

describe('a config file that cannot be used', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['invalid JSON', '{"stack": "shop",', /not valid JSON/],
    ['an unknown key', '{"stack": "shop", "colour": "blue"}', /unknown key "colour"/],
    ['a wrong type', '{"regions": "us-east-1"}', /field "regions": must be a list of region names/],
    ['a bad stack name', '{"stack": "Shop"}', /field "stack": must be 1–32 lowercase/],
    ['an unknown target', '{"target": "lcoal"}', /field "target": must be one of aws, local/],
    [
      'three regions',
      '{"regions": ["us-east-1", "us-west-2", "us-east-2"]}',
      /field "regions": has more than two/,
    ],
    ['an empty file', '', /is empty/],
    ['a list', '["shop"]', /must be a JSON object/],
  ];
  for (const [what, document, problem] of cases) {
    it(`${what}: a usage error naming the file and the problem`, async () => {
      const { file, nested } = project(`bad-${what.replaceAll(' ', '-')}`, document);
      await assert.rejects(
        () => loadConfigFile(nested),
        (error: Error) =>
          error instanceof UsageError && error.message.includes(file) && problem.test(error.message),
      );
    });
  }
});

describe('every command honours the file (the built CLI)', () => {
  const env = {};

  it('stack and target come from the file; a typed --stack beats it; DSQLCTL_TARGET beats its target', async () => {
    const { nested } = project('cli', '{"stack": "shop", "target": "local"}');
    const fromFile = await runCli(['down'], env, { cwd: nested });
    assert.equal(fromFile.status, 2, fromFile.stderr);
    assert.match(
      fromFile.stderr,
      /Refusing to delete stack shop .*\n.*dsqlctl down --stack shop --target local --yes/,
    );

    const typed = await runCli(['down', '--stack', 'other'], env, { cwd: nested });
    assert.match(typed.stderr, /dsqlctl down --stack other --target local --yes/);

    const envWins = await runCli(['down'], { DSQLCTL_TARGET: 'aws' }, { cwd: nested });
    assert.match(envWins.stderr, /dsqlctl down --stack shop --yes/);
  });

  it('a bad file: exit 2 naming the file and the field, in the JSON envelope too', async () => {
    const { file, nested } = project('cli-bad', '{"stack": 7}');
    const human = await runCli(['status'], env, { cwd: nested });
    assert.equal(human.status, 2);
    assert.ok(human.stderr.includes(`Invalid config file ${file}: field "stack"`), human.stderr);
    const json = await runCli(['txn', 'read', '--json'], env, { cwd: nested });
    assert.equal(json.status, 2);
    const body = JSON.parse(json.stdout);
    assert.equal(body.error.name, 'UsageError');
    assert.equal(body.exitCode, 2);
    assert.match(body.error.message, /field "stack"/);
  });
});
