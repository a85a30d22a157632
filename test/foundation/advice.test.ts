// Advice that works when pasted: every suggested command repeats the run's --target and --profile.
// The CLI cases are refused before any call (no local cloud, no AWS); the source check makes every
// runnable suggestion in src/ go through advice.ts's suggest().
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { contextFlags, recordInvocation, suggest } from '../../src/lib/advice.js';
import { runCli } from '../support/cli.js';

const SRC = new URL('../../src/', import.meta.url).pathname;

describe('advice repeats the flags that matter', () => {
  test('down without a terminal advises the same target with --yes', async () => {
    const local = await runCli(['down', '--stack', 'shop', '--target', 'local'], {});
    assert.equal(local.status, 2);
    assert.match(local.stderr, /Pass --yes to confirm: dsqlctl down --stack shop --target local --yes\n/);

    const fromEnv = await runCli(['down', '--stack', 'shop'], { DSQLCTL_TARGET: 'local' });
    assert.match(fromEnv.stderr, /dsqlctl down --stack shop --target local --yes\n/);

    const profile = await runCli(['down', '--stack', 'shop', '--profile', 'ops'], {});
    assert.match(profile.stderr, /dsqlctl down --stack shop --profile ops --yes\n/);

    const plain = await runCli(['down', '--stack', 'shop'], {});
    assert.match(plain.stderr, /dsqlctl down --stack shop --yes\n/);
  });

  test('suggest: target unless the default, then the profile, then the last flag', () => {
    const saved = process.env.DSQLCTL_TARGET;
    delete process.env.DSQLCTL_TARGET;
    try {
      recordInvocation({ target: 'aws' });
      assert.equal(suggest('status --stack s'), 'dsqlctl status --stack s');
      recordInvocation({ target: 'local', profile: 'p' });
      assert.equal(
        suggest('down --stack s', { last: '--yes' }),
        'dsqlctl down --stack s --target local --profile p --yes',
      );
      // With DSQLCTL_TARGET=local in the environment, an aws run must say so explicitly.
      process.env.DSQLCTL_TARGET = 'local';
      recordInvocation({ target: 'aws' });
      assert.equal(contextFlags(), ' --target aws');
    } finally {
      if (saved === undefined) delete process.env.DSQLCTL_TARGET;
      else process.env.DSQLCTL_TARGET = saved;
      recordInvocation({});
    }
  });

  test('no runnable "dsqlctl <command> --flag" is written outside advice.ts', () => {
    const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts') && !f.startsWith('lib/local-cloud/') && f !== 'lib/advice.ts',
    );
    const runnable = /dsqlctl (up|down|status|txn \w+|verify(?: \w+)?|local \w+) --/;
    const offenders = files.flatMap((f) =>
      readFileSync(join(SRC, f), 'utf8')
        .split('\n')
        .filter((line) => runnable.test(line) && !/^\s*(\*|\/\/)/.test(line))
        .map((line) => `${f}: ${line.trim()}`),
    );
    assert.deepEqual(offenders, []);
  });

  test('every command named in a message ("run dsqlctl …", `dsqlctl …`) exists', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8'));
    const commands = new Set(Object.keys(manifest.commands).map((id) => id.replaceAll(':', ' ')));
    const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    // What a person would paste: after "run"/"with:", an inline `code span`, or the argument of suggest().
    const named =
      /(?:[Rr]un |with: )dsqlctl ([a-z-]+(?: [a-z-]+)?)|`dsqlctl ([a-z-]+(?: [a-z-]+)?)[^`$]*`|suggest\(`([a-z-]+(?: [a-z-]+)?)/g;
    /(?:[Rr]un |with: |`|suggest\(`)dsqlctl ([a-z-]+(?: [a-z-]+)?)|suggest\(`([a-z-]+(?: [a-z-]+)?)/g;
    const unknown: string[] = [];
    for (const f of files) {
      for (const line of readFileSync(join(SRC, f), 'utf8').split('\n')) {
        if (/^\s*(\*|\/\/)/.test(line)) continue;
        for (const match of line.matchAll(named)) {
          const words = (match[1] ?? match[2] ?? match[3] ?? '').split(' ');
          const known = commands.has(words.join(' ')) || commands.has(words[0] ?? '');
          if (!known) unknown.push(`${f}: dsqlctl ${words.join(' ')}`);
        }
      }
    }
    assert.deepEqual(unknown, []);
  });
});
