/**
 * Running a plan for `up` and `down`: the progress view, the apply engine, and the translation of a
 * failed plan into the one error the command reports.
 */
import { adviceFor, type FailureReport, failureReport } from '../errors.js';
import { interruption } from '../interrupt.js';
import { applyPlan, type Reporter, StepFailedError, type StepReport } from './apply.js';
import type { KindCounts } from './results.js';
import type { Change, Outcome, ResourceKind, StepResult } from './types.js';

/** Makes the progress view for a plan (listr2 on a TTY, plain lines otherwise). */
export type ReporterFactory = (changes: readonly Change[]) => Promise<Reporter>;

export function countBy<T extends { kind: ResourceKind }>(
  items: readonly T[],
  key: (item: T) => Outcome | Change['action'],
): KindCounts {
  const counts: KindCounts = {};
  for (const item of items) {
    const byKind = counts[item.kind] ?? {};
    const k = key(item);
    byKind[k] = (byKind[k] ?? 0) + 1;
    counts[item.kind] = byKind;
  }
  return counts;
}

/** Forwards progress to whichever reporter is current (the reporter exists only once the plan does). */
export function progressRelay() {
  let reporter: Reporter | undefined;
  return {
    set(r: Reporter) {
      reporter = r;
    },
    send: (id: string, message: string) => reporter?.message(id, message),
  };
}

/**
 * Shows the plan through the caller's reporter (progress relayed to it from now on), then applies it.
 * A failed plan is a result, not a throw: every step with its outcome, and the failure (message naming
 * each failed step, exit code and advice from the first failure's root cause).
 */
export async function runSteps(
  plan: Change[],
  makeReporter: ReporterFactory,
  relay: ReturnType<typeof progressRelay>,
  step: (change: Change) => Promise<StepReport>,
): Promise<{ steps: StepResult[]; failure?: FailureReport }> {
  const reporter = await makeReporter(plan);
  relay.set(reporter);
  try {
    const steps = await applyPlan(plan, step, reporter);
    const interrupted = interruption();
    return interrupted ? { steps, failure: failureReport(interrupted, interrupted.message) } : { steps };
  } catch (error) {
    if (!(error instanceof StepFailedError)) throw error;
    // An interruption is the cause of whatever failed after it (a wait that stopped, a skipped step).
    const interrupted = interruption();
    if (interrupted)
      return { steps: error.results, failure: failureReport(interrupted, interrupted.message) };
    // The step that failed first leads: later failures are often its consequences (a peer left waiting).
    const failed = error.results
      .filter((r) => r.outcome === 'failed')
      .sort((a, b) => Number(b.id === error.firstFailedId) - Number(a.id === error.firstFailedId));
    const summary = failed.map(
      (r) => `${r.kind} ${r.name}${r.region === 'global' ? '' : ` in ${r.region}`}: ${r.detail}`,
    );
    const first = error.firstError;
    const report = failureReport(first, summary.join('\n'));
    // Only true advice: when the root cause says nothing, what is true of every plan (steps are idempotent).
    return {
      steps: error.results,
      failure: {
        ...report,
        advice:
          adviceFor(first) ??
          "The other steps' work is kept: once the cause above is fixed, run the same command again: it resumes where it stopped.",
      },
    };
  }
}
