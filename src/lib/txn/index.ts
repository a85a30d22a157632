/**
 * The txn commands' library: resolve the stack's region from AWS, invoke its function once, and hand
 * back the function's answer with where and how fast it ran.
 */
import { randomUUID } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { CountAnswer, CreateAnswer, GetAnswer, ListAnswer } from '../function-contract.js';
import { requireStackTopology } from '../stack-topology.js';
import type { Target } from '../target.js';
import { isVerifyId } from '../verify/ids.js';
import type { Scope } from './inputs.js';
import { type FunctionAnswer, FunctionInvoker } from './invoke.js';

/** The function's answers, as its contract defines them (an unknown id is `{ok:false}` NotFound, exit 6). */
export type {
  CountAnswer,
  CreateAnswer,
  GetAnswer,
  ListAnswer,
  TransactionRecord as Transaction,
} from '../function-contract.js';

/** What every txn command returns (and prints with --json): the function's answer and its context. */
export interface TxnResult<A extends FunctionAnswer> {
  stack: string;
  region: string;
  latencyMs: number;
  answer: A;
  /** `--logs`: the invocation's own last 4 KB of log lines (Lambda's LogResult, decoded). */
  logTail?: string;
}

/** The stack's regions a command covers: the ones asked for (each must be one of the stack's), or all. */
export async function stackRegions(target: Target, stack: string, requested?: string[]): Promise<string[]> {
  const { regions } = await requireStackTopology(target, stack);
  if (!requested) return regions;
  const missing = requested.filter((r) => !regions.includes(r));
  if (missing.length > 0) {
    throw new UsageError(
      `Stack "${stack}" is not deployed in ${missing.join(', ')}; its regions are ${regions.join(', ')}.`,
    );
  }
  return requested;
}

/** The region to use: the one asked for, which must be one of the stack's, or the stack's first. */
export async function resolveRegion(target: Target, scope: Scope): Promise<string> {
  const regions = await stackRegions(
    target,
    scope.stack,
    scope.region === undefined ? undefined : [scope.region],
  );
  return regions[0] as string;
}

async function invokeOnce<A extends FunctionAnswer>(
  target: Target,
  scope: Scope,
  payload: Record<string, unknown>,
): Promise<TxnResult<A>> {
  const region = await resolveRegion(target, scope);
  const invoker = new FunctionInvoker(target, scope.stack);
  try {
    const { answer, latencyMs, logTail } = await invoker.invoke<A>(region, payload, { tail: scope.logs });
    return { stack: scope.stack, region, latencyMs, answer, ...(logTail !== undefined ? { logTail } : {}) };
  } finally {
    invoker.close();
  }
}

/**
 * The create payload. The id is chosen here when none is given, not left to the function: the SDK
 * retries an Invoke whose answer was lost (a 5xx, a reset connection) after the function may have
 * run, and the retry must repeat the same idempotent create rather than make a second transaction.
 */
export function createPayload(amount: string, id: string = randomUUID()): Record<string, unknown> {
  return { operation: 'create', amount, transactionId: id };
}

/** A random amount from 1.00 to `maxWhole`.99, for generated writes (load, verify). */
export function randomAmount(maxWhole: number): string {
  const whole = 1 + Math.floor(Math.random() * maxWhole);
  return `${whole}.${String(Math.floor(Math.random() * 100)).padStart(2, '0')}`;
}

export function createTransaction(
  target: Target,
  scope: Scope,
  input: { amount: string; id?: string },
): Promise<TxnResult<CreateAnswer>> {
  return invokeOnce(target, scope, createPayload(input.amount, input.id));
}

export function countTransactions(target: Target, scope: Scope): Promise<TxnResult<CountAnswer>> {
  return invokeOnce(target, scope, { operation: 'count' });
}

export function listTransactions(
  target: Target,
  scope: Scope,
  limit: number,
): Promise<TxnResult<ListAnswer>> {
  return invokeOnce(target, scope, { operation: 'list', limit });
}

/** `txn list` without --include-verify: the rows verify wrote (verify/ids.ts) are not the user's. */
export function withoutVerifyRows(result: TxnResult<ListAnswer>): TxnResult<ListAnswer> {
  const transactions = result.answer.transactions.filter((t) => !isVerifyId(t.id));
  return { ...result, answer: { ...result.answer, transactions } };
}

export function getTransaction(target: Target, scope: Scope, id: string): Promise<TxnResult<GetAnswer>> {
  return invokeOnce(target, scope, { operation: 'get', transactionId: id });
}
