/** Human output for the txn commands: one short line, or a table for lists. */

import { formatElapsed } from '../provision/progress.js';
import { renderTable as renderColumns } from '../table.js';
import type { CountAnswer, CreateAnswer, GetAnswer, ListAnswer, Transaction, TxnResult } from './index.js';
import type { LoadProgress, LoadReport } from './load.js';

const ms = (value: number) => `${Math.round(value)} ms`;

export function renderCreate({ region, latencyMs, answer }: TxnResult<CreateAnswer>): string {
  const t = answer.transaction;
  const what = answer.created ? 'Created' : 'Already existed:';
  const retries = answer.attempts > 1 ? `, ${answer.attempts} attempts` : '';
  const event = answer.republished
    ? 'its unpublished event published now'
    : answer.eventPublished
      ? 'event published'
      : answer.eventError
        ? `event not published yet: ${answer.eventError}; the sweep will publish it`
        : 'event published earlier';
  return `${what} transaction ${t.id} of ${t.amount} in ${region} (${event}${retries}, ${ms(latencyMs)})`;
}

export function renderCount({ stack, region, latencyMs, answer }: TxnResult<CountAnswer>): string {
  return `${answer.count} ${answer.count === 1 ? 'transaction' : 'transactions'} in stack ${stack} (read in ${region}, ${ms(latencyMs)})`;
}

/** An unknown id never gets here: the function answers it `{ok: false}` NotFound (exit 6). */
export function renderGet({ answer }: TxnResult<GetAnswer>): string {
  return renderTable([answer.transaction]);
}

export function renderList({ region, answer }: TxnResult<ListAnswer>): string {
  if (answer.transactions.length === 0) return `No transactions yet (read in ${region})`;
  return renderTable(answer.transactions);
}

function renderTable(transactions: Transaction[]): string {
  return renderColumns(
    [
      { header: 'ID', shrink: true },
      { header: 'AMOUNT', align: 'right' },
      { header: 'REGION' },
      { header: 'STATUS', shrink: true },
      { header: 'TIMESTAMP' },
    ],
    transactions.map((t) => [t.id, String(t.amount), t.region, t.status ?? '', String(t.timestamp)]),
  );
}

/** One carriage-return-refreshed progress bar line. */
export function progressLine(done: number, total: number): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

/** "txn load: 340/1000 done, 12 failed (8 throttled), 68.0/s, 5s elapsed": the piped progress line. */
export function progressText(p: LoadProgress, total: number): string {
  const failed =
    p.failed > 0 ? `, ${p.failed} failed${p.throttled > 0 ? ` (${p.throttled} throttled)` : ''}` : '';
  const rate = p.succeeded / Math.max(p.elapsedMs / 1000, 0.001);
  return `txn load: ${p.done}/${total} done${failed}, ${rate.toFixed(1)}/s, ${formatElapsed(p.elapsedMs)} elapsed`;
}

export function renderLoad(r: LoadReport): string {
  const l = r.latencyMs;
  const lines = [
    `${r.succeeded} transactions in ${r.region} in ${(r.durationMs / 1000).toFixed(2)} s at concurrency ${r.concurrency}: ${r.throughputPerSecond.toFixed(1)}/s`,
  ];
  if (r.failed > 0 || r.notStarted > 0) {
    const stopped = r.stoppedEarly ? ', stopped early' : r.interrupted ? ', interrupted' : '';
    lines.push(
      `${r.failed} failed (${r.throttled} throttled), ${r.notStarted} not started of ${r.count}${stopped}`,
    );
  }
  if (r.succeeded > 0) {
    lines.push(
      `latency p50 ${ms(l.p50)}, p95 ${ms(l.p95)}, p99 ${ms(l.p99)}, max ${ms(l.max)}`,
      `OCC retries: ${r.retries} extra attempts over ${r.retriedTransactions} transactions`,
    );
  }
  return lines.join('\n');
}

/** Upper bounds (ms) of the histogram's buckets: about ×2 apart, as latencies spread. */
const BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000];
const BAR_WIDTH = 40;

/** Latency histogram, one ASCII bar a bucket, from the first bucket with samples to the last. */
export function renderHistogram(latencies: readonly number[]): string {
  const counts = [...BUCKETS_MS, Number.POSITIVE_INFINITY].map(() => 0);
  for (const value of latencies) {
    const i = BUCKETS_MS.findIndex((upTo) => value <= upTo);
    counts[i === -1 ? BUCKETS_MS.length : i]++;
  }
  const first = counts.findIndex((n) => n > 0);
  const last = counts.findLastIndex((n) => n > 0);
  const most = Math.max(...counts);
  const label = (i: number) =>
    i < BUCKETS_MS.length ? `≤ ${BUCKETS_MS[i]} ms` : `> ${BUCKETS_MS.at(-1)} ms`;
  const lines = ['latency histogram:'];
  for (let i = first; i <= last; i++) {
    const n = counts[i] ?? 0;
    const bar = '#'.repeat(n === 0 ? 0 : Math.max(1, Math.round((n / most) * BAR_WIDTH)));
    lines.push(`  ${label(i).padStart(11)} |${bar.padEnd(BAR_WIDTH)} ${n}`);
  }
  return lines.join('\n');
}
