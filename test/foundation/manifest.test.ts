// The committed oclif.manifest.json must match the built commands (npm test builds them first):
// a stale manifest makes the published CLI list commands that are not there, or miss new ones.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

test('the committed oclif.manifest.json matches the built commands', async () => {
  const root = new URL('../..', import.meta.url).pathname;
  const result = await promisify(execFile)(process.execPath, ['scripts/manifest.mjs', '--check'], {
    cwd: root,
  }).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code?: number; stderr?: string }) => ({ code: error.code ?? 1, stderr: error.stderr ?? '' }),
  );
  assert.equal(result.code, 0, result.stderr);
});
