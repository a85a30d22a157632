/**
 * Waits that notice the world changed: a function deleted while `up` waits for it to become Active,
 * and a local cloud killed while `up` waits, are failures with their true cause at once, not "not
 * ready yet" until the wait's limit (set here to 20 s, so the old behaviour fails the test as a timeout).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { DeleteFunctionCommand } from '@aws-sdk/client-lambda';
import { FAST, lambda, type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { runCli } from '../support/cli.js';

// CreateFunction leaves the function Pending for 6 s at the FAST time scale: the window to act in.
const SLOW_FUNCTION = { ...FAST, durations: { 'lambda:CreateFunction': 3000 } };
const ENV = { DSQLCTL_WAIT_TIMEOUT_SECONDS: '20' };

let cloud: PrivateCloud | undefined;
afterEach(async () => {
  await cloud?.stop().catch(() => {});
  cloud = undefined;
});

/** Resolves once the local cloud has answered a CreateFunction without error (bounded: a hang guard). */
async function functionCreated(c: PrivateCloud): Promise<void> {
  for (let i = 0; i < 2400; i++) {
    if (c.cloud.requests().some((r) => r.operation === 'CreateFunction' && !r.error)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('up never created its function');
}

describe('waits that notice the world changed', () => {
  it('a function deleted while up waits for Active: up fails at once, naming the deletion', async () => {
    const c = await startPrivateCloud(SLOW_FUNCTION);
    cloud = c;
    const up = runCli(['up', '--stack', 'hang1', '--regions', 'eu-west-1'], { ...c.env, ...ENV });
    await functionCreated(c);
    const client = lambda(c.cloud, 'eu-west-1');
    await client.send(new DeleteFunctionCommand({ FunctionName: 'hang1-txn' }));
    client.destroy();
    const result = await up;
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /function hang1-txn in eu-west-1 was deleted while dsqlctl waited for it/);
    assert.doesNotMatch(result.stderr, /Timed out/);
  });

  it('the local cloud killed while up waits: up fails at once with the refused connection, not a timeout', async () => {
    const c = await startPrivateCloud(SLOW_FUNCTION);
    cloud = c;
    const up = runCli(['up', '--stack', 'hang2', '--regions', 'eu-west-1'], { ...c.env, ...ENV });
    await functionCreated(c);
    process.kill(c.cloud.pid, 'SIGKILL');
    const result = await up;
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /in eu-west-1 could not connect: the endpoint refused the connection/);
    assert.match(result.stderr, /the local cloud has stopped \(dsqlctl local start/);
    assert.doesNotMatch(result.stderr, /Timed out/);
  });
});
