/**
 * Concurrent commands on one stack take turns through its lock (lock.ts): `up` racing `down`, and two
 * first `up`s at once, never leave a leaked or half-built stack. The issue asks for 10 runs of each
 * race; the suite's 2-minute budget allows 3 of up-versus-down (each trial a full single-region up and
 * down on the FAST time scale) and one of up-versus-up made certain to overlap.
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
      assert.deepEqual(await inventory(cloud.cloud, stack, [REGION]), nothingLeft([REGION]), stack);
    }
  });

  it('two first ups at once: the second waits for the lock of the first, and the stack is in sync', async () => {
    // Its own cloud, where a cluster takes 10 s to create, so the first up surely holds the lock
    // while the second starts: the second is started once the first has created its cluster.
    const slow = await startPrivateCloud({ ...FAST, durations: { 'dsql:CreateCluster': 5000 } });
    try {
      const stack = 'twin';
      const a = runCli(['up', '--stack', stack, '--regions', REGION], slow.env);
      for (let i = 0; !slow.cloud.requests().some((r) => r.operation === 'CreateCluster' && !r.error); i++) {
        assert.ok(i < 1200, 'the first up never created its cluster'); // a hang guard, 60 s
        await sleep(50);
      }
      const b = runCli(['up', '--stack', stack, '--regions', REGION], slow.env);
      const [first, second] = await Promise.all([a, b]);
      assert.equal(first.status, 0, first.stderr);
      assert.equal(second.status, 0, second.stderr);
      assert.match(second.stderr, new RegExp(`waiting for stack ${stack}'s lock, held by up pid \\d+`));
      const status = await runCli(['status', '--stack', stack, '--json'], slow.env);
      assert.equal(
        (JSON.parse(status.stdout) as { result: StatusResult }).result.inSync,
        true,
        status.stdout,
      );
      const down = await runCli(['down', '--stack', stack, '--yes'], slow.env);
      assert.equal(down.status, 0, down.stderr);
    } finally {
      await slow.stop();
    }
  });
});
