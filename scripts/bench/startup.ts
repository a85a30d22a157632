// The CLI's start-up against floors measured in the same run, in interleaved rounds so load affects
// all alike: `node -e 0` (Node itself), a bare one-command oclif CLI written here from the same
// @oclif/core (what any oclif CLI pays), and that CLI bundled and compile-cached as dsqlctl is
// (scripts/bundle-cli.mjs, bin/run.js): what oclif itself costs once it is loaded the fast way.
// Medians of wall times; the load average is printed beside.
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Bench } from '../bench.ts';
import { bundleBareOclifCli, writeBareOclifCli } from '../lib/bare-oclif.js';
import { interleavedMedians, wallMs } from '../lib/interleaved.js';

const ROUNDS = 21;
const root = new URL('../..', import.meta.url).pathname;

const bench: Bench = async (report) => {
  const bare = writeBareOclifCli();
  try {
    await bundleBareOclifCli(bare);
    const { node, version, help, bareHelp, bundledBareHelp } = interleavedMedians(ROUNDS, {
      node: () => wallMs(['-e', '0'], { cwd: root }),
      version: () => wallMs(['bin/run.js', '--version'], { cwd: root }),
      help: () => wallMs(['bin/run.js', '--help'], { cwd: root }),
      bareHelp: () => wallMs(['bin/run.js', '--help'], { cwd: bare }),
      bundledBareHelp: () => wallMs(['bin/run-bundled.js', '--help'], { cwd: bare }),
    });
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
