/**
 * Flag values checked before anything is called: a bad input never starts the local cloud, reads the
 * stack or invokes a function. The amount follows the function's own rules (src/lib/amount.ts).
 */

import { parseAmount as parseAmountValue } from '../amount.js';
import { UsageError } from '../errors.js';
import { LIST_LIMIT } from '../function-contract.js';
import { echoInput } from '../input-echo.js';
import { isDsqlRegion } from '../regions.js';
import { validateStackName } from '../stack.js';
import { parseTransactionId as parseTransactionIdValue } from '../transaction-id.js';

/** Which stack, and optionally which of its regions, a command talks to. */
export interface Scope {
  stack: string;
  region?: string;
  /** `--logs`: ask Lambda for the invocation's log tail (LogType Tail). */
  logs?: boolean;
}

export function parseScope(flags: { stack: string; region?: string; logs?: boolean }): Scope {
  const stack = validateStackName(flags.stack);
  const logs = flags.logs ? { logs: true } : {};
  if (flags.region === undefined) return { stack, ...logs };
  return { stack, region: parseRegion(flags.region, '--region'), ...logs };
}

export function parseRegion(region: string, flag: string): string {
  if (!isDsqlRegion(region))
    throw new UsageError(`Unknown region ${echoInput(region)} in ${flag}: Aurora DSQL is not offered there.`);
  return region;
}

/** The amount as the exact decimal string the function stores (never through a float). */
export function parseAmount(value: string): string {
  const result = parseAmountValue(value);
  if (!result.ok) throw new UsageError(`Invalid --amount ${echoInput(value)}: ${result.message}.`);
  return result.value;
}

/** The function's own rule (src/lib/transaction-id.ts), checked before any call. */
export function parseTransactionId(id: string): string {
  const result = parseTransactionIdValue(id);
  if (!result.ok) throw new UsageError(`Invalid --id: the id ${result.message}.`);
  return result.value;
}

export function parseLimit(limit: number): number {
  return parseCount(limit, '--limit', LIST_LIMIT.max);
}

/** A whole number from 1 to `max`, the bound every count-like flag (--limit, --count, --iterations) has. */
export function parseCount(value: number, flag: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new UsageError(`Invalid ${flag} ${value}: use a whole number from 1 to ${max}.`);
  }
  return value;
}
