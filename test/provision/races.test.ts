/**
 * Concurrent commands on one stack take turns through its lock (lock.ts): `up` racing `down`, and two
 * first `up`s at once, never leave a leaked or half-built stack. The issue asks for 10 runs of each
 * race; the suite's 2-minute budget allows 3 of up-versus-down and 2 of up-versus-up (each trial a
 * full single-region up and down on the FAST time scale).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FAST, type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import type { StatusResult } from '../../src/lib/provision/index.js';
import { runCli } from '../support/cli.js';
import { inventory, nothingLeft } from './inspect.js';

const REGION = 'eu-west-1';
let cloud: PrivateCloud;

before(async () => {
  cloud = await startPrivateCloud(FAST);
});
after(() => cloud.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('concurrent commands on one stack', () => {
  it('up racing down, then down again: nothing is left, 3 trials at random offsets', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const stack = `rc${trial}`;
      const up = runCli(['up', '--stack', stack, '--regions', REGION], cloud.env);
      await sleep(100 + Math.random() * 500);
      const down = await runCli(['down', '--stack', stack, '--yes'], cloud.env);
      const upResult = await up;
      assert.equal(upResult.status, 0, upResult.stderr);
      assert.equal(down.status, 0, down.stderr);
      const again = await runCli(['down', '--stack', stack, '--yes'], cloud.env);
      assert.equal(again.status, 0, again.stderr);
      assert.deepEqual(await inventory(cloud.cloud.endpoint, stack, [REGION]), nothingLeft([REGION]), stack);
    }
  });

  it('two first ups at once: both succeed (the second waits), and the stack is in sync', async () => {
    for (let trial = 0; trial < 2; trial++) {
      const stack = `twin${trial}`;
      const [a, b] = await Promise.all([
        runCli(['up', '--stack', stack, '--regions', REGION], cloud.env),
        runCli(['up', '--stack', stack, '--regions', REGION], cloud.env),
      ]);
      assert.equal(a.status, 0, a.stderr);
      assert.equal(b.status, 0, b.stderr);
      assert.match(a.stderr + b.stderr, new RegExp(`waiting for stack ${stack}'s lock, held by up pid \\d+`));
      const status = await runCli(['status', '--stack', stack, '--json'], cloud.env);
      assert.equal(
        (JSON.parse(status.stdout) as { result: StatusResult }).result.inSync,
        true,
        status.stdout,
      );
      const down = await runCli(['down', '--stack', stack, '--yes'], cloud.env);
      assert.equal(down.status, 0, down.stderr);
    }
  });
});
