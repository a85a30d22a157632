/**
 * A bare one-command oclif CLI from the project's @oclif/core (what any oclif CLI pays), and the same
 * CLI bundled and compile-cached as dsqlctl is: the benches' anchors for oclif's own start-up.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { CLI_BUNDLE_OPTIONS } from './cli-bundle-options.mjs';

const root = new URL('../..', import.meta.url).pathname;

/** A one-command oclif CLI (package.json, bin/run.js, one command) using the project's node_modules. */
export function writeBareOclifCli(): string {
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

/**
 * The bare CLI's oclif bundled into one ESM file as scripts/bundle-cli.mjs bundles dsqlctl's, and a
 * bin that loads it with Node's compile cache on, as bin/run.js does: `bin/run-bundled.js`.
 */
export async function bundleBareOclifCli(dir: string): Promise<void> {
  writeFileSync(join(dir, 'oclif-entry.js'), "export { execute } from '@oclif/core';\n");
  await build({
    ...CLI_BUNDLE_OPTIONS,
    entryPoints: [join(dir, 'oclif-entry.js')],
    outfile: join(dir, 'oclif.bundle.mjs'),
    nodePaths: [join(root, 'node_modules')],
  });
  writeFileSync(
    join(dir, 'bin/run-bundled.js'),
    "import module from 'node:module';\n" +
      "module.enableCompileCache?.(new URL('../compile-cache', import.meta.url).pathname);\n" +
      "const { execute } = await import('../oclif.bundle.mjs');\n" +
      'await execute({ dir: import.meta.url });\n',
  );
}
