// The function zip's size, and the function's warm `create` latency against the
// same INSERT sent straight through pg to the same PostgreSQL server (ratios, so machines compare).
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import pg from 'pg';
import { createTransaction, rowTypes } from '../../lambda-bundle/src/store.js';
import { functionZipPath } from '../../src/lib/bundle.js';
import { poolConfig } from '../../src/lib/dsql-connection.js';
import { median, timed } from '../../src/lib/stats.js';
import type { Bench } from '../bench.ts';

const WARMUP = 100;
const SAMPLES = 1000;

const bench: Bench = async (report, { postgresUrl }) => {
  report('function.zip size (KB)', statSync(functionZipPath()).size / 1024, '≤ 300');

  // The tests' fixtures: a database of its own with the schema and the function's role, and the
  // PutEvents stand-in the real EventBridge client reaches through AWS_ENDPOINT_URL.
  process.env.DSQLCTL_TEST_PG_URL = postgresUrl;
  const { startTestFunction } = await import('../../test/function/support.js');
  const fixture = await startTestFunction('bench');
  const { db, fn } = fixture;
  const dbPath = new pg.Pool({ ...poolConfig(db.settings, db.roleName), types: rowTypes });
  const raw = new pg.Client({ connectionString: db.url(db.roleName) });
  await raw.connect();
  try {
    const rawInsert = () =>
      raw.query(
        `INSERT INTO transactions (id, amount, "timestamp", region) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO NOTHING RETURNING id, amount, "timestamp", region, status`,
        [randomUUID(), '100.50', new Date().toISOString().replace('T', ' ').replace('Z', ''), 'us-east-1'],
      );
    const handlerCreate = () =>
      fn.handler({ operation: 'create', amount: '100.50', transactionId: randomUUID() });
    const storeCreate = () => {
      const id = randomUUID();
      const timestamp = new Date().toISOString();
      return createTransaction(dbPath, {
        id,
        amount: '100.50',
        region: 'us-east-1',
        timestamp,
        eventDetail: (row) =>
          JSON.stringify({ transactionId: row.id, amount: row.amount, timestamp: row.timestamp }),
      });
    };
    for (let i = 0; i < WARMUP; i++) {
      await rawInsert();
      await handlerCreate();
      await storeCreate();
    }
    // Interleaved, so drift on a shared machine hits all three alike.
    const samples = { raw: [] as number[], handler: [] as number[], store: [] as number[] };
    for (let i = 0; i < SAMPLES; i++) {
      samples.raw.push(await timed(rawInsert));
      samples.handler.push(await timed(handlerCreate));
      samples.store.push(await timed(storeCreate));
    }
    const [rawMs, handlerMs, storeMs] = [median(samples.raw), median(samples.handler), median(samples.store)];
    report('raw pg INSERT, median (ms)', rawMs);
    report('handler create incl. PutEvents to a loopback stand-in, median (ms)', handlerMs);
    report('function create, database part only, median (ms)', storeMs);
    report('handler create / raw INSERT', handlerMs / rawMs, '≤ 1.25');
    report('function create database part / raw INSERT', storeMs / rawMs);
  } finally {
    await raw.end();
    await dbPath.end();
    await fixture.stop();
  }
};

export default bench;
