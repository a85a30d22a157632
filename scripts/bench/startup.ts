// The CLI's start-up against floors measured in the same run, in interleaved rounds so load affects
// all alike: `node -e 0` (Node itself), a bare one-command oclif CLI written here from the same
// @oclif/core (what any oclif CLI pays), and that CLI bundled and compile-cached as dsqlctl is
// (scripts/bundle-cli.mjs, bin/run.js): what oclif itself costs once it is loaded the fast way.
// Medians of wall times; the load average is printed beside.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { median } from '../../src/lib/stats.js';
import type { Bench } from '../bench.ts';
import { bundleBareOclifCli, writeBareOclifCli } from '../lib/bare-oclif.js';

const ROUNDS = 21;
const root = new URL('../..', import.meta.url).pathname;

function wallMs(args: string[], cwd: string): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, { cwd, encoding: 'utf8' });
  const ms = performance.now() - start;
  if (result.status !== 0)
    throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

const bench: Bench = async (report) => {
  const bare = writeBareOclifCli();
  try {
    await bundleBareOclifCli(bare);
    const runs = {
      node: () => wallMs(['-e', '0'], root),
      version: () => wallMs(['bin/run.js', '--version'], root),
      help: () => wallMs(['bin/run.js', '--help'], root),
      bareHelp: () => wallMs(['bin/run.js', '--help'], bare),
      bundledBareHelp: () => wallMs(['bin/run-bundled.js', '--help'], bare),
    };
    const samples = {
      node: [] as number[],
      version: [] as number[],
      help: [] as number[],
      bareHelp: [] as number[],
      bundledBareHelp: [] as number[],
    };
    // One round first, unmeasured: the file cache and dsqlctl's compile cache are warm, as after any first run.
    for (const run of Object.values(runs)) run();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, run] of Object.entries(runs)) samples[name as keyof typeof runs].push(run());
    }
    const [node, version, help, bareHelp, bundledBareHelp] = [
      samples.node,
      samples.version,
      samples.help,
      samples.bareHelp,
      samples.bundledBareHelp,
    ].map(median) as [number, number, number, number, number];
    report(
      'load average (1, 5, 15 min)',
      loadavg()
        .map((l) => l.toFixed(2))
        .join(', '),
    );
    report(`node -e 0, median of ${ROUNDS} (ms)`, node);
    report(`bare one-command oclif CLI --help, median of ${ROUNDS} (ms)`, bareHelp);
    report('dsqlctl --version ÷ node -e 0', version / node, '≤ 1.5');
    report('dsqlctl --help ÷ node -e 0', help / node, '≤ 3.0');
    report('dsqlctl --help ÷ bare oclif CLI --help', help / bareHelp, '≤ 0.7');
    report(`bare oclif CLI bundled as dsqlctl is, --help, median of ${ROUNDS} (ms)`, bundledBareHelp);
    report(
      'bundled bare oclif CLI --help ÷ node -e 0 (the floor of an oclif --help)',
      bundledBareHelp / node,
    );
    report('dsqlctl --help ÷ bundled bare oclif CLI --help', help / bundledBareHelp);
  } finally {
    rmSync(bare, { recursive: true, force: true });
  }
};
export default bench;
