/**
 * Concurrent commands on one stack take turns through its lock (lock.ts): `up` racing `down`, and two
 * first `up`s at once, never leave a leaked or half-built stack. Each race runs 10 times, as the issue
 * asks: the trials run on a few parallel stacks at a time in one cloud (FAST time scale, one region),
 * which is what keeps them affordable.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { FAST, iam, type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import type { StatusResult } from '../../src/lib/provision/index.js';
import { runCli } from '../support/cli.js';
import { inventory, nothingLeft } from './inspect.js';

const REGION = 'eu-west-1';
const TRIALS = 10;
let cloud: PrivateCloud;

before(async () => {
  cloud = await startPrivateCloud(FAST);
});
after(() => cloud.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const trials = (prefix: string) => Array.from({ length: TRIALS }, (_, k) => ({ k, stack: `${prefix}${k}` }));
/** Trials on LANES stacks at a time: parallel enough to be quick, not so many CLIs that the daemon starves. */
const LANES = 3;
async function inLanes<T, R>(items: T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await run(items[i] as T);
  };
  await Promise.all(Array.from({ length: LANES }, lane));
  return results;
}

describe('concurrent commands on one stack', () => {
  it(`up & sleep 0.18; down; down leaves nothing, ${TRIALS} trials (offsets 0.18 s and up)`, async () => {
    // The 0.18 s, then later offsets: down then meets up at every stage of its run.
    const results = await inLanes(trials('rc'), async ({ k, stack }) => {
      const up = runCli(['up', '--stack', stack, '--regions', REGION], cloud.env);
      await sleep(180 + k * 120);
      const down = await runCli(['down', '--stack', stack, '--yes'], cloud.env);
      const upResult = await up;
      const again = await runCli(['down', '--stack', stack, '--yes'], cloud.env);
      return { stack, upResult, down, again, left: await inventory(cloud.cloud, stack, [REGION]) };
    });
    for (const { stack, upResult, down, again, left } of results) {
      assert.equal(upResult.status, 0, `${stack}: ${upResult.stderr}`);
      assert.equal(down.status, 0, `${stack}: ${down.stderr}`);
      assert.equal(again.status, 0, `${stack}: ${again.stderr}`);
      assert.deepEqual(left, nothingLeft([REGION]), stack);
    }
  });

  it(`two first ups at once: the second waits for the first's lock and the stack is in sync, ${TRIALS} trials`, async () => {
    // Its own cloud, where a cluster takes 4 s to create, so the first up surely holds the lock while
    // the second starts: the second is started once the first holds the stack's lock (its IAM role).
    const slow = await startPrivateCloud({ ...FAST, durations: { 'dsql:CreateCluster': 2000 } });
    const client = iam(slow.cloud);
    const holdsLock = (stack: string) =>
      client.send(new GetRoleCommand({ RoleName: `${stack}-lock` })).then(
        () => true,
        () => false,
      );
    try {
      const results = await inLanes(trials('twin'), async ({ stack }) => {
        const a = runCli(['up', '--stack', stack, '--regions', REGION], slow.env);
        for (let i = 0; !(await holdsLock(stack)); i++) {
          assert.ok(i < 1200, `the first up of ${stack} never took its lock`); // a hang guard, 60 s
          await sleep(50);
        }
        const b = runCli(['up', '--stack', stack, '--regions', REGION], slow.env);
        const [first, second] = await Promise.all([a, b]);
        const status = await runCli(['status', '--stack', stack, '--json'], slow.env);
        const down = await runCli(['down', '--stack', stack, '--yes'], slow.env);
        return { stack, first, second, status, down };
      });
      for (const { stack, first, second, status, down } of results) {
        assert.equal(first.status, 0, `${stack}: ${first.stderr}`);
        assert.equal(second.status, 0, `${stack}: ${second.stderr}`);
        assert.match(second.stderr, new RegExp(`waiting for stack ${stack}'s lock, held by up pid \\d+`));
        assert.doesNotMatch(first.stderr + second.stderr, /already exists/);
        const body = (JSON.parse(status.stdout) as { result: StatusResult }).result;
        assert.equal(body.inSync, true, `${stack}: ${status.stdout}`);
        assert.equal(down.status, 0, `${stack}: ${down.stderr}`);
      }
    } finally {
      client.destroy();
      await slow.stop();
    }
  });
});
