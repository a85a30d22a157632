// Bundles the CLI the way oclif supports for bundled CLIs (the `explicit` command strategy): esbuild
// takes the compiled commands and the not-found hook from dist/, with @oclif/core and every other
// dependency, and writes dist/cli/oclif.mjs (`execute`, what bin/run.js loads), dist/cli/commands.mjs
// (`COMMANDS` and `COMMAND_NOT_FOUND`, what oclif loads to run a command) and shared chunks (oclif
// itself, and what commands import dynamically: SDK clients, pg, listr2), so `--help` reads a few
// modules instead of resolving some 200 files of @oclif/core and its dependencies, and no command. The command list is generated from the commands folder: a new command needs no edit here.
//
// The local cloud stays outside the bundle: its daemon and Lambda workers run as their own processes
// from dist/lib/local-cloud/, found relative to their modules (control.ts, execution/pool.ts), so the
// CLI imports it from there too (one copy of its code, in one place).
//
// dist/cli/meta.json is esbuild's metafile: which sources each output holds (the start-up test reads it
// to tell which modules a run loaded).
import { readdirSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { build } from 'esbuild';
import { CLI_BUNDLE_OPTIONS } from './lib/cli-bundle-options.mjs';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const outdir = join(dist, 'cli');
const localCloud = join(dist, 'lib', 'local-cloud') + sep;

/** Every command module under dist/commands with its oclif id (`txn/create.js` → `txn:create`). */
function commandModules() {
  const dir = join(dist, 'commands');
  return readdirSync(dir, { recursive: true })
    .filter((file) => file.endsWith('.js'))
    .sort()
    .map((file) => ({
      id: file
        .slice(0, -'.js'.length)
        .split(sep)
        .join(':')
        .replace(/:index$/, ''),
      path: join(dir, file),
    }));
}

const commands = commandModules();
const commandsEntry = [
  `export { default as COMMAND_NOT_FOUND } from ${JSON.stringify(join(dist, 'hooks', 'command-not-found.js'))};`,
  ...commands.map((c, i) => `import command${i} from ${JSON.stringify(c.path)};`),
  `export const COMMANDS = { ${commands.map((c, i) => `${JSON.stringify(c.id)}: command${i}`).join(', ')} };`,
].join('\n');
const entries = {
  // What bin/run.js loads: oclif alone, so `--help` reads no command.
  oclif: "export { execute } from '@oclif/core';",
  // What oclif loads to run a command (package.json's oclif.commands and hooks point here).
  commands: commandsEntry,
};
/** The two entries as virtual modules (esbuild's stdin takes only one). */
const virtualEntries = {
  name: 'virtual-entries',
  setup(b) {
    b.onResolve({ filter: /^entry:/ }, (args) => ({
      path: args.path.slice('entry:'.length),
      namespace: 'entry',
    }));
    b.onLoad({ filter: /.*/, namespace: 'entry' }, (args) => ({
      contents: entries[args.path],
      resolveDir: dist,
      loader: 'js',
    }));
  },
};

const keepLocalCloudOutside = {
  name: 'local-cloud-outside',
  setup(b) {
    b.onResolve({ filter: /local-cloud/ }, (args) => {
      const resolved = join(args.resolveDir, args.path);
      if (!resolved.startsWith(localCloud)) return undefined;
      // Every output lands in dist/cli/, so one relative path serves every chunk.
      return { path: relative(outdir, resolved).split(sep).join('/'), external: true };
    });
  },
};

const result = await build({
  entryPoints: Object.fromEntries(Object.keys(entries).map((name) => [name, `entry:${name}`])),
  absWorkingDir: root,
  outdir,
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  ...CLI_BUNDLE_OPTIONS,
  splitting: true,
  metafile: true,
  // pg requires pg-native only when asked for its native binding, which the CLI never is.
  external: ['pg-native'],
  plugins: [virtualEntries, keepLocalCloudOutside, ...CLI_BUNDLE_OPTIONS.plugins],
});
writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
