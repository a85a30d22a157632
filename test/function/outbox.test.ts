// The outbox end to end, with the real handler on real PostgreSQL and the real EventBridge client
// against a PutEvents stand-in that fails chosen entries: every event EventBridge accepted is then
// delivered, as the peer's delivery rule would, to the peer region's function on the same database
// (peered regions share one), which must record each transaction exactly once.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTransactionFunction, type TransactionFunction } from '../../lambda-bundle/src/handler.js';
import type {
  BacklogAnswer,
  CreateAnswer,
  EventAnswer,
  FunctionAnswer,
  FunctionFailure,
  SweepAnswer,
} from '../../src/lib/function-contract.js';
import {
  BUS,
  bareFunctionEnv,
  extractFunction,
  PEER_REGION,
  type PutEventsEntry,
  REGION,
  startTestFunction,
  type TestFunction,
} from './support.js';

const FAST = { maxCalls: 4, baseDelayMs: 1, maxDelayMs: 5 };

let fixture: TestFunction;
/** The peer region's function on the same database, receiving this region's events. */
let peer: TransactionFunction;

before(async () => {
  fixture = await startTestFunction('outbox', { publishPolicy: FAST, poolMax: 8 });
  const { functionConfig } = fixture.db;
  // Through the same cluster endpoint: its token must be signed for that cluster's region (the DSQL
  // endpoint refuses another region's), and peered clusters share the database anyway.
  peer = createTransactionFunction(
    {
      ...functionConfig,
      region: PEER_REGION,
      peerRegion: REGION,
      connection: fixture.db.peerSettings,
    },
    { poolMax: 8 },
  );
});

after(async () => {
  await peer?.close();
  await fixture?.stop();
});

function ok<T extends FunctionAnswer>(answer: FunctionAnswer): T {
  assert.equal(answer.ok, true, `expected ok, got ${JSON.stringify(answer)}`);
  return answer as T;
}

const idOf = (entry: PutEventsEntry) => JSON.parse(entry.Detail).transactionId as string;

/** Delivers accepted entries to the peer function as EventBridge would: each with a fresh event id, 8 at once. */
async function deliver(entries: PutEventsEntry[]): Promise<EventAnswer[]> {
  const answers: EventAnswer[] = [];
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const entry = entries[next++] as PutEventsEntry;
      const detail = JSON.parse(entry.Detail);
      const event = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: '123456789012',
        time: detail.timestamp,
        region: REGION,
        resources: [],
        detail,
      };
      answers.push(ok<EventAnswer>(await peer.handler(event)));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return answers;
}

async function recordedCount(ids: string[]): Promise<Map<string, number>> {
  const rows = await fixture.db.admin.query<{ transaction_id: string; n: number }>(
    `SELECT transaction_id, count(*)::int AS n FROM received_peer_events
      WHERE transaction_id = ANY($1) AND origin_region = $2 GROUP BY transaction_id`,
    [ids, REGION],
  );
  return new Map(rows.rows.map((r) => [r.transaction_id, r.n]));
}

async function outboxRow(id: string) {
  // A create marks its event after it answered: let those marks land first.
  await fixture.fn.settled();
  const rows = await fixture.db.admin.query(
    'SELECT published_at IS NOT NULL AS published, attempts, last_error FROM outbox WHERE transaction_id = $1',
    [id],
  );
  return rows.rows[0] as { published: boolean; attempts: number; last_error: string | null } | undefined;
}

async function create(id: string, amount = '1.00'): Promise<CreateAnswer> {
  return ok<CreateAnswer>(await fixture.fn.handler({ operation: 'create', amount, transactionId: id }));
}

const sweep = async (payload: Record<string, unknown> = {}) =>
  ok<SweepAnswer>(await fixture.fn.handler({ operation: 'sweep', olderThanSeconds: 0, ...payload }));

function resetEvents() {
  fixture.events.failWith(undefined);
  fixture.events.calls.length = 0;
  fixture.events.accepted.length = 0;
}

describe('a repeated create', () => {
  test('of an id whose event is unpublished publishes it then and says so; of a published id does nothing', async () => {
    resetEvents();
    fixture.events.failWith(() => 'InternalFailure');
    const first = await create('rep-1', '2.50');
    assert.equal(first.created, true);
    assert.equal(first.eventPublished, false);
    assert.match(first.eventError ?? '', /InternalFailure/);
    assert.deepEqual(await outboxRow('rep-1'), {
      published: false,
      attempts: 1,
      last_error: first.eventError,
    });

    fixture.events.failWith(undefined);
    const second = await create('rep-1', '2.50');
    assert.deepEqual(
      [second.created, second.eventPublished, second.republished, second.eventError],
      [false, true, true, undefined],
    );
    assert.deepEqual(await outboxRow('rep-1'), {
      published: true,
      attempts: 2,
      last_error: first.eventError,
    });

    const calls = fixture.events.calls.length;
    const third = await create('rep-1', '2.50');
    assert.deepEqual([third.created, third.eventPublished, third.republished], [false, false, undefined]);
    assert.equal(fixture.events.calls.length, calls, 'no PutEvents for a published event');
    assert.deepEqual(fixture.events.accepted.map(idOf), ['rep-1']);
  });
});

describe('a create repeated in the other region', () => {
  // The load generator retries a create whose answer was lost (its region impaired after the commit) in
  // the healthy region. Published from there, the event would carry the origin region's name on the
  // wrong bus: it would come back to its origin, which refuses it, and the mark would hide it from the
  // origin's sweep for good (seen in the drill: 122 of 123 events arrived).
  test('publishes nothing and leaves the event to its origin region, whose sweep sends it', async () => {
    resetEvents();
    fixture.events.failWith(() => 'InternalFailure');
    const first = await create('rep-cross', '3.00');
    assert.deepEqual([first.created, first.eventPublished], [true, false]);

    fixture.events.failWith(undefined);
    const calls = fixture.events.calls.length;
    const repeat = ok<CreateAnswer>(
      await peer.handler({ operation: 'create', amount: '3.00', transactionId: 'rep-cross' }),
    );
    await peer.settled();
    assert.deepEqual([repeat.created, repeat.eventPublished, repeat.republished], [false, false, undefined]);
    assert.equal(fixture.events.calls.length, calls, 'no PutEvents from the region that did not create it');
    assert.equal((await outboxRow('rep-cross'))?.published, false);

    const swept = await sweep();
    assert.ok(swept.published >= 1, JSON.stringify(swept));
    assert.deepEqual(fixture.events.accepted.map(idOf), ['rep-cross']);
    assert.equal((await outboxRow('rep-cross'))?.published, true);
  });
});

describe('the sweep', () => {
  test('publishes after PutEvents failed then recovered: all events, each recorded once at the peer', async () => {
    resetEvents();
    fixture.events.failWith(() => 'ThrottlingException');
    const ids = Array.from({ length: 25 }, (_, i) => `down-${String(i).padStart(2, '0')}`);
    for (const id of ids) assert.equal((await create(id)).eventPublished, false);
    const during = await sweep();
    assert.deepEqual(
      [during.published, during.failed, during.remaining],
      [0, ids.length, ids.length],
      'nothing marked while PutEvents fails',
    );
    assert.match(during.lastError ?? '', /ThrottlingException/);
    assert.equal((await outboxRow('down-00'))?.attempts, 2, 'the create and the sweep each counted');
    const stuck = ok<BacklogAnswer>(await fixture.fn.handler({ operation: 'backlog' }));
    assert.equal(stuck.unpublished, ids.length);
    assert.equal(stuck.oldestTransactionId, 'down-00');
    assert.ok(
      stuck.oldestAgeSeconds !== null && stuck.oldestAgeSeconds >= 0 && stuck.oldestAgeSeconds < 60,
      `oldest age ${stuck.oldestAgeSeconds}`,
    );

    fixture.events.failWith(undefined);
    fixture.events.calls.length = 0;
    const recovered = await sweep();
    assert.deepEqual([recovered.published, recovered.failed, recovered.remaining], [ids.length, 0, 0]);
    assert.ok(
      fixture.events.calls.every((call) => call.length <= 10),
      'at most 10 entries per PutEvents',
    );
    assert.deepEqual(fixture.events.accepted.map(idOf), ids, 'each once, oldest first');
    const again = await sweep();
    assert.deepEqual([again.published, again.remaining], [0, 0], 'a published event is not swept again');
    assert.deepEqual(ok<BacklogAnswer>(await fixture.fn.handler({ operation: 'backlog' })), {
      ok: true,
      region: REGION,
      operation: 'backlog',
      unpublished: 0,
      oldestAgeSeconds: null,
      oldestTransactionId: null,
    });

    // Delivered twice (EventBridge's at-least-once delivery): recorded once.
    const answers = [
      ...(await deliver(fixture.events.accepted)),
      ...(await deliver(fixture.events.accepted)),
    ];
    assert.equal(answers.filter((a) => a.recorded).length, ids.length);
    const counts = await recordedCount(ids);
    assert.deepEqual(
      ids.map((id) => counts.get(id)),
      ids.map(() => 1),
    );
  });

  test('marks only the entries PutEvents accepted, and takes the oldest first within its limit', async () => {
    resetEvents();
    fixture.events.failWith(() => 'InternalFailure');
    const ids = Array.from({ length: 8 }, (_, i) => `part-${i}`);
    for (const id of ids) await create(id);
    // Odd ids keep failing; even ones are accepted.
    fixture.events.failWith((_call, entry) =>
      Number(idOf(entry).slice(5)) % 2 ? 'InternalFailure' : undefined,
    );
    const limited = await sweep({ limit: 4 });
    assert.deepEqual([limited.published, limited.failed, limited.remaining], [2, 2, 6]);
    assert.deepEqual(fixture.events.accepted.map(idOf), ['part-0', 'part-2']);
    for (const id of ids.slice(0, 4)) {
      const row = await outboxRow(id);
      assert.equal(row?.published, Number(id.slice(5)) % 2 === 0, id);
    }
    fixture.events.failWith(undefined);
    assert.equal((await sweep()).remaining, 0);
  });

  test('leaves events younger than its threshold to the create that may still be publishing them', async () => {
    resetEvents();
    fixture.events.failWith(() => 'InternalFailure');
    await create('young-1');
    fixture.events.failWith(undefined);
    const answer = ok<SweepAnswer>(await fixture.fn.handler({ operation: 'sweep' }));
    assert.deepEqual([answer.published, answer.remaining], [0, 1], 'the default threshold is 30 s');
    assert.equal((await sweep()).published, 1);
  });

  test('two sweeps at once: every event published and marked, none recorded twice', async () => {
    resetEvents();
    fixture.events.failWith(() => 'InternalFailure');
    const ids = Array.from({ length: 40 }, (_, i) => `twin-${i}`);
    for (const id of ids) await create(id);
    fixture.events.failWith(undefined);
    const [a, b] = await Promise.all([sweep(), sweep()]);
    assert.ok(a && b);
    assert.ok(a.published + b.published >= ids.length, 'at-least-once: both may publish an event');
    assert.equal(a.failed + b.failed, 0);
    assert.equal((await sweep()).remaining, 0);
    const marked = await fixture.db.admin.query(
      'SELECT count(*)::int AS n FROM outbox WHERE transaction_id = ANY($1) AND published_at IS NOT NULL',
      [ids],
    );
    assert.equal(marked.rows[0].n, ids.length);
    await deliver(fixture.events.accepted);
    const counts = await recordedCount(ids);
    assert.deepEqual(
      ids.map((id) => counts.get(id)),
      ids.map(() => 1),
    );
  });

  test('refuses bad bounds with InvalidSweep', async () => {
    for (const payload of [
      { limit: 0 },
      { limit: 1001 },
      { olderThanSeconds: -1 },
      { olderThanSeconds: '5' },
    ]) {
      const answer = (await fixture.fn.handler({ operation: 'sweep', ...payload })) as FunctionFailure;
      assert.equal(answer.ok, false);
      assert.equal(answer.error.code, 'InvalidSweep', JSON.stringify(payload));
    }
  });

  test('1,000 creates with 20 % of PutEvents entries failing: all published after sweeps, no duplicates', async () => {
    resetEvents();
    fixture.events.failWith(() => (Math.random() < 0.2 ? 'ThrottlingException' : undefined));
    // One PutEvents call per create (no resends), so about 200 events are left to the sweep.
    const oneShot = createTransactionFunction(fixture.db.functionConfig, {
      publishPolicy: { maxCalls: 1, baseDelayMs: 1, maxDelayMs: 1 },
      poolMax: 8,
    });
    const ids = Array.from({ length: 1000 }, (_, i) => `bulk-${i}`);
    try {
      let next = 0;
      let unpublished = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < ids.length) {
            const id = ids[next++] as string;
            const answer = ok<CreateAnswer>(
              await oneShot.handler({ operation: 'create', amount: '3.00', transactionId: id }),
            );
            if (!answer.eventPublished) unpublished++;
          }
        }),
      );
      assert.ok(unpublished > 100, `about 20 % left unpublished (${unpublished})`);
      let remaining = unpublished;
      for (let round = 0; remaining > 0; round++) {
        assert.ok(round < 30, `the sweeps converge (${remaining} left)`);
        remaining = (await sweep({ limit: 1000 })).remaining;
      }
    } finally {
      await oneShot.close();
    }
    const published = await fixture.db.admin.query(
      'SELECT count(*)::int AS n FROM outbox WHERE transaction_id = ANY($1) AND published_at IS NOT NULL',
      [ids],
    );
    assert.equal(published.rows[0].n, 1000);
    const accepted = fixture.events.accepted.filter((e) => idOf(e).startsWith('bulk-'));
    assert.equal(new Set(accepted.map(idOf)).size, 1000, 'every event reached EventBridge');
    await deliver(accepted);
    const counts = await recordedCount(ids);
    assert.equal(counts.size, 1000);
    assert.ok(
      [...counts.values()].every((n) => n === 1),
      'no duplicates at the peer',
    );
  });
});

describe('a create whose process dies between commit and PutEvents', () => {
  test('leaves the event in the outbox; the sweep publishes it and the peer records it once', async () => {
    // The built function in a process of its own, publishing to an endpoint that never answers: the
    // request arriving there proves the transaction committed (the publish follows the commit), and
    // the process is killed right then, as Lambda kills a timed-out or crashed environment.
    const arrived: string[] = [];
    let sawRequest: () => void = () => {};
    const requestSeen = new Promise<void>((resolve) => {
      sawRequest = resolve;
    });
    const silent = createServer((req) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        arrived.push(body);
        sawRequest();
      });
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'dsqlctl-killed-'));
    try {
      await extractFunction(dir);
      writeFileSync(
        join(dir, 'invoke.mjs'),
        `const { handler } = await import('./index.mjs');
         await handler({ operation: 'create', amount: '6.66', transactionId: 'killed-1' });`,
      );
      const child = spawn(process.execPath, ['--import=./resolve.mjs', 'invoke.mjs'], {
        cwd: dir,
        stdio: 'ignore',
        env: {
          PATH: '/usr/bin:/bin',
          AWS_REGION: REGION,
          AWS_ACCESS_KEY_ID: 'test-access-key',
          AWS_SECRET_ACCESS_KEY: 'test-secret-key',
          AWS_ENDPOINT_URL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
          ...bareFunctionEnv(fixture.db),
          EVENT_BUS_NAME: BUS,
          PEER_REGION,
        },
      });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      // A child that ends before publishing (it could not reach the database) fails the test at once.
      await Promise.race([
        requestSeen,
        exited.then((code) => assert.fail(`the function exited (${code}) before publishing`)),
      ]);
      child.kill('SIGKILL');
      assert.equal(await exited, null, 'killed, not finished');
      assert.match(arrived[0] ?? '', /killed-1/);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
    const row = await fixture.db.admin.query(
      "SELECT amount::text AS amount FROM transactions WHERE id = 'killed-1'",
    );
    assert.deepEqual(row.rows, [{ amount: '6.66' }], 'the transaction committed');
    assert.deepEqual(await outboxRow('killed-1'), { published: false, attempts: 0, last_error: null });

    resetEvents();
    const swept = await sweep();
    assert.equal(swept.published, 1);
    assert.deepEqual(fixture.events.accepted.map(idOf), ['killed-1']);
    assert.equal((await outboxRow('killed-1'))?.published, true);
    const [answer] = await deliver(fixture.events.accepted);
    assert.equal(answer?.recorded, true);
    const received = ok(await peer.handler({ operation: 'received', transactionId: 'killed-1' }));
    assert.equal((received as { events: unknown[] }).events.length, 1);
  });
});
