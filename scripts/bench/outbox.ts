// The transactional outbox's cost and the sweep's pace, with the real handler on the tests' fixtures
// (a database through the DSQL endpoint, the real EventBridge client against a loopback PutEvents
// stand-in):
//  - `create` p50 with the outbox (transaction row and event row in one transaction, PutEvents, the
//    event marked published) ÷ the previous design (the row INSERTed alone, then PutEvents), same run.
//  - the sweep's pace draining a 1,000-event backlog (events EventBridge accepted per second).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { EventPublisher } from '../../lambda-bundle/src/events.js';
import { createTransactionFunction } from '../../lambda-bundle/src/handler.js';
import { rowTypes } from '../../lambda-bundle/src/store.js';
import { poolConfig } from '../../src/lib/dsql-connection.js';
import type { SweepAnswer, TransactionEventDetail } from '../../src/lib/function-contract.js';
import { median, timed } from '../../src/lib/stats.js';
import type { Bench } from '../bench.ts';

const WARMUP = 50;
const SAMPLES = 500;
const BACKLOG = 1000;

const bench: Bench = async (report, { postgresUrl }) => {
  process.env.DSQLCTL_TEST_PG_URL = postgresUrl;
  const { BUS, REGION, startTestFunction } = await import('../../test/function/support.js');
  // The label names the test database: letters and underscores only.
  const fixture = await startTestFunction('outbox_bench');
  const { db, fn, events } = fixture;
  // The previous design on the same pool settings and the same publisher: no outbox row, no mark.
  const pool = new pg.Pool({ ...poolConfig(db.settings, db.roleName), types: rowTypes });
  pool.on('error', () => {}); // an idle connection closed when the database is dropped at the end
  const publisher = new EventPublisher(BUS, REGION);
  try {
    const previousCreate = async () => {
      const id = randomUUID();
      const timestamp = new Date().toISOString();
      const { rows } = await pool.query<{ id: string; amount: string; timestamp: string }>(
        `INSERT INTO transactions (id, amount, "timestamp", region) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO NOTHING RETURNING id, amount::text AS amount, "timestamp"`,
        [id, '100.50', timestamp.replace('T', ' ').replace('Z', ''), REGION],
      );
      const detail: TransactionEventDetail = {
        transactionId: id,
        amount: rows[0]?.amount ?? '100.50',
        region: REGION,
        originRegion: REGION,
        operation: 'create',
        timestamp,
      };
      const outcome = await publisher.publish([
        { transactionId: id, detail: JSON.stringify(detail), time: timestamp },
      ]);
      if (outcome.accepted.length !== 1) throw new Error('the baseline event was not accepted');
    };
    const outboxCreate = async () => {
      const answer = await fn.handler({ operation: 'create', amount: '100.50', transactionId: randomUUID() });
      if (!answer.ok || !('eventPublished' in answer) || !answer.eventPublished) {
        throw new Error(`create did not publish: ${JSON.stringify(answer)}`);
      }
    };
    for (let i = 0; i < WARMUP; i++) {
      await previousCreate();
      await outboxCreate();
    }
    // Interleaved, so drift on a shared machine hits both alike.
    const samples = { previous: [] as number[], outbox: [] as number[] };
    for (let i = 0; i < SAMPLES; i++) {
      samples.previous.push(await timed(previousCreate));
      samples.outbox.push(await timed(outboxCreate));
    }
    const [previousMs, outboxMs] = [median(samples.previous), median(samples.outbox)];
    report('create without outbox (INSERT + PutEvents), p50 (ms)', previousMs);
    report('create with outbox (row + event row, PutEvents, mark), p50 (ms)', outboxMs);
    report('create p50 with outbox / without', outboxMs / previousMs, '≤ 1.3');

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
