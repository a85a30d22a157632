#!/usr/bin/env node
// dsqlctl targets Node 22+. On an older node, say how to run it instead of failing obscurely.
const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  process.stderr.write(
    `dsqlctl needs Node.js 22 or newer (this is ${process.version}).\n` +
      'From a checkout, run it through npm, which uses the Node 24 the project installs:  npm run dsqlctl -- <command>\n',
  );
  process.exit(1);
}
const { execute } = await import('@oclif/core');
await execute({ dir: import.meta.url });
