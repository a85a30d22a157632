// The CLI's start-up against floors measured in the same run, in interleaved rounds so load affects
// all alike: `node -e 0` (Node itself) and a bare one-command oclif CLI written here from the same
// @oclif/core (what any oclif CLI pays). Medians of wall times; the load average is printed beside.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../../src/lib/stats.js';
import type { Bench } from '../bench.ts';

const ROUNDS = 21;
const root = new URL('../..', import.meta.url).pathname;

/** A one-command oclif CLI (package.json, bin/run.js, one command) using the project's node_modules. */
function writeBareOclifCli(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dsqlctl-bench-oclif-'));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'commands'));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'bare',
      version: '1.0.0',
      type: 'module',
      oclif: { bin: 'bare', dirname: 'bare', commands: './commands' },
    }),
  );
  writeFileSync(
    join(dir, 'bin/run.js'),
    "import { execute } from '@oclif/core';\nawait execute({ dir: import.meta.url });\n",
  );
  writeFileSync(
    join(dir, 'commands/hello.js'),
    "import { Command } from '@oclif/core';\n" +
      "export default class Hello extends Command {\n  static summary = 'Say hello.';\n" +
      "  async run() { this.log('hello'); }\n}\n",
  );
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

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
    const runs = {
      node: () => wallMs(['-e', '0'], root),
      version: () => wallMs(['bin/run.js', '--version'], root),
      help: () => wallMs(['bin/run.js', '--help'], root),
      bareHelp: () => wallMs(['bin/run.js', '--help'], bare),
    };
    const samples = {
      node: [] as number[],
      version: [] as number[],
      help: [] as number[],
      bareHelp: [] as number[],
    };
    // One round first, unmeasured: the file cache and dsqlctl's compile cache are warm, as after any first run.
    for (const run of Object.values(runs)) run();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, run] of Object.entries(runs)) samples[name as keyof typeof runs].push(run());
    }
    const [node, version, help, bareHelp] = [
      samples.node,
      samples.version,
      samples.help,
      samples.bareHelp,
    ].map(median) as [number, number, number, number];
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
  } finally {
    rmSync(bare, { recursive: true, force: true });
  }
};
export default bench;
