/** Which of a stack's regions a verify run covers: the ones asked for (all deployed), or all of them. */
import { UsageError } from '../errors.js';
import { requireStackTopology } from '../stack-topology.js';
import type { Target } from '../target.js';

export async function verifyRegions(target: Target, stack: string, requested?: string[]): Promise<string[]> {
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
