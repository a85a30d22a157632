/**
 * The apply engine: walks a plan as a dependency graph. Every step starts as soon as the steps it
 * depends on have finished, so independent steps run in parallel across regions and kinds. A failed
 * step skips its dependents and lets unrelated steps finish; the first failure is rethrown at the end.
 */
import { describeFailure } from '../errors.js';
import { InterruptedError, interruption } from '../interrupt.js';
import type { Change, Outcome, StepResult } from './types.js';

export interface StepReport {
  outcome: Outcome;
  detail?: string;
}

/** Receives every state change of every step (the progress view). */
export interface Reporter {
  start(change: Change): void;
  message(id: string, text: string): void;
  finish(result: StepResult): void;
  /** Called once after the last step; resolves when the view has finished drawing. */
  close(): Promise<void>;
}

export class StepFailedError extends Error {
  constructor(
    readonly results: StepResult[],
    readonly firstError: unknown,
    /** The step that failed first (its error is `firstError`). */
    readonly firstFailedId: string,
  ) {
    super(firstError instanceof Error ? firstError.message : String(firstError));
  }
}

/** Runs `run` for every change in dependency order; returns each step's result in plan order. */
export async function applyPlan(
  changes: readonly Change[],
  run: (change: Change) => Promise<StepReport>,
  reporter: Reporter,
): Promise<StepResult[]> {
  const known = new Set(changes.map((c) => c.id));
  for (const change of changes) {
    for (const dep of change.dependsOn) {
      if (!known.has(dep)) throw new Error(`Plan step ${change.id} depends on unknown step ${dep}.`);
    }
  }
  assertAcyclic(changes);
  const done = new Map<string, Promise<StepResult>>();
  const errors: Array<{ id: string; error: unknown }> = [];
  const byId = new Map(changes.map((c) => [c.id, c]));

  const stepOf = (id: string): Promise<StepResult> => {
    let promise = done.get(id);
    if (promise) return promise;
    const change = byId.get(id) as Change;
    promise = (async () => {
      const deps = await Promise.all(change.dependsOn.map(stepOf));
      const blocked = deps.find((d) => d.outcome === 'failed' || d.outcome === 'skipped');
      if (blocked) {
        const result = {
          ...change,
          outcome: 'skipped' as const,
          durationMs: 0,
          detail: `${blocked.id} did not complete`,
        };
        reporter.finish(result);
        return result;
      }
      // Once interrupted, nothing new starts; the steps in flight finish (interrupt.ts).
      if (interruption()) {
        const result = { ...change, outcome: 'skipped' as const, durationMs: 0, detail: 'interrupted' };
        reporter.finish(result);
        return result;
      }
      const started = Date.now();
      reporter.start(change);
      try {
        const report = await run(change);
        const result = { ...change, ...report, durationMs: Date.now() - started };
        reporter.finish(result);
        return result;
      } catch (error) {
        if (error instanceof InterruptedError) {
          // Stopped between two calls of its own: not a failure, the next run resumes it.
          const result = {
            ...change,
            outcome: 'skipped' as const,
            durationMs: Date.now() - started,
            detail: 'interrupted',
          };
          reporter.finish(result);
          return result;
        }
        errors.push({ id: change.id, error });
        const result = {
          ...change,
          outcome: 'failed' as const,
          durationMs: Date.now() - started,
          // The AWS operation, region and code (or throttling and its attempts), not just the message.
          detail: describeFailure(error),
        };
        reporter.finish(result);
        return result;
      }
    })();
    done.set(id, promise);
    return promise;
  };

  const results = await Promise.all(changes.map((c) => stepOf(c.id)));
  await reporter.close();
  const [first] = errors;
  if (first) throw new StepFailedError(results, first.error, first.id);
  return results;
}

function assertAcyclic(changes: readonly Change[]): void {
  const byId = new Map(changes.map((c) => [c.id, c]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting')
      throw new Error(`Plan has a dependency cycle: ${[...path, id].join(' → ')}`);
    state.set(id, 'visiting');
    for (const dep of byId.get(id)?.dependsOn ?? []) visit(dep, [...path, id]);
    state.set(id, 'done');
  };
  for (const c of changes) visit(c.id, []);
}
