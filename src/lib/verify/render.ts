/** Human output for the verify reports: one line per check, then the verdict. */

import type { VerifyReport } from './all.js';
import type { ConsistencyReport } from './consistency.js';
import type { EventsReport } from './events.js';

const ms = (value: number | undefined) => (value === undefined ? '—' : `${Math.round(value)} ms`);
const mark = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');

export function renderConsistency(report: ConsistencyReport): string {
  const lines = report.readBacks.map(
    (c) =>
      `${mark(c.ok)} #${c.iteration} write ${c.writer} (${ms(c.writeLatencyMs)}) → read ${c.reader} (${ms(c.readLatencyMs)})${c.problem ? `: ${c.problem}` : ''}`,
  );
  lines.push(
    `${mark(report.countsAgree)} counts: ${report.counts.map((c) => `${c.region} ${c.count} (${ms(c.latencyMs)})`).join(', ')}`,
  );
  lines.push(
    report.passed
      ? `Consistent: ${report.readBacks.length} read-after-write checks across ${report.regions.join(', ')} passed.`
      : `Inconsistent: ${report.problems.length} problem(s).`,
  );
  return lines.join('\n');
}

export function renderEvents(report: EventsReport): string {
  const lines = report.deliveries.map(
    (d) =>
      `${mark(d.delivered)} ${d.origin} → ${d.destination}: ${d.delivered ? `delivered in ${ms(d.deliveryLatencyMs)} (${d.polls} ${d.polls === 1 ? 'poll' : 'polls'})` : (d.problem ?? 'not delivered')}`,
  );
  for (const b of report.backlog) {
    lines.push(
      b.unpublished === 0
        ? `${mark(true)} ${b.region} outbox: nothing unpublished`
        : `${mark(b.oldestAgeSeconds !== null && b.oldestAgeSeconds * 1000 <= report.timeoutMs)} ${b.region} outbox: ${b.unpublished} unpublished, the oldest ${Math.round(b.oldestAgeSeconds ?? 0)} s old (${b.oldestTransactionId})`,
    );
  }
  lines.push(report.passed ? 'Events flow both ways.' : `Events lost: ${report.problems.length} problem(s).`);
  return lines.join('\n');
}

export function renderVerify(report: VerifyReport): string {
  const lines = ['consistency:', renderConsistency(report.consistency)];
  if (report.events) lines.push('', 'events:', renderEvents(report.events));
  for (const skipped of report.skipped) lines.push('', `skipped ${skipped}`);
  lines.push(
    '',
    report.passed
      ? `Verified: every check passed across ${report.regions.join(', ')}.`
      : `Failed checks: ${report.failedChecks.join(', ')}.`,
  );
  return lines.join('\n');
}
