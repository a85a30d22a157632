// `txn load` throughput at concurrency 16 on the local target, beside the raw rate of the same
// INSERT sent straight through `pg` at the same concurrency to a PostgreSQL server of the kind the local
// cloud runs. Printed without a goal: one INSERT is not a create's work (two invocations, three HTTP
// hops, two functions' transactions and an event routed across regions); load-cost.ts measures the
// create against floors of the same work.
// What bounds it locally: the local Lambda runs at most WORKERS_PER_FUNCTION (4) invocations of a
// function at once, and each create also publishes its event, which the same daemon forwards and delivers.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { MIGRATIONS, renderObject, TABLES } from '../../src/lib/schema.js';
import type { Bench } from '../bench.ts';

const CONCURRENCY = 16;
const COUNT = 800;
const STACK = 'bench-exercise';

const bench: Bench = async (report, { postgresUrl }) => {
  const home = mkdtempSync(join(tmpdir(), 'dsqlctl-bench-exercise-'));
  const env = { ...process.env, DSQLCTL_HOME: home, DSQLCTL_TARGET: 'local' };
  const cli = (...args: string[]) => {
    const result = spawnSync(process.execPath, ['bin/run.js', ...args], { env, encoding: 'utf8' });
    if (result.status !== 0)
      throw new Error(`dsqlctl ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    return result.stdout;
  };
  try {
    const txnLoad = (count: number, ...flags: string[]) =>
      cli(
        'txn',
        'load',
        '--stack',
        STACK,
        '--count',
        String(count),
        '--concurrency',
        String(CONCURRENCY),
        ...flags,
      );
    cli('up', '--stack', STACK);
    // A short warm-up so every worker process is started before the measured run.
    txnLoad(CONCURRENCY * 2);
    const load = JSON.parse(txnLoad(COUNT, '--json')).result as {
      throughputPerSecond: number;
      latencyMs: { p50: number; p95: number; p99: number };
      retries: number;
    };
    const raw = await rawInsertRate(postgresUrl);
    report(`txn load invocations/s (c=${CONCURRENCY})`, load.throughputPerSecond);
    report(
      'txn load latency p50 / p95 / p99 (ms)',
      `${load.latencyMs.p50.toFixed(1)} / ${load.latencyMs.p95.toFixed(1)} / ${load.latencyMs.p99.toFixed(1)}`,
    );
    report('txn load OCC retries', load.retries);
    report(`raw pg INSERT/s (c=${CONCURRENCY})`, raw);
    report('txn load rate / raw INSERT rate (unlike work: see load-cost)', load.throughputPerSecond / raw);
  } finally {
    // Cleanup must not mask the run's own error, but a failed one must not pass unnoticed either.
    for (const args of [
      ['down', '--yes', '--stack', STACK],
      ['local', 'stop'],
    ]) {
      const result = spawnSync(process.execPath, ['bin/run.js', ...args], { env, encoding: 'utf8' });
      if (result.status !== 0)
        process.stderr.write(
          `bench cleanup: dsqlctl ${args.join(' ')} exited ${result.status}: ${result.stderr}\n`,
        );
    }
    rmSync(home, { recursive: true, force: true });
  }
};
export default bench;

/** The seed's table as the schema defines it: the table alone, not its indexes, so the baseline is a plain insert. */
function transactionsTable() {
  const migration = MIGRATIONS.find(
    (m) => m.object.kind === 'table' && m.object.name === TABLES.transactions,
  );
  if (!migration) throw new Error('schema has no transactions table');
  return migration.object;
}

/** COUNT single-row INSERT transactions into the seed's table, CONCURRENCY connections in parallel. */
async function rawInsertRate(postgresUrl: string): Promise<number> {
  const database = `bench_exercise_${randomUUID().replaceAll('-', '')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(postgresUrl);
  url.pathname = `/${database}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: CONCURRENCY });
  try {
    await pool.query(renderObject(transactionsTable()));
    let next = 0;
    const worker = async () => {
      while (next < COUNT) {
        next++;
        await pool.query(
          `INSERT INTO ${TABLES.transactions} (id, amount, "timestamp", region) VALUES ($1, $2, now(), $3) ON CONFLICT (id) DO NOTHING`,
          [randomUUID(), '12.34', 'us-east-1'],
        );
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return COUNT / ((performance.now() - started) / 1000);
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE ${database}`);
    await admin.end();
  }
}
