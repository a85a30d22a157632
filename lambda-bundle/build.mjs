// Builds the function: esbuild bundles lambda-bundle/src/index.ts and everything it imports (pg, the
// DSQL signer, the EventBridge client) into ONE minified ESM file, then fflate zips it
// deterministically (fixed timestamp and mode, sorted entries), so the same sources always give the
// same bytes and therefore the same CodeSha256: `up` never re-uploads unchanged code.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { zipSync } from 'fflate';

const here = new URL('.', import.meta.url).pathname;
// `--out <dir>` builds elsewhere (the determinism test builds twice without touching dist/).
const outFlag = process.argv.indexOf('--out');
const outDir = outFlag > 0 ? process.argv[outFlag + 1] : `${here}dist`;
const bundlePath = `${outDir}/index.mjs`;
const zipPath = `${outDir}/function.zip`;

mkdirSync(outDir, { recursive: true });
await build({
  entryPoints: [`${here}src/index.ts`],
  outfile: bundlePath,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  legalComments: 'none',
  // pg requires pg-native only when asked for its native binding, which the function never is.
  external: ['pg-native'],
  // The CommonJS dependencies call require() for Node built-ins; ESM output has no require of its own.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  logLevel: 'warning',
});

// Local-time fields of a fixed date: the zip's DOS timestamp is then the same in every time zone.
const FIXED_MTIME = new Date(2000, 0, 1, 0, 0, 0);
// Regular file, rw-r--r--, in the upper 16 bits of the external attributes (os 3 = Unix).
const FILE_ATTRS = (0o100644 << 16) >>> 0;
const entries = { 'index.mjs': readFileSync(bundlePath) };
const files = Object.fromEntries(
  Object.keys(entries)
    .sort()
    .map((name) => [name, [entries[name], { mtime: FIXED_MTIME, attrs: FILE_ATTRS, os: 3, level: 9 }]]),
);
writeFileSync(zipPath, zipSync(files));
