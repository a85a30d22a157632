/**
 * The exercising commands on the local target before any stack exists: a bad input does not even start
 * the local cloud, and a missing stack is found with one IAM GetRole (in the local cloud's request log)
 * and no Lambda call.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { localTargetEnv, type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { type CliResult, runCli } from '../support/cli.js';

function cli(home: string, ...args: string[]): Promise<CliResult> {
  return runCli(args, localTargetEnv(home));
}

describe('local target, no stack deployed', () => {
  let root: string;
  let cloud: PrivateCloud;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'dsqlctl-exercise-local-'));
    cloud = await startPrivateCloud();
  });
  after(async () => {
    await cloud?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('a bad input never starts the local cloud', async () => {
    const home = join(root, 'untouched');
    for (const args of [
      ['txn', 'create', '--amount', 'abc'],
      ['txn', 'list', '--limit', '0'],
      ['verify', 'events', '--timeout', 'soon'],
    ]) {
      const result = await cli(home, ...args);
      assert.equal(result.status, 2, result.stderr);
    }
    assert.equal(existsSync(home), false, 'no local cloud home was created');
  });

  it('a missing stack: exit 2 with "run dsqlctl up", after one GetRole and no Invoke', async () => {
    const before = cloud.cloud.requests().length;
    for (const args of [
      ['txn', 'create', '--amount', '5'],
      ['txn', 'read'],
      ['txn', 'list'],
      ['txn', 'get', '--id', 'x'],
      ['verify', 'consistency'],
      ['verify', 'events'],
      ['txn', 'load', '--count', '5'],
    ]) {
      const result = await cli(cloud.home, ...args, '--stack', 'ghost');
      assert.equal(result.status, 2, result.stderr);
      // The advice repeats the target (DSQLCTL_TARGET=local here), so pasting it does not go to AWS.
      assert.match(result.stderr, /Stack "ghost" not found — run dsqlctl up --stack ghost --target local\n/);
    }
    const calls = cloud.cloud.requests().slice(before);
    assert.deepEqual(
      calls.map((c) => `${c.service}:${c.operation}:${c.error ?? 'ok'}`),
      Array(7).fill('iam:GetRole:NoSuchEntity'),
    );
  });
});
