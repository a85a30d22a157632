#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import module from 'node:module';
import { arch, homedir } from 'node:os';
import { join } from 'node:path';

// dsqlctl targets Node 22+. On an older node, say how to run it instead of failing obscurely.
const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  process.stderr.write(
    `dsqlctl needs Node.js 22 or newer (this is ${process.version}).\n` +
      'From a checkout, run it through npm, which uses the Node 24 the project installs:  npm run dsqlctl -- <command>\n',
  );
  process.exit(1);
}

// `--version` is answered before oclif loads (loading it is most of a start-up), in oclif's own format
// and under its rule (the flag first, whatever follows).
if (process.argv[2] === '--version') {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const cpu = arch() === 'ia32' ? 'x86' : arch();
  process.stdout.write(`dsqlctl/${version} ${process.platform}-${cpu} node-${process.version}\n`);
  process.exit(0);
}

// Node's compile cache keeps the compiled code of every module loaded from here on, so later runs skip
// parsing and compiling them. A cache folder that cannot be created only turns it off (Node reports
// that in its return value, which is ignored); NODE_DISABLE_COMPILE_CACHE=1 turns it off too.
try {
  const cacheHome = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  module.enableCompileCache?.(join(cacheHome, 'dsqlctl', 'compile-cache'));
} catch {}

// A reader that stops early (`dsqlctl txn list | head`) closes the pipe: stop quietly, as a CLI killed
// by SIGPIPE does, instead of leaving oclif's pending write behind (Node then warns of an unsettled
// top-level await and exits 13).
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// oclif from the bundle (scripts/bundle-cli.mjs); it loads the commands' module only to run one.
const { execute } = await import('../dist/cli/oclif.mjs');
await execute({ dir: import.meta.url });
