/**
 * `--report FILE.html`: one self-contained page (inline SVG and CSS, no script, nothing fetched) with,
 * per region, availability and p50/p99 latency per second, the outage window shaded, and the proof's
 * verdicts. Each chart carries its series in data attributes, so a test (or a person) can read the
 * numbers the picture was drawn from.
 */
import { writeFileSync } from 'node:fs';
import type { DrillReport } from './index.js';
import type { RegionStats } from './report.js';

const W = 640;
const H = 160;
const PAD = 30;

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function polyline(values: (number | null)[], max: number, seconds: number, cls: string): string {
  const x = (i: number) => PAD + ((i + 0.5) / Math.max(1, seconds)) * (W - 2 * PAD);
  const y = (v: number) => H - PAD - (v / (max || 1)) * (H - 2 * PAD);
  const points = values.flatMap((v, i) => (v === null ? [] : [`${x(i).toFixed(1)},${y(v).toFixed(1)}`]));
  return `<polyline class="${cls}" fill="none" points="${points.join(' ')}"/>`;
}

function chart(kind: 'availability' | 'latency', s: RegionStats, r: DrillReport, seconds: number): string {
  const shadeX = PAD + (r.outage.startMs / 1000 / seconds) * (W - 2 * PAD);
  const shadeW = ((r.outage.endMs - r.outage.startMs) / 1000 / seconds) * (W - 2 * PAD);
  const shade = `<rect class="outage" x="${shadeX.toFixed(1)}" y="${PAD}" width="${shadeW.toFixed(1)}" height="${H - 2 * PAD}"/>`;
  const axes = `<line class="axis" x1="${PAD}" y1="${H - PAD}" x2="${W - PAD}" y2="${H - PAD}"/><line class="axis" x1="${PAD}" y1="${PAD}" x2="${PAD}" y2="${H - PAD}"/>`;
  const availability = s.perSecond.map((p) => (p.requests === 0 ? null : p.successes / p.requests));
  if (kind === 'availability') {
    return `<svg class="chart" data-region="${s.region}" data-kind="availability" data-values="${availability.map((v) => (v === null ? '' : v.toFixed(3))).join(',')}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${shade}${axes}${polyline(availability, 1, seconds, 'availability')}<text x="${PAD}" y="${PAD - 8}">availability per second (100 % at top)</text></svg>`;
  }
  const p50 = s.perSecond.map((p) => p.p50Ms);
  const p99 = s.perSecond.map((p) => p.p99Ms);
  const max = Math.max(1, ...p99.filter((v): v is number => v !== null));
  return `<svg class="chart" data-region="${s.region}" data-kind="latency" data-p50="${p50.map((v) => v ?? '').join(',')}" data-p99="${p99.map((v) => v ?? '').join(',')}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${shade}${axes}${polyline(p50, max, seconds, 'p50')}${polyline(p99, max, seconds, 'p99')}<text x="${PAD}" y="${PAD - 8}">latency p50 (blue) / p99 (orange), max ${max.toFixed(0)} ms</text></svg>`;
}

export function drillHtml(r: DrillReport): string {
  const seconds = Math.max(1, ...r.regions.map((s) => s.perSecond.length));
  const sections = r.regions
    .map(
      (s) => `<section class="region" data-region="${s.region}">
<h2>${escapeHtml(s.region)} (${s.role})</h2>
<p class="numbers" data-requests="${s.requests}" data-successes="${s.successes}" data-failures="${s.failures}">${s.requests} requests, ${s.successes} ok, ${s.failures} failed; p50 ${s.latencyMs.p50} ms, p99 ${s.latencyMs.p99} ms; availability during the outage ${s.availabilityDuringOutage === null ? '—' : `${(s.availabilityDuringOutage * 100).toFixed(1)} %`}</p>
${chart('availability', s, r, seconds)}
${chart('latency', s, r, seconds)}
</section>`,
    )
    .join('\n');
  const verdicts = r.verdicts
    .map(
      (v) =>
        `<li class="verdict ${v.passed ? 'passed' : 'failed'}" data-check="${v.check}">${v.passed ? '✓' : '✗'} ${escapeHtml(v.check)}: ${escapeHtml(v.detail)}</li>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dsqlctl drill: ${escapeHtml(r.stack)} ${escapeHtml(r.impairedRegion)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
.outage{fill:#f4c7c3;opacity:.6}.axis{stroke:#999}.availability{stroke:#2a7}.p50{stroke:#36c}.p99{stroke:#e80}
polyline{stroke-width:2}.passed{color:#2a7}.failed{color:#c22}text{font-size:11px;fill:#555}
</style></head><body>
<h1>Region-outage drill: stack ${escapeHtml(r.stack)}</h1>
<p id="summary" data-passed="${r.passed}" data-failovers="${r.failovers}" data-acknowledged="${r.proof.acknowledged}">${escapeHtml(r.impairedRegion)} impaired for ${r.durationMs / 1000} s by FIS experiment ${escapeHtml(r.outage.experimentId)} (${escapeHtml(r.outage.finalStatus)}), ${r.rate} creates/s; ${r.failovers} failovers; recovery ${r.recoveryMs === null ? 'none' : `${Math.round(r.recoveryMs)} ms`}; ${r.proof.acknowledged} rows acknowledged; events ${r.proof.events.delivered}/${r.proof.events.expected}. The shaded band is the outage.</p>
${sections}
<h2>Proof</h2><ul id="verdicts">${verdicts}</ul>
<p>${r.passed ? 'Drill passed.' : 'Drill FAILED.'}</p>
</body></html>
`;
}

export function writeDrillHtml(file: string, report: DrillReport): void {
  writeFileSync(file, drillHtml(report));
}
