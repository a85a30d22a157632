/**
 * Crash safety: `up` killed with SIGKILL at 20 random instants, each kill followed by another run,
 * always converges to one stack (no duplicate cluster, function or rule), and `down` then leaves
 * nothing. The instants come from a seeded generator and are printed on failure.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import type { StatusResult } from '../../src/lib/provision/index.js';
import { runCli } from '../support/cli.js';
import { inventory, nothingLeft } from './inspect.js';

const REGIONS = ['us-east-1', 'us-west-2'];
const ROUNDS = 4;
const KILLS_PER_ROUND = 5;

let cloud: PrivateCloud;
before(async () => {
  cloud = await startPrivateCloud();
});
after(() => cloud.stop());

/** mulberry32: a small seeded PRNG, so a failing sequence of instants can be replayed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('crash safety', () => {
  it(`up killed at ${ROUNDS * KILLS_PER_ROUND} random instants always converges, and down leaves nothing`, async () => {
    const seed = Number(process.env.DSQLCTL_CRASH_SEED ?? Date.now() % 100000);
    const next = random(seed);
    // How long an uninterrupted up takes here bounds the instants.
    const started = Date.now();
    const first = await runCli(['up', '--stack', 'crash'], cloud.env);
    assert.equal(first.status, 0, first.stderr);
    const fullMs = Date.now() - started;
    const down = await runCli(['down', '--stack', 'crash', '--yes'], cloud.env);
    assert.equal(down.status, 0, down.stderr);

    const instants: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < KILLS_PER_ROUND; k++) {
        const at = Math.round(200 + next() * fullMs);
        instants.push(at);
        await runCli(['up', '--stack', 'crash'], cloud.env, { killAfterMs: at });
      }
      const context = `seed ${seed}, instants ${instants.join(',')} ms (full up ${fullMs} ms)`;
      const rerun = await runCli(['up', '--stack', 'crash'], cloud.env);
      assert.equal(rerun.status, 0, `${context}\n${rerun.stderr}`);
      const status = await runCli(['status', '--stack', 'crash', '--json'], cloud.env);
      const body = JSON.parse(status.stdout).result as StatusResult;
      assert.equal(body.inSync, true, `${context}\n${JSON.stringify(body.resources.filter((r) => r.drift))}`);
      const inv = await inventory(cloud.cloud, 'crash', REGIONS);
      assert.deepEqual(inv.clusters, { 'us-east-1': 1, 'us-west-2': 1 }, context);
      assert.deepEqual(inv.rules, {
        'us-east-1': ['crash-deliver', 'crash-forward', 'crash-sweep'],
        'us-west-2': ['crash-deliver', 'crash-forward', 'crash-sweep'],
      });
      const gone = await runCli(['down', '--stack', 'crash', '--yes'], cloud.env);
      assert.equal(gone.status, 0, `${context}\n${gone.stderr}`);
      assert.deepEqual(await inventory(cloud.cloud, 'crash', REGIONS), nothingLeft(REGIONS), context);
    }
  });

  it('down killed at random instants resumes on the next run and leaves nothing', async () => {
    const next = random(Number(process.env.DSQLCTL_CRASH_SEED ?? Date.now() % 100000) + 1);
    const up = await runCli(['up', '--stack', 'halfdown'], cloud.env);
    assert.equal(up.status, 0, up.stderr);
    const instants: number[] = [];
    for (let k = 0; k < 4; k++) {
      const at = Math.round(300 + next() * 1200);
      instants.push(at);
      await runCli(['down', '--stack', 'halfdown', '--yes'], cloud.env, { killAfterMs: at });
    }
    const down = await runCli(['down', '--stack', 'halfdown', '--yes'], cloud.env);
    assert.equal(down.status, 0, `instants ${instants.join(',')} ms\n${down.stderr}`);
    assert.deepEqual(
      await inventory(cloud.cloud, 'halfdown', REGIONS),
      nothingLeft(REGIONS),
      `instants ${instants.join(',')} ms`,
    );
  });

  it('down after a partial up (killed early) removes everything', async () => {
    await runCli(['up', '--stack', 'partial'], cloud.env, { killAfterMs: 1500 });
    const down = await runCli(['down', '--stack', 'partial', '--yes'], cloud.env);
    assert.equal(down.status, 0, down.stderr);
    assert.deepEqual((await inventory(cloud.cloud, 'partial', REGIONS)).clusters, {
      'us-east-1': 0,
      'us-west-2': 0,
    });
    assert.deepEqual((await inventory(cloud.cloud, 'partial', REGIONS)).roles, []);
  });
});
