// Publishing `Transaction Created` through the real EventBridge SDK client to a stand-in that speaks
// PutEvents (awsJson1_1) and fails chosen entries: partial FailedEntryCount, resends, and the truth
// told in `eventPublished` when EventBridge never accepts the event.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EventPublisher, type OutboxEvent } from '../../lambda-bundle/src/events.js';
import type { CreateAnswer } from '../../src/lib/function-contract.js';
import { BUS, REGION, startFakeEventBridge, startTestFunction, type TestFunction } from './support.js';

const FAST = { maxCalls: 4, baseDelayMs: 1, maxDelayMs: 5 };

let fixture: TestFunction;

before(async () => {
  fixture = await startTestFunction('events', { publishPolicy: FAST });
});

after(() => fixture?.stop());

function detail(transactionId: string): OutboxEvent {
  const timestamp = '2026-11-27T14:00:00.000Z';
  const body = {
    transactionId,
    amount: '1.00',
    region: REGION,
    originRegion: REGION,
    operation: 'create',
    timestamp,
  };
  return { transactionId, detail: JSON.stringify(body), time: timestamp };
}

const idOf = (entry: { Detail: string }) => JSON.parse(entry.Detail).transactionId as string;

test('a partial FailedEntryCount resends only the failed entries', async () => {
  fixture.events.calls.length = 0;
  fixture.events.accepted.length = 0;
  // Call 1 fails b and c; call 2 fails c again; call 3 accepts it.
  fixture.events.failWith((call, entry) => {
    const id = idOf(entry);
    if (call === 1 && (id === 'b' || id === 'c')) return 'ThrottlingException';
    if (call === 2 && id === 'c') return 'InternalFailure';
    return undefined;
  });
  const publisher = new EventPublisher(BUS, REGION, FAST);
  try {
    const outcome = await publisher.publish([detail('a'), detail('b'), detail('c')]);
    assert.deepEqual(outcome, { accepted: ['a', 'b', 'c'], failed: new Map(), calls: 3 });
    assert.deepEqual(
      fixture.events.calls.map((c) => c.map(idOf)),
      [['a', 'b', 'c'], ['b', 'c'], ['c']],
    );
    assert.deepEqual(fixture.events.accepted.map(idOf).sort(), ['a', 'b', 'c'], 'each accepted exactly once');
  } finally {
    publisher.destroy();
    fixture.events.failWith(undefined);
  }
});

test('create resends a failed event and reports it published', async () => {
  fixture.events.calls.length = 0;
  fixture.events.failWith((call) => (call === 1 ? 'ThrottlingException' : undefined));
  try {
    const answer = (await fixture.fn.handler({
      operation: 'create',
      amount: '3.50',
      transactionId: 'ev-retry',
    })) as CreateAnswer;
    assert.equal(answer.ok, true);
    assert.equal(answer.created, true);
    assert.equal(answer.eventPublished, true);
    assert.equal(answer.eventError, undefined);
    assert.equal(fixture.events.calls.length, 2, 'one failed call, one resend');
    assert.deepEqual(
      fixture.events.calls.map((c) => c.map(idOf)),
      [['ev-retry'], ['ev-retry']],
    );
  } finally {
    fixture.events.failWith(undefined);
  }
});

test('when EventBridge never accepts the event, the answer says so and the row stays committed', async () => {
  fixture.events.calls.length = 0;
  fixture.events.failWith(() => 'InternalFailure');
  try {
    const answer = (await fixture.fn.handler({
      operation: 'create',
      amount: '4.00',
      transactionId: 'ev-lost',
    })) as CreateAnswer;
    assert.equal(answer.ok, true);
    assert.equal(answer.created, true);
    assert.equal(answer.eventPublished, false);
    assert.match(answer.eventError ?? '', /InternalFailure/);
    assert.equal(fixture.events.calls.length, FAST.maxCalls, 'bounded resends');
    const row = await fixture.db.admin.query("SELECT 1 FROM transactions WHERE id = 'ev-lost'");
    assert.equal(row.rowCount, 1);
  } finally {
    fixture.events.failWith(undefined);
  }
});

test('an unreachable EventBridge endpoint is reported, not thrown', async () => {
  const closed = await startFakeEventBridge();
  await closed.close();
  const saved = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = closed.url;
  const publisher = new EventPublisher(BUS, REGION, { maxCalls: 2, baseDelayMs: 1, maxDelayMs: 2 });
  try {
    const outcome = await publisher.publish([detail('unreachable')]);
    assert.deepEqual(outcome.accepted, []);
    assert.match(outcome.failed.get('unreachable') ?? '', /PutEvents failed after 2 calls/);
  } finally {
    publisher.destroy();
    process.env.AWS_ENDPOINT_URL = saved;
  }
});
