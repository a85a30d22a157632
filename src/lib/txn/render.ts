/** Human output for the txn commands: one short line, or a table for lists. */

import { renderTable as renderColumns } from '../table.js';
import type { CountAnswer, CreateAnswer, GetAnswer, ListAnswer, Transaction, TxnResult } from './index.js';
import type { LoadReport } from './load.js';

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

export function renderLoad(r: LoadReport): string {
  const l = r.latencyMs;
  return [
    `${r.succeeded} transactions in ${r.region} in ${(r.durationMs / 1000).toFixed(2)} s at concurrency ${r.concurrency}: ${r.throughputPerSecond.toFixed(1)}/s`,
    `latency p50 ${ms(l.p50)}, p95 ${ms(l.p95)}, p99 ${ms(l.p99)}, max ${ms(l.max)}`,
    `OCC retries: ${r.retries} extra attempts over ${r.retriedTransactions} transactions`,
  ].join('\n');
}
