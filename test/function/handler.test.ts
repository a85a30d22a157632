// The handler against real PostgreSQL at Repeatable Read, logged in as the function's own role
// (created by ensureFunctionRole), so these tests also prove its grants are enough.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createTransactionFunction, THAW_GAP_MS } from '../../lambda-bundle/src/handler.js';
import {
  asStoredTime,
  countTransactions,
  getTransaction,
  listReceivedEvents,
  listTransactions,
  rowTypes,
} from '../../lambda-bundle/src/store.js';
import { poolConfig } from '../../src/lib/dsql-connection.js';
import type {
  CountAnswer,
  CreateAnswer,
  EventAnswer,
  FunctionAnswer,
  FunctionFailure,
  GetAnswer,
  ListAnswer,
} from '../../src/lib/function-contract.js';
import {
  BUS,
  createTestDatabase,
  insertPeerTransaction,
  PEER_REGION,
  peerEvent,
  REGION,
  startTestFunction,
  type TestFunction,
} from './support.js';

let fixture: TestFunction;

before(async () => {
  fixture = await startTestFunction('handler');
});

after(() => fixture?.stop());

function ok<T extends FunctionAnswer>(answer: FunctionAnswer): T {
  assert.equal(answer.ok, true, `expected ok, got ${JSON.stringify(answer)}`);
  return answer as T;
}

async function rowCount(id?: string): Promise<number> {
  const result = id
    ? await fixture.db.admin.query('SELECT count(*)::int AS n FROM transactions WHERE id = $1', [id])
    : await fixture.db.admin.query('SELECT count(*)::int AS n FROM transactions');
  return result.rows[0].n;
}

function eventsFor(id: string) {
  return fixture.events.accepted.filter((e) => JSON.parse(e.Detail).transactionId === id);
}

describe('create / write', () => {
  test('create stores the exact amount, answers the row, and publishes one event', async () => {
    const answer = ok<CreateAnswer>(
      await fixture.fn.handler({ operation: 'create', amount: 100.5, transactionId: 't-001' }),
    );
    assert.equal(answer.operation, 'create');
    assert.equal(answer.region, REGION);
    assert.equal(answer.created, true);
    assert.equal(answer.attempts, 1);
    assert.equal(answer.eventPublished, true);
    assert.equal(answer.transaction.id, 't-001');
    assert.equal(answer.transaction.amount, '100.50');
    assert.equal(answer.transaction.region, REGION);
    assert.equal(answer.transaction.status, 'pending');
    assert.match(answer.transaction.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.ok(
      Math.abs(Date.parse(answer.transaction.timestamp) - Date.now()) < 60_000,
      'timestamp is UTC now',
    );

    const stored = await fixture.db.admin.query(
      "SELECT amount::text AS amount FROM transactions WHERE id = 't-001'",
    );
    assert.equal(stored.rows[0].amount, '100.50');

    const [event, ...more] = eventsFor('t-001');
    assert.equal(more.length, 0);
    assert.equal(event?.Source, 'dsql.application');
    assert.equal(event?.DetailType, 'Transaction Created');
    assert.equal(event?.EventBusName, BUS);
    assert.deepEqual(JSON.parse(event?.Detail ?? '{}'), {
      transactionId: 't-001',
      amount: '100.50',
      region: REGION,
      originRegion: REGION,
      operation: 'create',
      timestamp: answer.transaction.timestamp,
    });
  });

  test('the event detail, built before the write, carries the time as the row reads it back', async () => {
    for (const iso of [
      '2026-11-27T14:00:10.000Z',
      '2026-11-27T14:00:10.500Z',
      '2026-11-27T14:00:10.050Z',
      '2026-11-27T14:00:10.123Z',
      '2026-11-27T14:00:20.100Z',
    ]) {
      const { rows } = await fixture.db.admin.query<{ text: string }>('SELECT $1::timestamp::text AS text', [
        iso.replace('T', ' ').replace('Z', ''),
      ]);
      assert.equal(asStoredTime(iso), `${rows[0]?.text.replace(' ', 'T')}Z`, iso);
    }
  });

  test('write is an alias of create; a decimal string amount is kept exact', async () => {
    const answer = ok<CreateAnswer>(
      await fixture.fn.handler({ operation: 'write', amount: '99999999.99', transactionId: 't-write' }),
    );
    assert.equal(answer.operation, 'create');
    assert.equal(answer.created, true);
    assert.equal(answer.transaction.amount, '99999999.99');
  });

  test('without an id the function generates a UUID', async () => {
    const answer = ok<CreateAnswer>(await fixture.fn.handler({ operation: 'create', amount: '0.01' }));
    assert.match(
      answer.transaction.id,
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.equal(await rowCount(answer.transaction.id), 1);
  });

  test('a repeated id with the same amount returns the existing row with created: false — one row, one event', async () => {
    const first = ok<CreateAnswer>(
      await fixture.fn.handler({ operation: 'create', amount: '5.00', transactionId: 't-dup' }),
    );
    const second = ok<CreateAnswer>(
      await fixture.fn.handler({ operation: 'create', amount: '5', transactionId: 't-dup' }),
    );
    assert.equal(first.created, true);
    assert.equal(second.created, false);
    assert.equal(second.eventPublished, false, 'published already: the repeat sends nothing');
    assert.equal(second.republished, undefined);
    assert.deepEqual(second.transaction, first.transaction, 'the stored row');
    assert.equal(await rowCount('t-dup'), 1);
    assert.equal(eventsFor('t-dup').length, 1);
  });

  test('a repeated id with a different amount is an IdempotencyConflict showing the stored row', async () => {
    const first = ok<CreateAnswer>(
      await fixture.fn.handler({ operation: 'create', amount: '12.34', transactionId: 't-conflict' }),
    );
    const calls = fixture.events.calls.length;
    const answer = (await fixture.fn.handler({
      operation: 'create',
      amount: '99',
      transactionId: 't-conflict',
    })) as FunctionFailure;
    assert.equal(answer.ok, false);
    assert.equal(answer.error.code, 'IdempotencyConflict');
    assert.deepEqual(answer.error.stored, first.transaction);
    assert.match(answer.error.message, /t-conflict.*already exists with amount 12\.34.*not 99\.00/);
    assert.equal(fixture.events.calls.length, calls, 'nothing published');
    const stored = await fixture.db.admin.query(
      "SELECT amount::text AS amount FROM transactions WHERE id = 't-conflict'",
    );
    assert.deepEqual(stored.rows, [{ amount: '12.34' }], 'the stored row is unchanged');
  });

  test('the row and its outbox event are committed together; the event is marked published', async () => {
    const answer = ok<CreateAnswer>(
      await fixture.fn.handler({ operation: 'create', amount: '8.00', transactionId: 't-outbox' }),
    );
    await fixture.fn.settled(); // the mark is written after the answer
    const outbox = await fixture.db.admin.query(
      `SELECT origin_region, detail, created_at::text AS created_at, published_at IS NOT NULL AS published,
              attempts, last_error FROM outbox WHERE transaction_id = 't-outbox'`,
    );
    assert.equal(outbox.rowCount, 1);
    const [row] = outbox.rows;
    assert.equal(row.origin_region, REGION);
    assert.deepEqual(JSON.parse(row.detail), JSON.parse(eventsFor('t-outbox')[0]?.Detail ?? 'null'));
    assert.equal(`${row.created_at.replace(' ', 'T')}Z`, answer.transaction.timestamp);
    assert.deepEqual([row.published, row.attempts, row.last_error], [true, 1, null]);
  });

  test('the row and its event are one write: when the outbox insert fails, no transaction row is left', async () => {
    // An outbox row already holding the id (written straight to PostgreSQL) makes the create's second
    // insert fail with a unique violation after its first insert ran: the whole create must fail.
    await fixture.db.admin.query(
      `INSERT INTO outbox (transaction_id, origin_region, detail, created_at, attempts)
       VALUES ('t-orphan', $1, '{}', now(), 0)`,
      [REGION],
    );
    const calls = fixture.events.calls.length;
    await assert.rejects(
      fixture.fn.handler({ operation: 'create', amount: '4.00', transactionId: 't-orphan' }),
      (error: Error & { code?: string }) => error.code === '23505',
    );
    assert.equal(await rowCount('t-orphan'), 0, 'no transaction row without its event');
    const outbox = await fixture.db.admin.query(
      "SELECT detail FROM outbox WHERE transaction_id = 't-orphan'",
    );
    assert.deepEqual(outbox.rows, [{ detail: '{}' }], 'the existing outbox row untouched');
    assert.equal(fixture.events.calls.length, calls, 'nothing published');
  });

  test('a repeat of a row written before the outbox existed answers it and publishes nothing', async () => {
    await fixture.db.admin.query(
      `INSERT INTO transactions (id, amount, "timestamp", region) VALUES ('t-legacy', 7.00, '2026-01-02 03:04:05.6', $1)`,
      [REGION],
    );
    const calls = fixture.events.calls.length;
    const answer = ok<CreateAnswer>(
      await fixture.fn.handler({ operation: 'create', amount: '7', transactionId: 't-legacy' }),
    );
    assert.deepEqual(
      [answer.created, answer.eventPublished, answer.republished, answer.attempts],
      [false, false, undefined, 1],
    );
    assert.deepEqual(answer.transaction, {
      id: 't-legacy',
      amount: '7.00',
      timestamp: '2026-01-02T03:04:05.6Z',
      region: REGION,
      status: 'pending',
    });
    assert.equal(fixture.events.calls.length, calls);
    const outbox = await fixture.db.admin.query("SELECT 1 FROM outbox WHERE transaction_id = 't-legacy'");
    assert.equal(outbox.rowCount, 0, 'a repeat writes no event for an existing row');
  });
});

describe('read / count, list / recent, get', () => {
  test('count and its alias read answer the number of rows', async () => {
    const expected = await rowCount();
    for (const operation of ['count', 'read']) {
      const answer = ok<CountAnswer>(await fixture.fn.handler({ operation }));
      assert.equal(answer.operation, 'count');
      assert.equal(answer.region, REGION);
      assert.equal(answer.count, expected);
    }
  });

  test('list and its alias recent answer newest first, default 10, at most limit', async () => {
    for (let i = 0; i < 12; i++) {
      ok(
        await fixture.fn.handler({
          operation: 'create',
          amount: `${i + 1}.00`,
          transactionId: `t-list-${String(i).padStart(2, '0')}`,
        }),
      );
    }
    const all = await fixture.db.admin.query<{ id: string }>(
      'SELECT id FROM transactions ORDER BY "timestamp" DESC, id DESC',
    );
    const list = ok<ListAnswer>(await fixture.fn.handler({ operation: 'list' }));
    assert.equal(list.operation, 'list');
    assert.equal(list.limit, 10);
    assert.deepEqual(
      list.transactions.map((t) => t.id),
      all.rows.slice(0, 10).map((r) => r.id),
    );
    assert.equal(list.transactions[0]?.id, 't-list-11', 'the newest row comes first');
    const times = list.transactions.map((t) => Date.parse(t.timestamp));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );

    const recent = ok<ListAnswer>(await fixture.fn.handler({ operation: 'recent', limit: 3 }));
    assert.equal(recent.operation, 'list');
    assert.deepEqual(
      recent.transactions.map((t) => t.id),
      all.rows.slice(0, 3).map((r) => r.id),
    );
    const max = ok<ListAnswer>(await fixture.fn.handler({ operation: 'list', limit: 100 }));
    assert.equal(max.transactions.length, Math.min(100, all.rows.length));
  });

  test('get answers one transaction, or NotFound', async () => {
    const answer = ok<GetAnswer>(await fixture.fn.handler({ operation: 'get', transactionId: 't-001' }));
    assert.equal(answer.operation, 'get');
    assert.equal(answer.transaction.amount, '100.50');
    const missing = (await fixture.fn.handler({
      operation: 'get',
      transactionId: 'no-such-id',
    })) as FunctionFailure;
    assert.equal(missing.ok, false);
    assert.equal(missing.error.code, 'NotFound');
    assert.match(missing.error.message, /no-such-id/);
  });
});

describe('bad input is answered, never thrown', () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['non-numeric amount', { operation: 'create', amount: 'abc' }, 'InvalidAmount', /not a decimal number/],
    ['negative amount', { operation: 'create', amount: -5 }, 'InvalidAmount', /greater than 0/],
    ['negative amount string', { operation: 'create', amount: '-0.01' }, 'InvalidAmount', /greater than 0/],
    ['zero amount', { operation: 'create', amount: 0 }, 'InvalidAmount', /greater than 0/],
    ['too large amount', { operation: 'create', amount: 100000000 }, 'InvalidAmount', /at most 99999999\.99/],
    ['too large amount string', { operation: 'create', amount: '123456789.00' }, 'InvalidAmount', /at most/],
    ['three decimals', { operation: 'create', amount: 1.234 }, 'InvalidAmount', /two decimal places/],
    [
      'float artefact 0.1 + 0.2',
      { operation: 'create', amount: 0.1 + 0.2 },
      'InvalidAmount',
      /two decimal places/,
    ],
    ['NaN string', { operation: 'create', amount: 'NaN' }, 'InvalidAmount', /finite/],
    ['Infinity string', { operation: 'create', amount: 'Infinity' }, 'InvalidAmount', /finite/],
    ['-Infinity string', { operation: 'create', amount: '-Infinity' }, 'InvalidAmount', /finite/],
    ['missing amount', { operation: 'create' }, 'InvalidAmount', /required/],
    ['boolean amount', { operation: 'write', amount: true }, 'InvalidAmount', /number or a decimal string/],
    ['exponent string', { operation: 'create', amount: '1e3' }, 'InvalidAmount', /not a decimal number/],
    [
      'id over 255 characters',
      { operation: 'create', amount: 1, transactionId: 'x'.repeat(256) },
      'InvalidTransactionId',
      /at most 255/,
    ],
    ['empty id', { operation: 'create', amount: 1, transactionId: '' }, 'InvalidTransactionId', /empty/],
    ['numeric id', { operation: 'create', amount: 1, transactionId: 42 }, 'InvalidTransactionId', /string/],
    ['get without id', { operation: 'get' }, 'InvalidTransactionId', /required/],
    ...(
      [
        ['C1 control U+0085', 'a\u0085b', /control characters \(found U\+0085\)/],
        ['bidi override U+202E', 'abc\u202Egpj.exe', /bidirectional control characters \(found U\+202E\)/],
        ['zero-width space U+200B', 'seed\u200B-1', /zero-width or invisible characters \(found U\+200B\)/],
        ['leading space', ' seed-1', /must not begin or end with a space/],
        ['trailing space', 'seed-1 ', /must not begin or end with a space/],
        ['lone high surrogate', 'sur\ud800', /lone surrogate/],
        ['lone low surrogate', 'sur\udbff', /lone surrogate/],
      ] as const
    ).map(([name, transactionId, message]): [string, unknown, string, RegExp] => [
      `id with ${name}`,
      { operation: 'create', amount: 1, transactionId },
      'InvalidTransactionId',
      message,
    ]),
    ['null payload', null, 'InvalidPayload', /JSON object/],
    ['string payload', 'create', 'InvalidPayload', /JSON object/],
    ['array payload', [{ operation: 'count' }], 'InvalidPayload', /JSON object/],
    ['number payload', 42, 'InvalidPayload', /JSON object/],
    ['unknown operation', { operation: 'delete' }, 'UnknownOperation', /Unknown operation "delete"/],
    ['missing operation', { amount: 1 }, 'UnknownOperation', /required/],
    ['limit 0', { operation: 'list', limit: 0 }, 'InvalidLimit', /1 to 100/],
    ['limit 101', { operation: 'list', limit: 101 }, 'InvalidLimit', /1 to 100/],
    ['limit "x"', { operation: 'recent', limit: 'x' }, 'InvalidLimit', /1 to 100, not "x"/],
    ['limit 2.5', { operation: 'list', limit: 2.5 }, 'InvalidLimit', /whole number/],
    [
      'event of another kind',
      { 'detail-type': 'Other', source: 'x', id: 'e1', detail: {} },
      'InvalidEvent',
      /Not a transaction event/,
    ],
  ];
  for (const [name, payload, code, message] of cases) {
    test(name, async () => {
      const before = await rowCount();
      const answer = (await fixture.fn.handler(payload)) as FunctionFailure;
      assert.equal(answer.ok, false, JSON.stringify(answer));
      assert.equal(answer.error.code, code);
      assert.match(answer.error.message, message);
      assert.equal(await rowCount(), before, 'nothing was written');
    });
  }
});

describe('events from the peer region', () => {
  test('are recorded once per (transaction, origin region), whatever their event ids', async () => {
    await insertPeerTransaction(fixture.db, { transactionId: 'peer-1' });
    const event = peerEvent({ transactionId: 'peer-1' });
    const first = ok<EventAnswer>(await fixture.fn.handler(event));
    assert.deepEqual(
      {
        operation: first.operation,
        region: first.region,
        recorded: first.recorded,
        origin: first.originRegion,
      },
      { operation: 'event', region: REGION, recorded: true, origin: PEER_REGION },
    );
    const again = ok<EventAnswer>(await fixture.fn.handler(event));
    assert.equal(again.recorded, false, 'a redelivery is not recorded twice');
    // Published again (the sweep after a lost mark): EventBridge gives it a new event id.
    const republished = ok<EventAnswer>(await fixture.fn.handler(peerEvent({ transactionId: 'peer-1' })));
    assert.equal(republished.recorded, false, 'a re-published event is not recorded twice');
    const rows = await fixture.db.admin.query(
      `SELECT event_id, transaction_id, origin_region, received_region, amount::text AS amount,
              event_time::text AS event_time FROM received_peer_events WHERE transaction_id = 'peer-1'`,
    );
    assert.deepEqual(rows.rows, [
      {
        event_id: event.id,
        transaction_id: 'peer-1',
        origin_region: PEER_REGION,
        received_region: REGION,
        amount: '12.34',
        event_time: '2026-11-27 14:00:00',
      },
    ]);
  });

  test('forged, misrouted or mismatched events are refused and not recorded', async () => {
    await insertPeerTransaction(fixture.db, { transactionId: 'peer-real' });
    await insertPeerTransaction(fixture.db, { transactionId: 'peer-other-origin', region: 'us-east-2' });
    const real = peerEvent({ transactionId: 'peer-real' });
    const cases: Array<[string, object, RegExp]> = [
      [
        'an origin that is not the peer region',
        peerEvent({ transactionId: 'peer-real', originRegion: 'xx-fake-9' }),
        /originated in xx-fake-9; only events from the peer region us-west-2/,
      ],
      [
        'an event from this very region',
        peerEvent({ transactionId: 'peer-real', originRegion: REGION }),
        /originated in us-east-1/,
      ],
      ['a transaction that never existed', peerEvent({ transactionId: 'peer-never' }), /no such transaction/],
      [
        'a transaction created elsewhere',
        peerEvent({ transactionId: 'peer-other-origin' }),
        /created in us-east-2/,
      ],
      [
        'another amount',
        { ...real, detail: { ...real.detail, amount: '99.00' } },
        /amount is 12\.34, not 99\.00/,
      ],
      [
        'another time',
        { ...real, detail: { ...real.detail, timestamp: '1999-01-01T00:00:00.000Z' } },
        /timestamp is/,
      ],
      ['no amount', { ...real, detail: { ...real.detail, amount: undefined } }, /detail\.amount/],
      [
        'a garbage time',
        { ...real, detail: { ...real.detail, timestamp: 'yesterday' } },
        /detail\.timestamp/,
      ],
    ];
    for (const [name, event, message] of cases) {
      const answer = (await fixture.fn.handler(event)) as FunctionFailure;
      assert.equal(answer.ok, false, name);
      assert.equal(answer.error.code, 'InvalidEvent', name);
      assert.match(answer.error.message, message, name);
    }
    const rows = await fixture.db.admin.query(
      "SELECT transaction_id FROM received_peer_events WHERE transaction_id IN ('peer-real', 'peer-never', 'peer-other-origin')",
    );
    assert.equal(rows.rowCount, 0, 'nothing recorded');
    ok<EventAnswer>(await fixture.fn.handler(real));
  });

  test('without PEER_REGION every event is refused with the reason, thrown so EventBridge retries it', async () => {
    const fn = createTransactionFunction({ ...fixture.db.functionConfig, peerRegion: undefined });
    try {
      await insertPeerTransaction(fixture.db, { transactionId: 'peer-unset' });
      await assert.rejects(fn.handler(peerEvent({ transactionId: 'peer-unset' })), /PEER_REGION is not set/);
      const rows = await fixture.db.admin.query(
        "SELECT 1 FROM received_peer_events WHERE transaction_id = 'peer-unset'",
      );
      assert.equal(rows.rowCount, 0);
      ok<CountAnswer>(await fn.handler({ operation: 'count' }));
    } finally {
      await fn.close();
    }
  });
});

describe('connections', () => {
  test('each new pooled connection mints a fresh DbConnect token, even where the server asks for none', async () => {
    const config = poolConfig(fixture.db.settings, fixture.db.roleName);
    const mint = config.password as () => Promise<string>;
    const tokens: string[] = [];
    config.password = async () => {
      const token = await mint();
      tokens.push(token);
      return token;
    };
    const pool = new pg.Pool(config);
    try {
      const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
      for (const client of clients) client.release();
      assert.equal(tokens.length, 3, 'one token per new connection');
      assert.ok(
        tokens.every((t) => t.includes('Action=DbConnect&')),
        'the non-admin token',
      );
      const who = await pool.query('SELECT current_user AS user');
      assert.equal(who.rows[0].user, fixture.db.roleName);
      assert.equal(tokens.length, 3, 'a reused connection mints nothing');
    } finally {
      await pool.end();
    }
  });
});

describe('after a freeze', () => {
  test('an idle connection the server closed meanwhile is retired, not handed to the next invocation', async () => {
    const db = await createTestDatabase('thaw');
    const fn = createTransactionFunction(db.functionConfig, { idleTimeoutMillis: 100 });
    try {
      ok(await fn.handler({ operation: 'count' }));
      const backends = await db.admin.query('SELECT pid FROM pg_stat_activity WHERE usename = $1', [
        db.roleName,
      ]);
      assert.equal(backends.rowCount, 1, 'one pooled connection, idle');
      // A freeze, as Lambda freezes the process between invocations: this process runs nothing (no
      // timer, no socket event) while the server ends the idle connection, as DSQL does at its hour.
      const terminate = `import pg from 'pg';
        const c = new pg.Client({ connectionString: process.env.ADMIN_URL });
        await c.connect();
        await c.query('SELECT pg_terminate_backend($1, 5000)', [${backends.rows[0].pid}]);
        await c.end();`;
      execFileSync(process.execPath, ['--input-type=module', '-e', terminate], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        env: { ...process.env, ADMIN_URL: db.url() },
      });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, THAW_GAP_MS + 100);
      // Thawed by the next invocation, the pool's overdue idle timeout must run before it serves it.
      ok<CountAnswer>(await fn.handler({ operation: 'count' }));
    } finally {
      await fn.close();
      await db.drop();
    }
  });
});

describe('optimistic concurrency', () => {
  test('two concurrent writers of one id: one retries after a real 40001, both succeed, no lost row', async () => {
    // Hold a SHARE lock so both writers take their Repeatable Read snapshots and then queue on the
    // table; released together, one inserts and commits, the other's insert then conflicts with a
    // row its snapshot cannot see: PostgreSQL raises 40001, as DSQL raises OC000 at commit.
    const gate = fixture.db.admin;
    await gate.query('BEGIN');
    await gate.query('LOCK TABLE transactions IN SHARE MODE');
    const writers = [
      fixture.fn.handler({ operation: 'create', amount: '10.00', transactionId: 't-race' }),
      fixture.fn.handler({ operation: 'create', amount: '10.00', transactionId: 't-race' }),
    ];
    await waitFor(async () => {
      const waiting = await gate.query(
        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
         WHERE c.relname = 'transactions' AND NOT l.granted
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      return waiting.rows[0].n === 2;
    });
    await gate.query('COMMIT');
    const answers = (await Promise.all(writers)).map((a) => ok<CreateAnswer>(a));

    const winner = answers.find((a) => a.created);
    const retried = answers.find((a) => !a.created);
    assert.ok(winner && retried, `one created, one found it: ${JSON.stringify(answers)}`);
    assert.equal(winner.attempts, 1);
    assert.equal(retried.attempts, 2, 'the loser retried once after the serialization failure');
    assert.deepEqual(retried.transaction, winner.transaction);
    assert.equal(await rowCount('t-race'), 1);
    const stored = await fixture.db.admin.query(
      "SELECT amount::text AS amount FROM transactions WHERE id = 't-race'",
    );
    assert.equal(stored.rows[0].amount, winner.transaction.amount, 'the committed row is the one answered');
    // The loser may read the winner's event before the winner marks it published, and then publishes
    // it too (at-least-once; the receiver records it once): then, and only then, it says so.
    assert.equal(eventsFor('t-race').length, retried.republished ? 2 : 1);
    await fixture.fn.settled();
    const outbox = await fixture.db.admin.query(
      "SELECT published_at IS NOT NULL AS published FROM outbox WHERE transaction_id = 't-race'",
    );
    assert.deepEqual(outbox.rows, [{ published: true }], 'one outbox row, published');
  });

  test('reads are retried too: DSQL answers 40001 (OC001) to a read racing a schema change', async () => {
    // The conflict is DSQL's alone (PostgreSQL never fails a read at Repeatable Read), so a thin
    // stand-in fails each read statement once, as DSQL does, before the real server answers it.
    await fixture.fn.handler({ operation: 'create', amount: '3.00', transactionId: 't-read' });
    const pool = new pg.Pool({
      ...poolConfig(fixture.db.settings, fixture.db.roleName),
      types: rowTypes,
    });
    const conflicted: string[] = [];
    const dsql = new Proxy(pool, {
      get(target, key, receiver) {
        if (key !== 'query') return Reflect.get(target, key, receiver);
        return (sql: string, values?: unknown[]) => {
          if (conflicted.includes(sql)) return target.query(sql, values);
          conflicted.push(sql);
          const error = new Error('schema has been updated by another transaction, please retry: (OC001)');
          return Promise.reject(Object.assign(error, { code: '40001' }));
        };
      },
    });
    try {
      assert.equal(await countTransactions(dsql), await rowCount());
      assert.ok((await listTransactions(dsql, 100)).some((t) => t.id === 't-read'));
      assert.equal((await getTransaction(dsql, 't-read'))?.amount, '3.00');
      assert.deepEqual(await listReceivedEvents(dsql, 't-read'), []);
      assert.equal(conflicted.length, 4, 'each read met one conflict and was retried');
    } finally {
      await pool.end();
    }
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
