/**
 * `txn load`: N creates through one region's function with C in flight, measuring what the caller
 * sees (throughput, latency percentiles) and what the function reports (OCC attempts).
 */
import { FunctionReportedError } from '../errors.js';
import { percentile } from '../stats.js';
import type { Target } from '../target.js';
import { type CreateAnswer, createPayload, randomAmount, resolveRegion } from './index.js';
import type { Scope } from './inputs.js';
import { FunctionInvoker, MAX_CONCURRENT_INVOCATIONS } from './invoke.js';

export interface LoadReport {
  stack: string;
  region: string;
  count: number;
  concurrency: number;
  succeeded: number;
  failed: number;
  durationMs: number;
  /** Successful invocations per second over the whole run. */
  throughputPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** Transactions that needed more than one attempt, and the extra attempts in total. */
  retriedTransactions: number;
  retries: number;
}

interface LoadOptions {
  count: number;
  concurrency: number;
  /** Called after each invocation with how many are done. */
  onProgress?: (done: number) => void;
}

export const LOAD_LIMITS = { count: 100_000, concurrency: MAX_CONCURRENT_INVOCATIONS } as const;

export async function runLoad(target: Target, scope: Scope, options: LoadOptions): Promise<LoadReport> {
  const region = await resolveRegion(target, scope);
  const invoker = new FunctionInvoker(target, scope.stack);
  const latencies: number[] = [];
  let retriedTransactions = 0;
  let retries = 0;
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  let done = 0;
  // C workers pull from one counter: exactly C invocations in flight until the tail.
  const worker = async () => {
    while (next < options.count) {
      next++;
      try {
        const { answer, latencyMs } = await invoker.invoke<CreateAnswer>(
          region,
          createPayload(randomAmount(999)),
        );
        latencies.push(latencyMs);
        if (answer.attempts > 1) {
          retriedTransactions++;
          retries += answer.attempts - 1;
        }
      } catch (error) {
        failed++;
        firstError ??= (error as Error).message;
      }
      options.onProgress?.(++done);
    }
  };
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, worker));
  } finally {
    invoker.close();
  }
  const durationMs = performance.now() - started;
  const throughput = latencies.length / (durationMs / 1000);
  // A run with failures is an error, not a report: the first failure says why.
  if (failed > 0) {
    throw new FunctionReportedError(
      `${failed} of ${options.count} invocations failed (${latencies.length} succeeded at ${throughput.toFixed(1)}/s). First failure: ${firstError}`,
    );
  }
  return {
    stack: scope.stack,
    region,
    count: options.count,
    concurrency: options.concurrency,
    succeeded: latencies.length,
    failed,
    durationMs,
    throughputPerSecond: throughput,
    latencyMs: summarize(latencies),
    retriedTransactions,
    retries,
  };
}

/** Nearest-rank percentiles. */
function summarize(values: number[]): LoadReport['latencyMs'] {
  const at = (p: number) => percentile(values, p);
  return { p50: at(50), p95: at(95), p99: at(99), max: at(100) };
}
