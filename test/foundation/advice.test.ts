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
});
