// `npm test`: lint and format check, type check, build, then every test file under node's test runner
// against a throwaway PostgreSQL server this script starts and stops. Ends with a plain
// "N passed, N failed" line for CI.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startThrowawayPostgres } from './throwaway-postgres.mjs';

function step(label, command, args, env = process.env) {
  process.stdout.write(`\n▶ ${label}\n`);
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  if (result.status !== 0) {
    process.stdout.write(`✖ ${label} failed\n`);
    process.exit(result.status ?? 1);
  }
}

const only = process.argv.slice(2);
if (only.length === 0) {
  step('lint and format (biome)', 'biome', ['check', '.']);
  step('type check (tsc)', 'tsc', ['-p', 'tsconfig.check.json']);
}
step('build', 'npm', ['run', '--silent', 'build:code']);

const postgres = await startThrowawayPostgres();
const tapFile = join(tmpdir(), `dsqlctl-test-${process.pid}.tap`);
let status = 1;
try {
  const files = only.length > 0 ? only : ['test/**/*.test.ts'];
  const result = spawnSync(
    'node',
    [
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=2',
      '--test-timeout=600000',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tapFile}`,
      ...files,
    ],
    { stdio: 'inherit', env: { ...process.env, DSQLCTL_TEST_PG_URL: postgres.url } },
  );
  status = result.status ?? 1;
} finally {
  await postgres.stop();
}

const tap = readFileSync(tapFile, 'utf8');
rmSync(tapFile, { force: true });
const count = (name) => Number(tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
process.stdout.write(`\n${count('pass')} passed, ${count('fail')} failed\n`);
process.exit(status);
