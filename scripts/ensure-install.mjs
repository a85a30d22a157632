// Runs before `npm test`, `npm run build` and `npm run quickstart` on whatever node the machine has
// (Node 20 here): installs the locked dependencies — Node 24 among them — when node_modules is missing
// or older than package-lock.json, so one command works on a fresh clone.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

const lock = JSON.parse(read('package-lock.json') ?? '{}');
const installed = JSON.parse(read('node_modules/.package-lock.json') ?? '{}');
// Optional packages for other platforms (esbuild's and biome's binaries…) are never installed here:
// an absent optional package is fine, a present one must match the lock.
const stale = Object.entries(lock.packages ?? {}).some(([path, locked]) => {
  if (path === '' || locked.extraneous) return false;
  const present = installed.packages?.[path];
  if (!present) return !locked.optional;
  return present.version !== locked.version;
});

if (stale) {
  process.stderr.write('dsqlctl: installing locked dependencies (npm ci)…\n');
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
}
