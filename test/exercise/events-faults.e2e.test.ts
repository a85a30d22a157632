/**
 * Events are never lost, end to end on the local target with faults injected: a real `up` of a
 * two-region stack, its functions invoked through the real Lambda SDK, their events through the local
 * EventBridge (forwarding, delivery with retries, the scheduled sweep), the CLI's `status` and
 * `verify events`. The faults are fixed when the cloud starts, so the scenarios share one cloud and run
 * in order, each counting on the calls the ones before it made (see FAULTS).
 *
 * Time scale 0.1 (not the tests' usual 0.002): the functions' own PutEvents resends run in real time
 * (1 to 3 s on a loaded machine: four calls, each retried by the SDK), so PutEvents' failure window
 * must outlast them to leave events to the sweep: 60 s × 0.1 = 6 s. The sweep then runs every 6 s (rate(1 minute) scaled) with a 3 s threshold
 * (`up` scales its 30 s the same way); transitions are shortened below so `up` stays quick.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ListTargetsByRuleCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { events, lambda, type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import type {
  BacklogAnswer,
  CreateAnswer,
  FunctionAnswer,
  ReceivedAnswer,
} from '../../src/lib/function-contract.js';
import type { FaultConfig } from '../../src/lib/local-cloud/index.js';
import type { RegionOutbox, StatusResult } from '../../src/lib/provision/results.js';
import { type CliResult, runCli } from '../support/cli.js';

const STACK = 'ev-faults';
const [EAST, WEST] = ['us-east-1', 'us-west-2'];
const ACCOUNT = '000000000000';
/** The rule delivering us-west-2's events to us-east-1's function. */
const EAST_DELIVER = `arn:aws:events:${EAST}:${ACCOUNT}:rule/${STACK}/${STACK}-deliver`;
/** How many of EAST_DELIVER's first deliveries fail (Lambda answering 500), for EventBridge to retry. */
const FAILED_DELIVERIES = 3;

/** PutEvents' failure window, in seconds of AWS time. */
const WINDOW_SECONDS = 60;

const FAULTS: FaultConfig = {
  timeScale: 0.1,
  durations: {
    'dsql:CreateCluster': 2,
    'dsql:UpdateCluster': 1,
    'dsql:DeleteCluster': 1,
    'dsql:IndexBuild': 1,
    'lambda:CreateFunction': 1,
    'lambda:Update': 1,
    'lambda:AsyncRetry': 2,
  },
  // 20 % of PutEvents calls answered ThrottlingException, evenly spread, for the cloud's whole life.
  throttle: { rate: 0.2, operations: ['events:PutEvents'] },
  failures: [
    // Every PutEvents for 60 s (scaled: 6 s) from the first one (none is made before the first create).
    // Twice the 30 s: on a loaded machine one create's resends took 3 s of real time.
    {
      operation: 'events:PutEvents',
      nth: 1,
      forSeconds: WINDOW_SECONDS,
      code: 'InternalException',
      status: 500,
    },
    // us-east-1's function "fails" its first deliveries: EventBridge retries them within the RetryPolicy.
    {
      operation: 'events:Deliver',
      resource: EAST_DELIVER,
      nth: 1,
      times: FAILED_DELIVERIES,
      code: 'ServiceException',
      status: 500,
    },
    // …and the one after the retried delivery, when its target allows no retry: dropped.
    {
      operation: 'events:Deliver',
      resource: EAST_DELIVER,
      nth: FAILED_DELIVERIES + 2,
      times: 1,
      code: 'ServiceException',
      status: 500,
    },
  ],
};

let cloud: PrivateCloud;
const functions = new Map<string, LambdaClient>();

const cli = (...args: string[]): Promise<CliResult> => runCli(args, cloud.env);

async function ok(...args: string[]): Promise<CliResult> {
  const result = await cli(...args);
  assert.equal(result.status, 0, `dsqlctl ${args.join(' ')}: ${result.stderr}${result.stdout}`);
  return result;
}

async function invoke<A extends FunctionAnswer>(region: string, payload: object): Promise<A> {
  const client = functions.get(region) ?? lambda(cloud.cloud, region);
  functions.set(region, client);
  const out = await client.send(
    new InvokeCommand({ FunctionName: `${STACK}-txn`, Payload: JSON.stringify(payload) }),
  );
  const answer = JSON.parse(new TextDecoder().decode(out.Payload));
  assert.equal(out.FunctionError, undefined, JSON.stringify(answer));
  assert.equal(answer.ok, true, JSON.stringify(answer));
  return answer as A;
}

const create = (region: string, id: string, amount = '1.00') =>
  invoke<CreateAnswer>(region, { operation: 'create', transactionId: id, amount });

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** How many times `region`'s function recorded each id's event (from the other region), polled until all are. */
async function recordedAt(region: string, ids: string[], timeoutMs: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await inParallel(
      ids.filter((id) => !counts.has(id)),
      4,
      async (id) => {
        const { events } = await invoke<ReceivedAnswer>(region, { operation: 'received', transactionId: id });
        if (events.length > 0) counts.set(id, events.length);
      },
    );
    if (counts.size === ids.length || Date.now() > deadline) return counts;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const deliveriesBy = (rule: string) =>
  cloud.cloud.requests().filter((e) => e.operation === 'Deliver' && e.rule === rule);

before(async () => {
  cloud = await startPrivateCloud(FAULTS);
  await ok('up', '--stack', STACK);
});

after(async () => {
  for (const client of functions.values()) client.destroy();
  await cloud?.stop();
});

describe('events are never lost, with faults injected', () => {
  it('PutEvents failing for 60 s (scaled): the backlog is in status, the sweep publishes it, each event recorded once', async () => {
    // The sweep held off (disabled by hand) so that status sees the backlog; `up` enables it again.
    const eventBridge = events(cloud.cloud, EAST);
    await eventBridge.send(
      new PutRuleCommand({ Name: `${STACK}-sweep`, ScheduleExpression: 'rate(1 minute)', State: 'DISABLED' }),
    );
    eventBridge.destroy();
    // Warm workers first, so the creates run at once, inside the window their first PutEvents opens.
    await Promise.all([1, 2, 3, 4].map(() => invoke(EAST, { operation: 'count' })));
    const ids = ['down-1', 'down-2', 'down-3', 'down-4'];
    const answers = await Promise.all(ids.map((id) => create(EAST, id)));
    // The window opened at the first PutEvents; each create resends for a second or more (four calls, each
    // retried by the SDK), so normally all four fail. Those still failing are what the sweep must publish.
    const left = answers.filter((a) => !a.eventPublished).map((a) => a.transaction.id);
    assert.ok(left.length >= 1, JSON.stringify(answers));
    for (const id of left) {
      assert.match(answers.find((a) => a.transaction.id === id)?.eventError ?? '', /InternalException/);
    }
    const opened = Date.parse(
      cloud.cloud.requests().find((e) => e.operation === 'PutEvents')?.time ?? new Date().toISOString(),
    );

    const status = JSON.parse((await ok('status', '--stack', STACK, '--json')).stdout).result as StatusResult;
    const east = status.outbox.find((o) => o.region === EAST) as RegionOutbox;
    assert.ok('unpublished' in east, JSON.stringify(east));
    assert.equal(east.unpublished, left.length);
    assert.ok(left.includes(east.oldestTransactionId ?? ''), JSON.stringify(east));
    assert.ok(east.oldestAgeSeconds !== null && east.oldestAgeSeconds >= 0, JSON.stringify(east));
    assert.deepEqual(
      status.resources.filter((r) => r.drift).map((r) => [r.id, r.drift?.reason]),
      [[`event-rule:${EAST}:sweep`, 'state is DISABLED']],
    );
    const human = await ok('status', '--stack', STACK);
    assert.match(
      human.stdout,
      new RegExp(`outbox us-east-1 +${left.length} unpublished, the oldest \\(transaction down-\\d\\)`),
    );
    assert.match(human.stdout, /outbox us-west-2 +every event published/);

    // Nothing reaches the peer while the sweep is off; once the window is over, up turns it on again.
    assert.equal((await recordedAt(WEST, left, 0)).size, 0);
    const closes = opened + WINDOW_SECONDS * 1000 * (FAULTS.timeScale ?? 1);
    await new Promise((r) => setTimeout(r, Math.max(0, closes + 200 - Date.now())));
    await ok('up', '--stack', STACK);
    const counts = await recordedAt(WEST, ids, 60_000);
    assert.deepEqual(
      ids.map((id) => [id, counts.get(id)]),
      ids.map((id) => [id, 1]),
      'each event recorded exactly once at the peer',
    );
    const backlog = await invoke<BacklogAnswer>(EAST, { operation: 'backlog' });
    assert.equal(backlog.unpublished, 0);
  });

  it("the peer's function failing its first deliveries: EventBridge's retries deliver the event later", async () => {
    const created = await create(WEST, 'retried-1');
    assert.equal(created.eventPublished, true);
    const counts = await recordedAt(EAST, ['retried-1'], 30_000);
    assert.equal(counts.get('retried-1'), 1);
    const attempts = deliveriesBy(EAST_DELIVER).map((e) => [e.attempt, e.status, e.outcome]);
    assert.deepEqual(attempts, [
      [1, 500, 'retrying'],
      [2, 500, 'retrying'],
      [3, 500, 'retrying'],
      [4, 202, undefined],
    ]);
  });

  it('with MaximumRetryAttempts 0 the failed delivery is dropped: verify events exits 5 naming it; up restores the policy', async () => {
    const eventBridge = events(cloud.cloud, EAST);
    const rule = { Rule: `${STACK}-deliver`, EventBusName: STACK };
    const { Targets = [] } = await eventBridge.send(new ListTargetsByRuleCommand(rule));
    await eventBridge.send(
      new PutTargetsCommand({
        ...rule,
        Targets: Targets.map((t) => ({
          ...t,
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 86_400 },
        })),
      }),
    );
    eventBridge.destroy();
    const broken = await cli('verify', 'events', '--stack', STACK, '--timeout', '5s', '--json');
    assert.equal(broken.status, 5, broken.stderr);
    const report = JSON.parse(broken.stdout).result;
    const lost = report.deliveries.find((d: { origin: string }) => d.origin === WEST);
    assert.equal(lost.eventPublished, true);
    assert.equal(lost.delivered, false);
    assert.ok(
      report.problems.some(
        (p: string) => p.includes(lost.transactionId) && /never reached us-east-1/.test(p),
      ),
      JSON.stringify(report.problems),
    );
    assert.equal(report.deliveries.find((d: { origin: string }) => d.origin === EAST).delivered, true);
    assert.deepEqual(
      deliveriesBy(EAST_DELIVER)
        .slice(FAILED_DELIVERIES + 1)
        .map((e) => [e.attempt, e.status, e.outcome]),
      [[1, 500, 'dropped']],
      'one attempt, no retry',
    );

    await ok('up', '--stack', STACK);
    await ok('verify', 'events', '--stack', STACK, '--timeout', '20s');
  });

  it('creates with 20 % of PutEvents calls throttled: every event recorded once at the peer', async () => {
    // 100 through the deployed stack (the function test runs 1,000 in-process, with the sweep doing more).
    const ids = Array.from({ length: 100 }, (_, i) => `bulk-${i}`);
    await inParallel(ids, 4, async (id) => {
      await create(EAST, id, '3.00');
    });
    const throttled = cloud.cloud
      .requests()
      .filter((e) => e.operation === 'PutEvents' && e.error === 'ThrottlingException');
    assert.ok(throttled.length >= 20, `PutEvents throttled ${throttled.length} times`);
    const counts = await recordedAt(WEST, ids, 60_000);
    assert.equal(counts.size, ids.length, 'every event reached the peer');
    assert.ok(
      [...counts.values()].every((n) => n === 1),
      'no duplicates',
    );
    assert.equal((await invoke<BacklogAnswer>(EAST, { operation: 'backlog' })).unpublished, 0);
  });
});
