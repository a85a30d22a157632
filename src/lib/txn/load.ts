/**
 * `txn load`: N creates through one region's function with C in flight, measuring what the caller
 * sees (throughput, latency percentiles) and what the function reports (OCC attempts). A run with
 * failures still reports what it measured; the command turns its first failure into the exit code.
 */
import { perSecondStats, type SecondStats } from '../drill/report.js';
import { causeChain, describeFailure, isThrottling } from '../errors.js';
import { interruption } from '../interrupt.js';
import { percentile } from '../stats.js';
import type { Target } from '../target.js';
import { type CreateAnswer, createPayload, randomAmount, resolveRegion } from './index.js';
import type { Scope } from './inputs.js';
import { FunctionInvoker, FunctionRefusedError, MAX_CONCURRENT_INVOCATIONS } from './invoke.js';

export interface LoadReport {
  stack: string;
  region: string;
  count: number;
  concurrency: number;
  succeeded: number;
  failed: number;
  /** Failures that were AWS throttling (after the SDK's retries), counted among `failed`. */
  throttled: number;
  /** Never started: the run stopped early or was interrupted. */
  notStarted: number;
  /** The first invocations all failed for one reason, so the rest were not started. */
  stoppedEarly: boolean;
  interrupted: boolean;
  /** The first failure's message, when any failed. */
  firstFailure?: string;
  durationMs: number;
  /** Successful invocations per second over the whole run. */
  throughputPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** Transactions that needed more than one attempt, and the extra attempts in total. */
  retriedTransactions: number;
  retries: number;
  /** Each second of the run (invocations counted when answered): requests, successes, p50/p99 (--report's charts). */
  perSecond: SecondStats[];
}

/** What a run counted so far (the progress lines). */
export interface LoadProgress {
  done: number;
  succeeded: number;
  failed: number;
  throttled: number;
  elapsedMs: number;
}

/** A finished run: its report, the first failure (for the exit code and advice), the samples. */
export interface LoadRun {
  report: LoadReport;
  firstError?: unknown;
  latencies: number[];
}

interface LoadOptions {
  count: number;
  concurrency: number;
  /** Called after each invocation with the counts so far. */
  onProgress?: (progress: LoadProgress) => void;
}

export const LOAD_LIMITS = { count: 100_000, concurrency: MAX_CONCURRENT_INVOCATIONS } as const;

/** When the first this many invocations all fail for one reason, the run stops (the rest would too). */
export const EARLY_STOP_AFTER = 10;

/** What a failure is "the same reason" by: its root cause's name (and a refusal's code). */
function reasonOf(error: unknown): string {
  const root = causeChain(error).at(-1);
  if (error instanceof FunctionRefusedError) return `refused ${error.code}`;
  return root instanceof Error ? root.name : String(root);
}

/** The failure in one line, naming its AWS error code ("TooManyRequestsException: Rate exceeded"). */
function nameFailure(error: unknown): string {
  const root = causeChain(error).at(-1);
  const described = describeFailure(error);
  return root instanceof Error && '$metadata' in root && !described.includes(root.name)
    ? `${root.name}: ${described}`
    : described;
}

export async function runLoad(target: Target, scope: Scope, options: LoadOptions): Promise<LoadRun> {
  const region = await resolveRegion(target, scope);
  const invoker = new FunctionInvoker(target, scope.stack);
  const latencies: number[] = [];
  /** Every answer, timed from the start: the per-second series. */
  const answers: { doneAt: number; ok: boolean; latencyMs: number }[] = [];
  let retriedTransactions = 0;
  let retries = 0;
  let failed = 0;
  let throttled = 0;
  let firstError: unknown;
  const firstReasons = new Set<string>();
  let stoppedEarly = false;
  let next = 0;
  let done = 0;
  const started = performance.now();
  const stopping = () => stoppedEarly || interruption() !== undefined;
  // C workers pull from one counter: exactly C invocations in flight until the tail.
  const worker = async () => {
    while (next < options.count && !stopping()) {
      next++;
      const sentAt = performance.now();
      try {
        const { answer, latencyMs } = await invoker.invoke<CreateAnswer>(
          region,
          createPayload(randomAmount(999)),
        );
        latencies.push(latencyMs);
        answers.push({ doneAt: performance.now() - started, ok: true, latencyMs });
        if (answer.attempts > 1) {
          retriedTransactions++;
          retries += answer.attempts - 1;
        }
      } catch (error) {
        answers.push({
          doneAt: performance.now() - started,
          ok: false,
          latencyMs: performance.now() - sentAt,
        });
        failed++;
        if (isThrottling(causeChain(error).at(-1))) throttled++;
        firstError ??= error;
        if (done < EARLY_STOP_AFTER) firstReasons.add(reasonOf(error));
      }
      done++;
      if (done === EARLY_STOP_AFTER && latencies.length === 0 && firstReasons.size === 1) stoppedEarly = true;
      options.onProgress?.({
        done,
        succeeded: latencies.length,
        failed,
        throttled,
        elapsedMs: performance.now() - started,
      });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, worker));
  } finally {
    invoker.close();
  }
  const durationMs = performance.now() - started;
  const report: LoadReport = {
    stack: scope.stack,
    region,
    count: options.count,
    concurrency: options.concurrency,
    succeeded: latencies.length,
    failed,
    throttled,
    notStarted: options.count - done,
    stoppedEarly,
    interrupted: interruption() !== undefined,
    ...(firstError !== undefined ? { firstFailure: nameFailure(firstError) } : {}),
    durationMs,
    throughputPerSecond: latencies.length / (durationMs / 1000),
    latencyMs: summarize(latencies),
    retriedTransactions,
    retries,
    perSecond: perSecondStats(answers, Math.max(1, Math.ceil(durationMs / 1000))),
  };
  return { report, ...(firstError !== undefined ? { firstError } : {}), latencies };
}

/** Nearest-rank percentiles. */
function summarize(values: number[]): LoadReport['latencyMs'] {
  const at = (p: number) => percentile(values, p);
  return { p50: at(50), p95: at(95), p99: at(99), max: at(100) };
}
