/**
 * JUnit XML for `verify --junit FILE`: one <testsuite> per verify check, one <testcase> per
 * individual check in it (a read-back, the counts, a delivery), the shape CI systems display.
 */
import { writeFileSync } from 'node:fs';
import type { ConsistencyReport } from './consistency.js';
import type { EventsReport } from './events.js';

interface JUnitCase {
  name: string;
  timeMs: number;
  failure?: string;
}

export interface JUnitSuite {
  name: string;
  cases: JUnitCase[];
}

const xml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  );
const seconds = (ms: number) => (ms / 1000).toFixed(3);

export function consistencySuite(report: ConsistencyReport): JUnitSuite {
  return {
    name: `verify consistency (${report.stack})`,
    cases: [
      ...report.readBacks.map((c) => ({
        name: `#${c.iteration} write ${c.writer}, read ${c.reader}`,
        timeMs: c.writeLatencyMs + c.readLatencyMs,
        ...(c.problem ? { failure: c.problem } : {}),
      })),
      {
        name: `counts agree across ${report.regions.join(', ')}`,
        timeMs: Math.max(0, ...report.counts.map((c) => c.latencyMs)),
        ...(report.countsAgree
          ? {}
          : { failure: report.counts.map((c) => `${c.region} ${c.count}`).join(', ') }),
      },
    ],
  };
}

export function eventsSuite(report: EventsReport): JUnitSuite {
  return {
    name: `verify events (${report.stack})`,
    cases: report.deliveries.map((d) => ({
      name: `event ${d.origin} → ${d.destination}`,
      timeMs: d.deliveryLatencyMs ?? 0,
      ...(d.problem ? { failure: d.problem } : {}),
    })),
  };
}

export function writeJUnit(file: string, suites: JUnitSuite[]): void {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const all = suites.flatMap((s) => s.cases);
  const failures = (cases: JUnitCase[]) => cases.filter((c) => c.failure).length;
  const time = (cases: JUnitCase[]) => seconds(cases.reduce((t, c) => t + c.timeMs, 0));
  lines.push(
    `<testsuites name="dsqlctl verify" tests="${all.length}" failures="${failures(all)}" time="${time(all)}">`,
  );
  for (const suite of suites) {
    lines.push(
      `  <testsuite name="${xml(suite.name)}" tests="${suite.cases.length}" failures="${failures(suite.cases)}" time="${time(suite.cases)}">`,
    );
    for (const c of suite.cases) {
      const open = `    <testcase classname="${xml(suite.name)}" name="${xml(c.name)}" time="${seconds(c.timeMs)}"`;
      if (!c.failure) lines.push(`${open}/>`);
      else
        lines.push(
          `${open}>`,
          `      <failure message="${xml(c.failure)}">${xml(c.failure)}</failure>`,
          '    </testcase>',
        );
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  writeFileSync(file, lines.join('\n'));
}
