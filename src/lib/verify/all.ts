/**
 * Bare `verify`: every check in order (consistency, then events) over the same regions, one report,
 * one verdict naming each failed check. A one-region stack has no events to check: skipped, said so.
 */
import { suggest } from '../advice.js';
import { type FailureReport, failureReport, InconsistencyError } from '../errors.js';
import type { Target } from '../target.js';
import { stackRegions } from '../txn/index.js';
import { type ConsistencyReport, verifyConsistency } from './consistency.js';
import { type EventsReport, verifyEvents } from './events.js';

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
  /** Set when a check failed (exit 5): the report is the result either way. */
  error?: FailureReport;
}

/** The verdict naming each failed check; each check's own error stays in its report. */
function verifyFailure(stack: string, failedChecks: string[], regions?: string[]): FailureReport {
  // The regions the operator chose, so the check run alone covers the same ones.
  const scope = `--stack ${stack}${regions ? ` --regions ${regions.join(',')}` : ''}`;
  return failureReport(
    new InconsistencyError(`Verify failed for stack "${stack}": ${failedChecks.join(', ')} failed.`, {
      advice: `Run a check alone for its own report: ${failedChecks
        .map((check) => suggest(`verify ${check} ${scope}`))
        .join(' or ')}`,
    }),
  );
}

export async function verifyAll(
  target: Target,
  options: { stack: string; regions?: string[]; iterations: number; timeoutMs: number },
): Promise<VerifyReport> {
  const regions = await stackRegions(target, options.stack, options.regions);
  const scope = { stack: options.stack, regions };
  const consistency = await verifyConsistency(target, { ...scope, iterations: options.iterations });
  const events =
    regions.length === 2 ? await verifyEvents(target, { ...scope, timeoutMs: options.timeoutMs }) : undefined;
  const failedChecks = [
    ...(consistency.passed ? [] : ['consistency']),
    ...(events && !events.passed ? ['events'] : []),
  ];
  return {
    stack: options.stack,
    regions,
    passed: failedChecks.length === 0,
    failedChecks,
    skipped: events ? [] : [`events: needs two peered regions (${regions.join(', ')} selected)`],
    consistency,
    ...(events ? { events } : {}),
    ...(failedChecks.length > 0
      ? { error: verifyFailure(options.stack, failedChecks, options.regions) }
      : {}),
  };
}
