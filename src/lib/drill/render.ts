/** The drill's report for a terminal: the numbers per region, a per-second availability line each, the verdicts. */
import type { DrillReport } from './index.js';
import { sparkline } from './report.js';

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);

export function renderDrill(r: DrillReport): string {
  const lines: string[] = [];
  for (const e of r.stoppedLeftovers)
    lines.push(`Stopped experiment ${e.id} in ${e.region}, left ${e.status} by a killed drill.`);
  for (const rule of r.enabledLeftoverRules)
    lines.push(
      `Enabled forwarding rule ${rule.name} in ${rule.region}, left DISABLED by a killed drill --events.`,
    );
  lines.push(
    `Drill region-outage on stack ${r.stack}: ${r.impairedRegion} impaired for ${r.durationMs / 1000} s (experiment ${r.outage.experimentId}, ${r.outage.finalStatus}), ${r.rate} creates/s.`,
    '',
  );
  const width = Math.max(...r.regions.map((s) => s.region.length));
  for (const s of r.regions) {
    lines.push(
      `  ${s.region.padEnd(width)}  ${s.role.padEnd(8)}  ${s.requests} requests, ${s.successes} ok, ${s.failures} failed, p50 ${s.latencyMs.p50} ms, p99 ${s.latencyMs.p99} ms, availability during the outage ${pct(s.availabilityDuringOutage)}`,
    );
  }
  lines.push(
    '',
    '  availability per second (outage from second ' +
      Math.floor(r.outage.startMs / 1000) +
      ' to ' +
      Math.floor(r.outage.endMs / 1000) +
      '):',
  );
  for (const s of r.regions) lines.push(`  ${s.region.padEnd(width)}  ${sparkline(s)}`);
  lines.push(
    '',
    ...(r.forwarding
      ? [
          `  events: forwarding rule ${r.forwarding.rule} disabled from ${(r.forwarding.disabledMs / 1000).toFixed(1)} s to ${r.forwarding.enabledMs === null ? '(never enabled)' : `${(r.forwarding.enabledMs / 1000).toFixed(1)} s`}, ${r.forwarding.putWhileDisabled} create(s) acknowledged by ${r.forwarding.region} meanwhile`,
        ]
      : []),
    `  failovers: ${r.failovers}; recovery: ${r.recoveryMs === null ? 'none' : `${Math.round(r.recoveryMs)} ms`} from the experiment's end to ${r.impairedRegion}'s first success`,
    `  rows: ${r.proof.acknowledged} acknowledged, found ${Object.entries(r.proof.found)
      .map(([k, v]) => `${v} in ${k}`)
      .join(', ')}; events: ${r.proof.events.delivered} of ${r.proof.events.expected} delivered`,
    '',
  );
  for (const v of r.verdicts) lines.push(`  ${v.passed ? '✓' : '✗'} ${v.check}: ${v.detail}`);
  lines.push('', r.passed ? 'Drill passed.' : 'Drill FAILED.');
  return lines.join('\n');
}
