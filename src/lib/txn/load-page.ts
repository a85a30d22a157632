/** `txn load --report FILE.html`: the drill's page (drill/html.ts) for one load run, without an outage window. */
import type { ReportPage } from '../drill/html.js';
import type { LoadReport } from './load.js';

const ms = (v: number) => `${v.toFixed(1)} ms`;

export function loadPage(r: LoadReport): ReportPage {
  const requests = r.succeeded + r.failed;
  const figures = [
    `${requests} requests, ${r.succeeded} ok, ${r.failed} failed (${r.throttled} throttled)`,
    `${r.throughputPerSecond.toFixed(1)}/s at concurrency ${r.concurrency}`,
    `p50 ${ms(r.latencyMs.p50)}, p95 ${ms(r.latencyMs.p95)}, p99 ${ms(r.latencyMs.p99)}, max ${ms(r.latencyMs.max)}`,
    `OCC retries: ${r.retries} extra attempts over ${r.retriedTransactions} transactions`,
  ].join('; ');
  const ended = r.stoppedEarly ? 'stopped early' : r.interrupted ? 'interrupted' : 'completed';
  return {
    title: `dsqlctl txn load: ${r.stack} ${r.region}`,
    heading: `Load run: stack ${r.stack}`,
    summary: `${r.count} creates through ${r.region}'s function with ${r.concurrency} in flight, ${ended} in ${(r.durationMs / 1000).toFixed(2)} s: ${r.succeeded} succeeded, ${r.failed} failed, ${r.notStarted} not started.`,
    summaryData: {
      count: r.count,
      succeeded: r.succeeded,
      failed: r.failed,
      throughput: r.throughputPerSecond.toFixed(1),
    },
    regions: [
      {
        region: r.region,
        role: 'load',
        requests,
        successes: r.succeeded,
        failures: r.failed,
        figures,
        perSecond: r.perSecond,
      },
    ],
    footer: r.failed === 0 && r.notStarted === 0 ? 'Every create succeeded.' : `${r.failed} creates failed.`,
  };
}
