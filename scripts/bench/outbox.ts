// The transactional outbox's cost and the sweep's pace, with the real handler on the tests' fixtures
// (a database through the DSQL endpoint, the real EventBridge client against a loopback PutEvents
// stand-in):
//  - `create` p50 with the outbox (transaction row and event row in one statement, PutEvents; the
//    event is marked published after the answer) ÷ the previous design (the row INSERTed alone, then
//    PutEvents), same run. The mark is let finish between samples, untimed, so it never lands inside
//    another sample; the p50 until the mark is written is printed beside it.
//  - the sweep's pace draining a 1,000-event backlog (events EventBridge accepted per second).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { EventPublisher } from '../../lambda-bundle/src/events.js';
import { createTransactionFunction, type TransactionFunction } from '../../lambda-bundle/src/handler.js';
import { rowTypes } from '../../lambda-bundle/src/store.js';
import { poolConfig } from '../../src/lib/dsql-connection.js';
import type { SweepAnswer, TransactionEventDetail } from '../../src/lib/function-contract.js';
import { median, timed } from '../../src/lib/stats.js';
import type { Bench } from '../bench.ts';

const WARMUP = 50;
const SAMPLES = 500;
const BACKLOG = 1000;

/** Medians of interleaved samples (drift on a shared machine hits all alike), in ms. */
interface Medians {
  previous: number;
  answered: number;
  marked: number;
}

/**
 * The previous design (on its own pool with the handler's settings and the same publisher: the row
 * INSERTed alone, then PutEvents, no outbox row, no mark) against the handler's create, timed until it
 * answered and until its outbox mark is written (let finish before the next sample either way).
 */
async function compareCreates(
  fn: TransactionFunction,
  pool: pg.Pool,
  publisher: EventPublisher,
  samples: number,
): Promise<Medians> {
  const region = publisher.region;
  const previousCreate = async () => {
    const id = randomUUID();
    const timestamp = new Date().toISOString();
    const { rows } = await pool.query<{ id: string; amount: string; timestamp: string }>(
      `INSERT INTO transactions (id, amount, "timestamp", region) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO NOTHING RETURNING id, amount::text AS amount, "timestamp"`,
      [id, '100.50', timestamp.replace('T', ' ').replace('Z', ''), region],
    );
    const detail: TransactionEventDetail = {
      transactionId: id,
      amount: rows[0]?.amount ?? '100.50',
      region,
      originRegion: region,
      operation: 'create',
      timestamp,
    };
    const outcome = await publisher.publish([
      { transactionId: id, detail: JSON.stringify(detail), time: timestamp },
    ]);
    if (outcome.accepted.length !== 1) throw new Error('the baseline event was not accepted');
  };
  const outboxCreate = async (): Promise<{ answered: number; marked: number }> => {
    const started = performance.now();
    const answer = await fn.handler({ operation: 'create', amount: '100.50', transactionId: randomUUID() });
    const answered = performance.now() - started;
    await fn.settled();
    if (!answer.ok || !('eventPublished' in answer) || !answer.eventPublished) {
      throw new Error(`create did not publish: ${JSON.stringify(answer)}`);
    }
    return { answered, marked: performance.now() - started };
  };
  for (let i = 0; i < WARMUP; i++) {
    await previousCreate();
    await outboxCreate();
  }
  const times = { previous: [] as number[], answered: [] as number[], marked: [] as number[] };
  // Interleaved, the order swapped every other round, so drift and order effects hit both alike.
  for (let i = 0; i < samples; i++) {
    if (i % 2) times.previous.push(await timed(previousCreate));
    const { answered, marked } = await outboxCreate();
    times.answered.push(answered);
    times.marked.push(marked);
    if (!(i % 2)) times.previous.push(await timed(previousCreate));
  }
  return { previous: median(times.previous), answered: median(times.answered), marked: median(times.marked) };
}

const bench: Bench = async (report, { postgresUrl }) => {
  process.env.DSQLCTL_TEST_PG_URL = postgresUrl;
  const { BUS, REGION, startTestFunction } = await import('../../test/function/support.js');
  // The label names the test database: letters and underscores only.
  const fixture = await startTestFunction('outbox_bench');
  const { db, fn, events } = fixture;
  const publisher = new EventPublisher(BUS, REGION);
  const pool = new pg.Pool({ ...poolConfig(db.settings, db.roleName), types: rowTypes });
  pool.on('error', () => {}); // an idle connection closed when the database is dropped at the end
  try {
    const creates = await compareCreates(fn, pool, publisher, SAMPLES);
    report('create without outbox (INSERT + PutEvents), p50 (ms)', creates.previous);
    report('create with outbox (one statement, PutEvents), answered, p50 (ms)', creates.answered);
    report('create with outbox until its mark is written, p50 (ms)', creates.marked);
    report('create p50 with outbox / without', creates.answered / creates.previous, '≤ 1.3');
    report('create p50 until marked / without', creates.marked / creates.previous);

    // A backlog: every PutEvents refused while 1,000 creates commit (one call each, no resends).
    events.failWith(() => 'InternalFailure');
    const oneShot = createTransactionFunction(db.functionConfig, {
      publishPolicy: { maxCalls: 1, baseDelayMs: 1, maxDelayMs: 1 },
      poolMax: 8,
    });
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next++ < BACKLOG) {
          await oneShot.handler({ operation: 'create', amount: '2.00', transactionId: randomUUID() });
        }
      }),
    );
    await oneShot.close();
    events.failWith(undefined);
    const before = events.accepted.length;
    const started = performance.now();
    let remaining = Number.POSITIVE_INFINITY;
    for (let round = 0; remaining > 0 && round < 20; round++) {
      const answer = (await fn.handler({
        operation: 'sweep',
        olderThanSeconds: 0,
        limit: 1000,
      })) as SweepAnswer;
      remaining = answer.remaining;
    }
    const seconds = (performance.now() - started) / 1000;
    const published = events.accepted.length - before;
    if (published < BACKLOG) throw new Error(`the sweep published ${published} of ${BACKLOG}`);
    report('sweep: events published per second (1,000-event backlog)', published / seconds);
  } finally {
    publisher.destroy();
    await pool.end();
    await fixture.stop();
  }
};

export default bench;
