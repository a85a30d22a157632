// Regenerates oclif.manifest.json from the built commands (what `oclif manifest` does), so the
// published CLI starts without loading every command. `--check` fails when the committed one is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { Plugin } from '@oclif/core';

const root = new URL('..', import.meta.url).pathname;
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true });
await plugin.load();
// Command discovery crawls folders concurrently, so its order varies from run to run: sort by id so
// the same commands always give the same bytes (oclif sorts commands itself when it reads them).
const commands = Object.fromEntries(
  Object.entries(plugin.manifest.commands).sort(([a], [b]) => a.localeCompare(b)),
);
const text = `${JSON.stringify({ ...plugin.manifest, commands }, null, 2)}\n`;
const path = `${root}oclif.manifest.json`;

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(path, 'utf8');
  } catch {}
  if (committed !== text) {
    // Name the first differing line, so a stale manifest says what changed.
    const [ours, theirs] = [text.split('\n'), committed.split('\n')];
    const line = ours.findIndex((l, i) => l !== theirs[i]);
    process.stderr.write(
      `oclif.manifest.json is stale: run \`npm run build\` and commit it.\n` +
        `line ${line + 1}: committed ${JSON.stringify(theirs[line])}, built ${JSON.stringify(ours[line])}\n`,
    );
    process.exit(1);
  }
} else {
  writeFileSync(path, text);
}
