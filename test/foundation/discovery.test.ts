// Help and discovery: -h and `help [command]` (oclif's plugin-help), a typo named with the closest
// command, an unknown flag in one line naming the valid ones, shell completion (plugin-autocomplete),
// and flag errors with --json as the one small envelope (exit 2), never oclif's parse internals.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../support/cli.js';

// Completion writes its cache under the XDG cache home: a private one, never the developer's.
const env = { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'dsqlctl-discovery-')), DSQLCTL_TARGET: 'aws' };
const cli = (...args: string[]) => runCli(args, env);

describe('help and discovery', () => {
  test('-h is the help, as --help is', async () => {
    const [short, long] = await Promise.all([cli('txn', 'create', '-h'), cli('txn', 'create', '--help')]);
    assert.equal(short.status, 0, short.stderr);
    assert.equal(short.stdout, long.stdout);
    assert.match(short.stdout, /USAGE\n\s+\$ dsqlctl txn create --amount <value>/);
  });

  test('dsqlctl help and dsqlctl help <command>', async () => {
    const all = await cli('help');
    assert.equal(all.status, 0, all.stderr);
    assert.match(all.stdout, /COMMANDS|TOPICS/);
    const one = await cli('help', 'verify', 'events');
    assert.equal(one.status, 0, one.stderr);
    assert.match(one.stdout, /--timeout/);
  });

  test('a typo names the closest command in one line, exit 127', async () => {
    const typo = await cli('stauts');
    assert.equal(typo.status, 127);
    assert.equal(
      typo.stderr,
      'Error: "stauts" is not a dsqlctl command. Did you mean: dsqlctl status? (dsqlctl help lists them)\n',
    );
    const nested = await cli('txn', 'craete', '--amount', '1');
    assert.match(nested.stderr, /Did you mean: dsqlctl txn create\?/);
  });

  test('an unknown flag: one line naming the valid flags, exit 2, no help page', async () => {
    const result = await cli('txn', 'create', '--amount', '1', '--bogus');
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(
      result.stderr,
      /Unknown flag: --bogus for dsqlctl txn create; valid flags: --stack, --region, --logs, --amount, --id, --target, --profile, --json/,
    );
  });

  test('shell completion: instructions and a script for bash and zsh', async () => {
    const bash = await cli('autocomplete', 'bash');
    assert.equal(bash.status, 0, bash.stderr);
    assert.match(bash.stdout, /dsqlctl autocomplete script bash/);
    const script = await cli('autocomplete', 'script', 'zsh');
    assert.equal(script.status, 0, script.stderr);
    assert.match(script.stdout, /dsqlctl/);
  });
});

describe('flag errors with --json', () => {
  for (const args of [
    ['up', '--region', 'x'],
    ['txn', 'create'],
    ['status', '--target', 'lcoal'],
  ]) {
    test(`dsqlctl ${args.join(' ')} --json: the small error envelope, exit 2`, async () => {
      const result = await cli(...args, '--json');
      assert.equal(result.status, 2, result.stderr);
      assert.ok(result.stdout.length < 1000, `${result.stdout.length} bytes`);
      const body = JSON.parse(result.stdout);
      assert.deepEqual(Object.keys(body).sort(), [
        'command',
        'error',
        'exitCode',
        'result',
        'schemaVersion',
        'status',
        'target',
        'warnings',
      ]);
      assert.equal(body.status, 'failed');
      assert.equal(body.exitCode, 2);
      assert.deepEqual(Object.keys(body.error).sort(), ['exitCode', 'message', 'name']);
      assert.equal(body.error.name, 'UsageError');
      assert.doesNotMatch(result.stdout, /oclif|pjson/);
    });
  }
});
