/**
 * Running a plan for `up` and `down`: the progress view, the apply engine, and the translation of a
 * failed plan into the one error the command reports.
 */
import { DsqlctlError } from '../errors.js';
import { applyPlan, type Reporter, StepFailedError, type StepReport } from './apply.js';
import type { KindCounts } from './results.js';
import type { Change, Outcome, ProvisionContext, ResourceKind, StepResult } from './types.js';

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

/** Shows the plan through the caller's reporter (progress relayed to it from now on), then applies it. */
export async function runSteps(
  ctx: ProvisionContext,
  plan: Change[],
  makeReporter: ReporterFactory,
  relay: ReturnType<typeof progressRelay>,
  step: (change: Change) => Promise<StepReport>,
): Promise<StepResult[]> {
  const reporter = await makeReporter(plan);
  relay.set(reporter);
  try {
    return await applyPlan(plan, step, reporter);
  } catch (error) {
    if (!(error instanceof StepFailedError)) throw error;
    const failed = error.results.filter((r) => r.outcome === 'failed');
    const first = error.firstError;
    const summary = failed.map(
      (r) => `${r.kind} ${r.name}${r.region === 'global' ? '' : ` in ${r.region}`}: ${r.detail}`,
    );
    // Keep the failing step's own error class (its exit code and advice), with every failure listed.
    if (first instanceof DsqlctlError) {
      if (failed.length > 1) first.message = summary.join('\n');
      throw first;
    }
    throw new DsqlctlError(summary.join('\n'), {
      cause: first,
      advice: `Nothing is lost: run the same command again to resume (${ctx.operation === 'up' ? 'up' : 'down'} is idempotent).`,
    });
  }
}
