/**
 * How the start-up benches time processes: a run's wall time (a failed run is an error, never a
 * figure), and rounds of several runs interleaved, so load on a shared machine hits all alike.
 */
import { spawnSync } from 'node:child_process';
import { median } from '../../src/lib/stats.js';

/** Wall milliseconds of `node …args`. */
export function wallMs(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, { ...options, encoding: 'utf8' });
  const ms = performance.now() - start;
  if (result.status !== 0)
    throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

/**
 * Each run once per round for `rounds` rounds, after one unmeasured round (the file cache and the
 * compile caches warm, as after any first run); the median of each.
 */
export function interleavedMedians<K extends string>(
  rounds: number,
  runs: Record<K, () => number>,
): Record<K, number> {
  const names = Object.keys(runs) as K[];
  for (const name of names) runs[name]();
  const samples = new Map<K, number[]>(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const name of names) samples.get(name)?.push(runs[name]());
  }
  return Object.fromEntries(names.map((name) => [name, median(samples.get(name) ?? [])])) as Record<
    K,
    number
  >;
}
