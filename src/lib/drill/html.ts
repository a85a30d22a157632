/**
 * `--report FILE.html` (of `drill region-outage` and `txn load`): one self-contained page (inline SVG
 * and CSS, no script, nothing fetched) with, per region, availability and p50/p99 latency per second,
 * a drill's outage window shaded, and a drill's verdicts. Each chart carries its series in data
 * attributes, so a test (or a person) can read the numbers the picture was drawn from.
 */
import { statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { DrillReport } from './index.js';
import type { SecondStats, Verdict } from './report.js';

const W = 640;
const H = 160;
const PAD = 30;

/** One region's section: its figures (as text and as data attributes) and its per-second series. */
export interface PageRegion {
  region: string;
  /** Shown beside the region: `impaired`, `healthy`, `load`. */
  role: string;
  requests: number;
  successes: number;
  failures: number;
  /** The section's figures in words. */
  figures: string;
  perSecond: SecondStats[];
}

/** What a page shows; the outage window and the verdicts only for a drill. */
export interface ReportPage {
  title: string;
  heading: string;
  /** The run in words, and its main numbers as data attributes of the summary. */
  summary: string;
  summaryData: Record<string, string | number | boolean>;
  regions: PageRegion[];
  /** ms since the run started. */
  outage?: { startMs: number; endMs: number };
  verdicts?: Verdict[];
  footer: string;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** A step line: each second's value spans that second's width (so a one-second run is drawn too). */
function polyline(values: (number | null)[], max: number, seconds: number, cls: string): string {
  const x = (i: number) => PAD + (i / Math.max(1, seconds)) * (W - 2 * PAD);
  const y = (v: number) => H - PAD - (v / (max || 1)) * (H - 2 * PAD);
  const points = values.flatMap((v, i) =>
    v === null ? [] : [`${x(i).toFixed(1)},${y(v).toFixed(1)}`, `${x(i + 1).toFixed(1)},${y(v).toFixed(1)}`],
  );
  return `<polyline class="${cls}" fill="none" points="${points.join(' ')}"/>`;
}

function chart(kind: 'availability' | 'latency', s: PageRegion, page: ReportPage, seconds: number): string {
  const shade = page.outage
    ? `<rect class="outage" x="${(PAD + (page.outage.startMs / 1000 / seconds) * (W - 2 * PAD)).toFixed(1)}" y="${PAD}" width="${(((page.outage.endMs - page.outage.startMs) / 1000 / seconds) * (W - 2 * PAD)).toFixed(1)}" height="${H - 2 * PAD}"/>`
    : '';
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

const dataAttributes = (data: Record<string, string | number | boolean>) =>
  Object.entries(data)
    .map(([k, v]) => ` data-${k}="${escapeHtml(String(v))}"`)
    .join('');

export function reportHtml(page: ReportPage): string {
  const seconds = Math.max(1, ...page.regions.map((s) => s.perSecond.length));
  const sections = page.regions
    .map(
      (s) => `<section class="region" data-region="${s.region}">
<h2>${escapeHtml(s.region)} (${escapeHtml(s.role)})</h2>
<p class="numbers" data-requests="${s.requests}" data-successes="${s.successes}" data-failures="${s.failures}">${escapeHtml(s.figures)}</p>
${chart('availability', s, page, seconds)}
${chart('latency', s, page, seconds)}
</section>`,
    )
    .join('\n');
  const verdicts = page.verdicts
    ? `<h2>Proof</h2><ul id="verdicts">${page.verdicts
        .map(
          (v) =>
            `<li class="verdict ${v.passed ? 'passed' : 'failed'}" data-check="${v.check}">${v.passed ? '✓' : '✗'} ${escapeHtml(v.check)}: ${escapeHtml(v.detail)}</li>`,
        )
        .join('\n')}</ul>\n`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(page.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
.outage{fill:#f4c7c3;opacity:.6}.axis{stroke:#999}.availability{stroke:#2a7}.p50{stroke:#36c}.p99{stroke:#e80}
polyline{stroke-width:2}.passed{color:#2a7}.failed{color:#c22}text{font-size:11px;fill:#555}
</style></head><body>
<h1>${escapeHtml(page.heading)}</h1>
<p id="summary"${dataAttributes(page.summaryData)}>${escapeHtml(page.summary)}</p>
${sections}
${verdicts}<p>${escapeHtml(page.footer)}</p>
</body></html>
`;
}

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);

export function drillPage(r: DrillReport): ReportPage {
  return {
    title: `dsqlctl drill: ${r.stack} ${r.impairedRegion}`,
    heading: `Region-outage drill: stack ${r.stack}`,
    summary: `${r.impairedRegion} impaired for ${r.durationMs / 1000} s by FIS experiment ${r.outage.experimentId} (${r.outage.finalStatus}), ${r.rate} creates/s; ${r.failovers} failovers; recovery ${r.recoveryMs === null ? 'none' : `${Math.round(r.recoveryMs)} ms`}; ${r.proof.acknowledged} rows acknowledged; events ${r.proof.events.delivered}/${r.proof.events.expected}${r.forwarding ? `; forwarding rule ${r.forwarding.rule} disabled from ${(r.forwarding.disabledMs / 1000).toFixed(1)} s to ${r.forwarding.enabledMs === null ? '(never enabled)' : `${(r.forwarding.enabledMs / 1000).toFixed(1)} s`}` : ''}. The shaded band is the outage.`,
    summaryData: { passed: r.passed, failovers: r.failovers, acknowledged: r.proof.acknowledged },
    regions: r.regions.map((s) => ({
      region: s.region,
      role: s.role,
      requests: s.requests,
      successes: s.successes,
      failures: s.failures,
      figures: `${s.requests} requests, ${s.successes} ok, ${s.failures} failed; p50 ${s.latencyMs.p50} ms, p99 ${s.latencyMs.p99} ms; availability during the outage ${pct(s.availabilityDuringOutage)}`,
      perSecond: s.perSecond,
    })),
    outage: r.outage,
    verdicts: r.verdicts,
    footer: r.passed ? 'Drill passed.' : 'Drill FAILED.',
  };
}

/** Checked before the run, so a run is not lost to a report that cannot be written: its folder must exist. */
export function checkReportFile(file: string): string {
  const path = resolve(file);
  const folder = dirname(path);
  if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`--report ${file}: the folder ${folder} does not exist.`);
  }
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`--report ${file} is a folder: give the HTML file's name.`);
  }
  return path;
}

export function writeReportHtml(file: string, page: ReportPage): void {
  writeFileSync(file, reportHtml(page));
}
