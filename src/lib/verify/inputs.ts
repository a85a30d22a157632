/** Verify flags checked before any call. */
import { UsageError } from '../errors.js';
import { validateStackName } from '../stack.js';
import { parseRegion } from '../txn/inputs.js';

export const MAX_ITERATIONS = 100;

export function parseVerifyScope(flags: { stack: string; regions?: string; iterations: number }): {
  stack: string;
  regions?: string[];
  iterations: number;
} {
  const stack = validateStackName(flags.stack);
  if (!Number.isInteger(flags.iterations) || flags.iterations < 1 || flags.iterations > MAX_ITERATIONS) {
    throw new UsageError(
      `Invalid --iterations ${flags.iterations}: use a whole number from 1 to ${MAX_ITERATIONS}.`,
    );
  }
  if (flags.regions === undefined) return { stack, iterations: flags.iterations };
  const regions = flags.regions
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => parseRegion(r, '--regions'));
  if (regions.length === 0) throw new UsageError('--regions names no region.');
  if (new Set(regions).size !== regions.length)
    throw new UsageError(`--regions names a region twice: ${flags.regions}`);
  return { stack, regions, iterations: flags.iterations };
}
