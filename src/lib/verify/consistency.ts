/**
 * `verify consistency`: DSQL promises strong consistency across peered regions, so a transaction
 * committed through one region's function must be readable by id through every other region's
 * function immediately — no sleeping, no retry — and every region must count the same rows.
 */

import { randomUUID } from 'node:crypto';
import { suggest } from '../advice.js';
import { type FailureReport, failureReport, InconsistencyError } from '../errors.js';
import { FunctionErrorCode } from '../function-contract.js';
import type { Target } from '../target.js';
import {
  type CountAnswer,
  type CreateAnswer,
  createPayload,
  type GetAnswer,
  randomAmount,
  stackRegions,
  type Transaction,
} from '../txn/index.js';
import { FunctionInvoker, FunctionRefusedError } from '../txn/invoke.js';
import { verifyId } from './ids.js';

/** One write through `writer`, read back by id through `reader`. */
interface ReadBackCheck {
  iteration: number;
  writer: string;
  reader: string;
  transactionId: string;
  writeLatencyMs: number;
  readLatencyMs: number;
  ok: boolean;
  problem?: string;
}

interface CountCheck {
  region: string;
  count: number;
  latencyMs: number;
}

export interface ConsistencyReport {
  stack: string;
  regions: string[];
  iterations: number;
  passed: boolean;
  readBacks: ReadBackCheck[];
  counts: CountCheck[];
  countsAgree: boolean;
  /** One sentence per failed check; empty when the run passed. */
  problems: string[];
  /** Set when a check failed (exit 5): the report is the result either way. */
  error?: FailureReport;
}

function consistencyFailure(stack: string, problems: string[]): FailureReport {
  return failureReport(
    new InconsistencyError(`Consistency check failed for stack "${stack}": ${problems.join('; ')}`, {
      advice: `The regions disagree: check the peering of the clusters (${suggest(`status --stack ${stack}`)}) and each function's DSQL_ENDPOINT.`,
    }),
  );
}

export async function verifyConsistency(
  target: Target,
  options: { stack: string; regions?: string[]; iterations: number },
): Promise<ConsistencyReport> {
  const regions = await stackRegions(target, options.stack, options.regions);
  const invoker = new FunctionInvoker(target, options.stack);
  try {
    const readBacks: ReadBackCheck[] = [];
    for (let iteration = 1; iteration <= options.iterations; iteration++) {
      for (const writer of regions) {
        readBacks.push(...(await writeAndReadBack(invoker, regions, writer, iteration)));
      }
    }
    // All regions counted at once, so a writer outside this run has the smallest window to intervene.
    const counts = await Promise.all(
      regions.map(async (region): Promise<CountCheck> => {
        const { answer, latencyMs } = await invoker.invoke<CountAnswer>(region, { operation: 'count' });
        return { region, count: answer.count, latencyMs };
      }),
    );
    const countsAgree = new Set(counts.map((c) => c.count)).size === 1;
    const problems = readBacks.filter((c) => !c.ok).map((c) => c.problem as string);
    if (!countsAgree) {
      problems.push(
        `regions count different totals: ${counts.map((c) => `${c.region} ${c.count}`).join(', ')}`,
      );
    }
    const report: ConsistencyReport = {
      stack: options.stack,
      regions,
      iterations: options.iterations,
      passed: problems.length === 0,
      readBacks,
      counts,
      countsAgree,
      problems,
      ...(problems.length > 0 ? { error: consistencyFailure(options.stack, problems) } : {}),
    };
    return report;
  } finally {
    invoker.close();
  }
}

/** Creates one transaction through `writer`, then reads it by id through every other region (or the writer itself when alone). */
async function writeAndReadBack(
  invoker: FunctionInvoker,
  regions: string[],
  writer: string,
  iteration: number,
): Promise<ReadBackCheck[]> {
  const transactionId = verifyId('consistency', randomUUID());
  // A distinct amount per write, so a read that returns some other row cannot pass by accident.
  const written = await invoker.invoke<CreateAnswer>(
    writer,
    createPayload(randomAmount(9999), transactionId),
  );
  const readers = regions.length > 1 ? regions.filter((r) => r !== writer) : [writer];
  const checks: ReadBackCheck[] = [];
  for (const reader of readers) {
    const read = await readById(invoker, reader, transactionId);
    const found = read.transaction;
    const problem = !found
      ? `${transactionId} written in ${writer} is not visible in ${reader}`
      : found.amount !== written.answer.transaction.amount
        ? `${transactionId} written in ${writer} with amount ${written.answer.transaction.amount} reads ${found.amount} in ${reader}`
        : undefined;
    checks.push({
      iteration,
      writer,
      reader,
      transactionId,
      writeLatencyMs: written.latencyMs,
      readLatencyMs: read.latencyMs,
      ok: problem === undefined,
      ...(problem ? { problem } : {}),
    });
  }
  return checks;
}

/** A `get` through one region: the function answers NotFound for an id it cannot see. */
async function readById(
  invoker: FunctionInvoker,
  region: string,
  transactionId: string,
): Promise<{ transaction: Transaction | undefined; latencyMs: number }> {
  const started = performance.now();
  try {
    const { answer, latencyMs } = await invoker.invoke<GetAnswer>(region, {
      operation: 'get',
      transactionId,
    });
    return { transaction: answer.transaction, latencyMs };
  } catch (error) {
    if (error instanceof FunctionRefusedError && error.code === FunctionErrorCode.notFound) {
      return { transaction: undefined, latencyMs: performance.now() - started };
    }
    throw error;
  }
}
