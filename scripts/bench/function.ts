// The function zip's size, and the function's warm `create` against its physical floor: the handler's
// own statement sent raw through a pool with the same settings, then one raw PutEvents through an
// EventBridge client configured as the handler's, to the same stand-in (ratios, so machines compare).
// The handler's outbox mark is written after it answers (lambda-bundle/src/handler.ts): it is let
// finish between samples, untimed, so it never lands inside another sample.
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import pg from 'pg';
import { asStoredTime, createStatement, rowTypes } from '../../lambda-bundle/src/store.js';
import { functionZipPath } from '../../src/lib/bundle.js';
import { poolConfig } from '../../src/lib/dsql-connection.js';
import { TRANSACTION_EVENT } from '../../src/lib/function-contract.js';
import { median, timed } from '../../src/lib/stats.js';
import type { Bench } from '../bench.ts';

const WARMUP = 100;
const SAMPLES = 1000;

const bench: Bench = async (report, { postgresUrl }) => {
  report('function.zip size (KB)', statSync(functionZipPath()).size / 1024, '≤ 300');

  // The tests' fixtures: a database of its own behind the local DSQL endpoint with the schema and the
  // function's role, and the PutEvents stand-in the real EventBridge client reaches through
  // AWS_ENDPOINT_URL.
  process.env.DSQLCTL_TEST_PG_URL = postgresUrl;
  const { BUS, REGION, startTestFunction } = await import('../../test/function/support.js');
  const fixture = await startTestFunction('bench');
  const { db, fn } = fixture;
  const pool = new pg.Pool({ ...poolConfig(db.settings, db.roleName), types: rowTypes });
  const eventBridge = new EventBridgeClient({ region: REGION });
  try {
    const rawInsert = () =>
      pool.query(
        `INSERT INTO transactions (id, amount, "timestamp", region) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO NOTHING RETURNING id, amount, "timestamp", region, status`,
        [randomUUID(), '100.50', new Date().toISOString().replace('T', ' ').replace('Z', ''), REGION],
      );
    const handlerCreate = () =>
      fn.handler({ operation: 'create', amount: '100.50', transactionId: randomUUID() });
    const floor = async () => {
      const id = randomUUID();
      const timestamp = asStoredTime(new Date().toISOString());
      const detail = JSON.stringify({ transactionId: id, amount: '100.50', region: REGION, timestamp });
      await pool.query(
        createStatement({ id, amount: '100.50', region: REGION, timestamp, eventDetail: detail }),
      );
      await eventBridge.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: BUS,
              Source: TRANSACTION_EVENT.source,
              DetailType: TRANSACTION_EVENT.detailType,
              Detail: detail,
              Time: new Date(timestamp),
            },
          ],
        }),
      );
    };
    for (let i = 0; i < WARMUP; i++) {
      await rawInsert();
      await handlerCreate();
      await fn.settled();
      await floor();
    }
    // Interleaved, the order rotated every round, so drift and order effects hit all three alike.
    const samples = { raw: [] as number[], handler: [] as number[], floor: [] as number[] };
    const runs: Array<() => Promise<void>> = [
      async () => void samples.raw.push(await timed(rawInsert)),
      async () => {
        samples.handler.push(await timed(handlerCreate));
        await fn.settled();
      },
      async () => void samples.floor.push(await timed(floor)),
    ];
    for (let i = 0; i < SAMPLES; i++) {
      for (let k = 0; k < runs.length; k++) await runs[(i + k) % runs.length]?.();
    }
    const [rawMs, handlerMs, floorMs] = [median(samples.raw), median(samples.handler), median(samples.floor)];
    report('raw INSERT through the endpoint, median (ms)', rawMs);
    report('floor: the create statement raw + one raw PutEvents, median (ms)', floorMs);
    report('handler create (answered), median (ms)', handlerMs);
    report('handler create / its floor', handlerMs / floorMs, '≤ 1.10');
    report('handler create / raw INSERT', handlerMs / rawMs);
  } finally {
    eventBridge.destroy();
    await pool.end();
    await fixture.stop();
  }
};

export default bench;
