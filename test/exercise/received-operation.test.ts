// The function's `received` operation, which `verify events` polls: against real PostgreSQL, as the
// function's own database role (so its grants are proven enough), through H1's test support.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FunctionFailure, ReceivedAnswer } from '../../src/lib/function-contract.js';
import {
  insertPeerTransaction,
  PEER_REGION,
  peerEvent,
  REGION,
  startTestFunction,
  type TestFunction,
} from '../function/support.js';

let fixture: TestFunction;

before(async () => {
  fixture = await startTestFunction('received');
});

after(() => fixture?.stop());

describe('received', () => {
  test('answers no events before delivery, then the recorded event once, however often it was redelivered', async () => {
    const before = (await fixture.fn.handler({
      operation: 'received',
      transactionId: 'peer-r-1',
    })) as ReceivedAnswer;
    assert.equal(before.ok, true);
    assert.equal(before.operation, 'received');
    assert.equal(before.region, REGION);
    assert.deepEqual(before.events, []);

    await insertPeerTransaction(fixture.db, { transactionId: 'peer-r-1' });
    await insertPeerTransaction(fixture.db, { transactionId: 'someone-else' });
    const event = peerEvent({ transactionId: 'peer-r-1' });
    await fixture.fn.handler(event);
    await fixture.fn.handler(event);
    await fixture.fn.handler(peerEvent({ transactionId: 'someone-else' }));

    const after = (await fixture.fn.handler({
      operation: 'received',
      transactionId: 'peer-r-1',
    })) as ReceivedAnswer;
    assert.equal(after.transactionId, 'peer-r-1');
    assert.equal(after.events.length, 1);
    const [recorded] = after.events;
    assert.equal(recorded?.eventId, event.id);
    assert.equal(recorded?.originRegion, PEER_REGION);
    assert.equal(recorded?.receivedRegion, REGION);
    assert.match(recorded?.receivedAt ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  });

  test('refuses a missing or bad transactionId with {ok:false}', async () => {
    for (const payload of [
      { operation: 'received' },
      { operation: 'received', transactionId: 'x'.repeat(256) },
    ]) {
      const answer = (await fixture.fn.handler(payload)) as FunctionFailure;
      assert.equal(answer.ok, false);
      assert.equal(answer.error.code, 'InvalidTransactionId');
    }
  });
});
