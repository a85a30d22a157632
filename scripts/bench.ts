// `npm run bench`: runs every scripts/bench/*.ts module in turn and prints each figure with its goal.
// A module's default export receives `report(name, value, goal?)`; ratios are measured against a
// baseline taken in the same run, so figures compare across machines.
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startThrowawayPostgres } from './throwaway-postgres.mjs';

export type Report = (name: string, value: string | number, goal?: string) => void;
export interface BenchContext {
  /** A throwaway PostgreSQL server for baselines (the same kind the local cloud runs). */
  postgresUrl: string;
}
export type Bench = (report: Report, context: BenchContext) => Promise<void>;

const only = process.argv.slice(2);
const dir = new URL('./bench/', import.meta.url);
const modules = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

// Every ratio drifts on a loaded machine: each module's figures are printed with the load average
// (1, 5, 15 min) at its start and end.
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const postgres = await startThrowawayPostgres();
const rows: string[][] = [];
try {
  for (const file of modules) {
    process.stdout.write(`▶ ${file} (load average ${load()})\n`);
    const { default: bench } = (await import(new URL(file, dir).href)) as { default: Bench };
    await bench(
      (name, value, goal) => {
        const text = typeof value === 'number' ? String(Number(value.toFixed(3))) : value;
        rows.push([name, text, goal ?? '']);
        process.stdout.write(`  ${name}: ${text}${goal ? `   (goal ${goal})` : ''}\n`);
      },
      { postgresUrl: postgres.url },
    );
    rows.push([`${file}: load average at its end`, load(), '']);
  }
} finally {
  await postgres.stop();
}
const width = Math.max(...rows.map((r) => r[0]?.length ?? 0));
process.stdout.write('\nSummary\n');
for (const [name, value, goal] of rows) {
  process.stdout.write(`  ${name?.padEnd(width)}  ${value}${goal ? `   goal ${goal}` : ''}\n`);
}
