/**
 * Crash safety: `up` killed with SIGKILL at 20 random instants, each kill followed by another run,
 * always converges to one stack (no duplicate cluster, function or rule), and `down` then leaves
 * nothing; and `down` killed at 20 random instants (spread over a measured full down), each followed by
 * a rerun, leaves nothing of the stack (counted through the SDK and the tag-based leak detector). The
 * instants come from a seeded generator (DSQLCTL_CRASH_SEED replays them) and are printed on failure.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { down, type StatusResult, status, up } from '../../src/lib/provision/index.js';
import { plainReporter } from '../../src/lib/provision/progress.js';
import { DEFAULT_WITNESS, validateTopology } from '../../src/lib/stack.js';
import { resolveTarget } from '../../src/lib/target.js';
import { runCli } from '../support/cli.js';
import { inventory, nothingLeft } from './inspect.js';

const REGIONS = ['us-east-1', 'us-west-2'];
const ROUNDS = 4;
const KILLS_PER_ROUND = 5;
const DOWN_TRIALS = 20;

let cloud: PrivateCloud;
before(async () => {
  cloud = await startPrivateCloud();
  // The in-process runs (setup ups, reruns of down) use the same cloud as the CLI children.
  Object.assign(process.env, cloud.env);
});
const quiet = async () => plainReporter(() => {});
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
  it(`up killed at ${ROUNDS * KILLS_PER_ROUND} random instants always converges, and down leaves nothing`, async (t) => {
    const seed = Number(process.env.DSQLCTL_CRASH_SEED ?? Date.now() % 100000);
    t.diagnostic(`seed ${seed}`);
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

  it(`down killed at ${DOWN_TRIALS} random instants, each followed by a rerun: 0 leaked`, async (t) => {
    const seed = Number(process.env.DSQLCTL_CRASH_SEED ?? Date.now() % 100000);
    t.diagnostic(`seed ${seed}`);
    const next = random(seed + 1); // not the up test's sequence
    // How long an uninterrupted down takes here (CLI start included) bounds the instants.
    const setup = await runCli(['up', '--stack', 'halfdown'], cloud.env);
    assert.equal(setup.status, 0, setup.stderr);
    const started = Date.now();
    const full = await runCli(['down', '--stack', 'halfdown', '--yes'], cloud.env);
    assert.equal(full.status, 0, full.stderr);
    const fullMs = Date.now() - started;
    const target = await resolveTarget({ kind: 'local' });
    // Parallel lanes of stacks in the one cloud; each trial: an up, a down killed at its instant, a
    // full down, then the count of what is left of the stack.
    const trials = Array.from({ length: DOWN_TRIALS }, (_, k) => ({
      stack: `hd${k}`,
      at: Math.round(next() * fullMs),
    }));
    const context = `seed ${seed}, instants ${trials.map((t) => t.at).join(',')} ms (full down ${fullMs} ms)`;
    const leaks: string[] = [];
    const lane = async (mine: typeof trials) => {
      for (const { stack, at } of mine) {
        const built = await up(target, {
          stack,
          topology: validateTopology(REGIONS, DEFAULT_WITNESS),
          dryRun: false,
          reporter: quiet,
          notice: () => {},
        });
        assert.equal(built.error, undefined, `${stack}: ${JSON.stringify(built.error)}`);
        const killed = await runCli(['down', '--stack', stack, '--yes'], cloud.env, { killAfterMs: at });
        const rerun = await down(target, {
          stack,
          reporter: quiet,
          confirm: async () => true,
          notice: () => {},
        });
        assert.equal(
          rerun.error,
          undefined,
          `${stack} after a kill at ${at} ms (${killed.status}): ${JSON.stringify(rerun.error)}\n${context}`,
        );
        const left = await inventory(cloud.cloud, stack, REGIONS);
        const tagged = await status(target, stack);
        if (
          JSON.stringify(left) !== JSON.stringify(nothingLeft(REGIONS)) ||
          tagged.exists ||
          tagged.orphaned.length > 0
        ) {
          leaks.push(`${stack} (killed at ${at} ms): ${JSON.stringify({ left, orphaned: tagged.orphaned })}`);
        }
      }
    };
    await Promise.all([0, 1, 2].map((l) => lane(trials.filter((_, k) => k % 3 === l))));
    assert.deepEqual(leaks, [], `${leaks.length} of ${DOWN_TRIALS} trials leaked; ${context}`);
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
