// Regenerates oclif.manifest.json from the built commands (what `oclif manifest` does), so the
// published CLI starts without loading every command. `--check` fails when the committed one is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { Plugin } from '@oclif/core';

const root = new URL('..', import.meta.url).pathname;
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true });
await plugin.load();
const text = `${JSON.stringify(plugin.manifest, null, 2)}\n`;
const path = `${root}oclif.manifest.json`;

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(path, 'utf8');
  } catch {}
  if (committed !== text) {
    process.stderr.write('oclif.manifest.json is stale: run `npm run build` and commit it.\n');
    process.exit(1);
  }
} else {
  writeFileSync(path, text);
}
