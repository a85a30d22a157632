/**
 * Bare `verify`: every check in order (consistency, then events) over the same regions, one report,
 * one verdict naming each failed check. A one-region stack has no events to check: skipped, said so.
 */
import { suggest } from '../advice.js';
import { InconsistencyError } from '../errors.js';
import type { Target } from '../target.js';
import { stackRegions } from '../txn/index.js';
import { ConsistencyFailure, type ConsistencyReport, verifyConsistency } from './consistency.js';
import { EventsFailure, type EventsReport, verifyEvents } from './events.js';

export interface VerifyReport {
  stack: string;
  regions: string[];
  passed: boolean;
  /** The checks that failed, by name (consistency, events). */
  failedChecks: string[];
  /** Checks not run, each with why. */
  skipped: string[];
  consistency: ConsistencyReport;
  events?: EventsReport;
}

export class VerifyFailure extends InconsistencyError {
  constructor(readonly report: VerifyReport) {
    super(`Verify failed for stack "${report.stack}": ${report.failedChecks.join(', ')} failed.`, {
      advice: `Run a check alone for its own report: ${report.failedChecks
        .map((check) => suggest(`verify ${check} --stack ${report.stack}`))
        .join(' or ')}`,
    });
  }
}

/** A check's report whether it passed or failed (a failure carries its report). */
async function reportOf<R>(work: Promise<R>): Promise<R> {
  return work.catch((error: unknown) => {
    if (error instanceof ConsistencyFailure || error instanceof EventsFailure) return error.report as R;
    throw error;
  });
}

export async function verifyAll(
  target: Target,
  options: { stack: string; regions?: string[]; iterations: number; timeoutMs: number },
): Promise<VerifyReport> {
  const regions = await stackRegions(target, options.stack, options.regions);
  const scope = { stack: options.stack, regions };
  const consistency = await reportOf(verifyConsistency(target, { ...scope, iterations: options.iterations }));
  const events =
    regions.length === 2
      ? await reportOf(verifyEvents(target, { ...scope, timeoutMs: options.timeoutMs }))
      : undefined;
  const failedChecks = [
    ...(consistency.passed ? [] : ['consistency']),
    ...(events && !events.passed ? ['events'] : []),
  ];
  const report: VerifyReport = {
    stack: options.stack,
    regions,
    passed: failedChecks.length === 0,
    failedChecks,
    skipped: events ? [] : [`events: needs two peered regions (${regions.join(', ')} selected)`],
    consistency,
    ...(events ? { events } : {}),
  };
  if (!report.passed) throw new VerifyFailure(report);
  return report;
}
