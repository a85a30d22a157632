/**
 * The daemon supervises its PostgreSQL: killed with -9 under a deployed stack, it is noticed, reported
 * by `local status` (not "running" while down), restarted on the same data, and the next `txn read`
 * works — the stack's databases survived.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FAST, type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { type CliResult, runCli } from '../support/cli.js';

const STACK = 'db-supervised';
let cloud: PrivateCloud;

const cli = (...args: string[]): Promise<CliResult> => runCli(args, cloud.env);

interface Status {
  running: boolean;
  postgres: { pid: number; state: string };
}
async function status(): Promise<Status> {
  const result = await cli('local', 'status', '--json');
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout).result as Status;
}

before(async () => {
  cloud = await startPrivateCloud(FAST);
  const up = await cli('up', '--stack', STACK);
  assert.equal(up.status, 0, up.stderr + up.stdout);
});

after(async () => {
  await cli('down', '--yes', '--stack', STACK);
  await cloud?.stop();
});

describe('local cloud: PostgreSQL supervision', () => {
  it('restarts a PostgreSQL killed with -9 on the same data; txn read works after', async () => {
    const before = await status();
    assert.equal(before.postgres.state, 'running');
    const read = await cli('txn', 'read', '--stack', STACK, '--json');
    assert.equal(read.status, 0, read.stderr);

    process.kill(before.postgres.pid, 'SIGKILL');
    const deadline = Date.now() + 30_000;
    let now = await status();
    const seen = new Set<string>([now.postgres.state]);
    while (!(now.postgres.state === 'running' && now.postgres.pid !== before.postgres.pid)) {
      assert.ok(Date.now() < deadline, `PostgreSQL not restarted: ${JSON.stringify(now.postgres)}`);
      await new Promise((r) => setTimeout(r, 100));
      now = await status();
      seen.add(now.postgres.state);
    }
    assert.ok(!seen.has('failed'), [...seen].join(', '));
    const human = await cli('local', 'status');
    assert.match(human.stdout, /Local cloud running/);

    const again = await cli('txn', 'read', '--stack', STACK, '--json');
    assert.equal(again.status, 0, again.stderr + again.stdout);
    assert.deepEqual(
      (JSON.parse(again.stdout) as { result: { answer: unknown } }).result.answer,
      (JSON.parse(read.stdout) as { result: { answer: unknown } }).result.answer,
    );
  });
});
