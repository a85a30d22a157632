/** Verify flags checked before any call. */
import { UsageError } from '../errors.js';
import { validateStackName } from '../stack.js';
import { parseRegion } from '../txn/inputs.js';

export const MAX_ITERATIONS = 100;

export function parseVerifyScope(flags: { stack: string; regions?: string }): {
  stack: string;
  regions?: string[];
} {
  const stack = validateStackName(flags.stack);
  if (flags.regions === undefined) return { stack };
  const regions = flags.regions
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => parseRegion(r, '--regions'));
  if (regions.length === 0) throw new UsageError('--regions names no region.');
  if (new Set(regions).size !== regions.length)
    throw new UsageError(`--regions names a region twice: ${flags.regions}`);
  return { stack, regions };
}
