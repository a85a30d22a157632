/**
 * Progress an operator can read, and interruptions that leave nothing a rerun cannot finish. A cluster
 * here takes 11 s to create (6 s to delete), so piped output must show heartbeat lines while it is
 * created, and a signal arrives while a step is in flight: SIGTERM during `up` exits 143, SIGINT during
 * `down` 130, each saying so, releasing the stack's lock, and the same command run again converges.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { iam, type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { formatElapsed, taskTitle } from '../../src/lib/provision/progress.js';
import type { Change } from '../../src/lib/provision/types.js';
import { runCli } from '../support/cli.js';
import { inventory, nothingLeft } from './inspect.js';

const REGION = ['us-east-1'];
let cloud: PrivateCloud;
before(async () => {
  cloud = await startPrivateCloud({
    timeScale: 0.002,
    durations: { 'dsql:CreateCluster': 5500, 'dsql:DeleteCluster': 3000 },
  });
});
after(() => cloud?.stop());

async function lockHeld(stack: string): Promise<boolean> {
  const client = iam(cloud.cloud);
  try {
    await client.send(new GetRoleCommand({ RoleName: `${stack}-lock` }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'NoSuchEntityException') return false;
    throw error;
  } finally {
    client.destroy();
  }
}

const INTERRUPTED = /Interrupted: stopping after in-flight calls; run the same command to resume/;

describe('progress and interruptions', () => {
  it('piped, a step still running prints a heartbeat line at least every 10 s', async () => {
    const up = await runCli(['up', '--stack', 'beat', '--regions', 'us-east-1'], cloud.env);
    assert.equal(up.status, 0, up.stderr);
    assert.match(up.stderr, /still creating dsql-cluster cluster of beat in us-east-1 \[1\ds elapsed\]/);
    // The cluster's own lines name its region.
    assert.match(up.stderr, /cluster \w+ in us-east-1: CREATING/);

    // SIGINT while down waits for the cluster's deletion: 130, and the rerun finishes.
    const down = await runCli(['down', '--stack', 'beat', '--yes'], cloud.env, {
      signalWhen: { stderr: /in us-east-1: DELETING/, signal: 'SIGINT' },
    });
    assert.equal(down.status, 130, down.stderr);
    assert.match(down.stderr, INTERRUPTED);
    assert.equal(await lockHeld('beat'), false, 'the lock is released');
    const again = await runCli(['down', '--stack', 'beat', '--yes'], cloud.env);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(await inventory(cloud.cloud, 'beat', REGION), nothingLeft(REGION));
  });

  it('SIGTERM during up: exit 143 with the message, lock released; the same command converges', async () => {
    const args = ['up', '--stack', 'term', '--regions', 'us-east-1'];
    const up = await runCli(args, cloud.env, {
      signalWhen: { stderr: /in us-east-1: CREATING/, signal: 'SIGTERM' },
    });
    assert.equal(up.status, 143, up.stderr);
    assert.match(up.stderr, INTERRUPTED);
    assert.match(up.stdout, /Stack term is not up/);
    // Nothing started after the signal: the function waits for the cluster, and was skipped.
    assert.match(up.stderr, /skipped lambda-function term-txn in us-east-1/);
    assert.equal(await lockHeld('term'), false, 'the lock is released');

    const rerun = await runCli(args, cloud.env);
    assert.equal(rerun.status, 0, rerun.stderr);
    const status = JSON.parse((await runCli(['status', '--stack', 'term', '--json'], cloud.env)).stdout);
    assert.equal(status.result.inSync, true);
    assert.deepEqual((await inventory(cloud.cloud, 'term', REGION)).clusters, { 'us-east-1': 1 });
  });

  it('a task not started names what it waits for; a running one its elapsed time', () => {
    const change = (
      id: string,
      kind: Change['kind'],
      name: string,
      region: string,
      dependsOn: string[] = [],
    ) => ({ id, kind, name, region, action: 'create', reason: 'absent', dependsOn }) as Change;
    const cluster = change('c', 'dsql-cluster', 'cluster of shop', 'us-east-1');
    const role = change('r', 'iam-role', 'shop-fn', 'global');
    const fn = change('f', 'lambda-function', 'shop-txn', 'us-east-1', ['c', 'r']);
    const byId = new Map([cluster, role, fn].map((c) => [c.id, c]));
    assert.equal(
      taskTitle(fn, byId, new Set(), undefined, 0),
      'create lambda-function shop-txn in us-east-1 (absent) — waiting for: cluster us-east-1, iam-role shop-fn',
    );
    assert.match(taskTitle(fn, byId, new Set(['r']), undefined, 0), /waiting for: cluster us-east-1$/);
    assert.match(taskTitle(fn, byId, new Set(['r', 'c']), 1000, 71_500), /\(absent\) \[1m10s\]$/);
    assert.equal(formatElapsed(9_999), '9s');
  });
});
