/**
 * On one local cloud: `dsqlctl stacks` lists two complete stacks and a partial one (its `up` failed
 * at CreateFunction); then the CI smoke script, once run to the end (JUnit report, step logs,
 * timings and the local cloud's logs kept, stack gone) and once sent SIGTERM while its `up` runs
 * (exit 143, and nothing of the stack left, by the same tag discovery `stacks` uses).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { FAST, iam, type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import type { StacksResult } from '../../src/lib/provision/stacks.js';
import { runCli } from '../support/cli.js';

const REPO = new URL('../..', import.meta.url).pathname;
let cloud: PrivateCloud;
const artifactsRoot = mkdtempSync(join(tmpdir(), 'dsqlctl-smoke-art-'));

before(async () => {
  // The second CreateFunction of the run (the `broken` stack's) is refused: its `up` stops half-way.
  cloud = await startPrivateCloud({
    ...FAST,
    failures: [{ operation: 'lambda:CreateFunction', nth: 2, times: 1, code: 'AccessDeniedException' }],
  });
});
after(async () => {
  await cloud?.stop();
  rmSync(artifactsRoot, { recursive: true, force: true });
});

async function stacks(...args: string[]): Promise<StacksResult> {
  const run = await runCli(['stacks', ...args, '--json'], cloud.env);
  assert.equal(run.status, 0, run.stderr + run.stdout);
  return JSON.parse(run.stdout).result as StacksResult;
}

/** `bash scripts/smoke.sh` on this test's cloud; `onStart` may signal it while it runs. */
function smoke(
  env: NodeJS.ProcessEnv,
  onStart: (pid: number) => void = () => {},
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['scripts/smoke.sh'], {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...cloud.env, ...env },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
    onStart(child.pid as number);
  });
}

describe('dsqlctl stacks', () => {
  it('two complete stacks and a partial one, each with its regions and resource count', async () => {
    for (const [stack, region] of [
      ['alpha', 'us-east-1'],
      ['broken', 'us-east-1'],
      ['beta', 'eu-west-1'],
    ] as const) {
      const up = await runCli(['up', '--stack', stack, '--regions', region], cloud.env);
      assert.equal(up.status, stack === 'broken' ? 3 : 0, `${stack}: ${up.stderr}`);
    }
    const all = await stacks();
    assert.equal(all.target, 'local');
    assert.equal(all.regions.length, 16);
    assert.deepEqual(all.unreachable, []);
    const byName = Object.fromEntries(all.stacks.map((s) => [s.stack, s]));
    assert.deepEqual(Object.keys(byName), ['alpha', 'beta', 'broken']);
    // One region: the function role, cluster, bus, log group, function and sweep rule.
    assert.deepEqual(byName.alpha, {
      stack: 'alpha',
      regions: ['us-east-1'],
      state: 'complete',
      resourceCount: 6,
      missing: [],
    });
    assert.deepEqual(byName.beta?.regions, ['eu-west-1']);
    assert.equal(byName.beta?.state, 'complete');
    assert.equal(byName.broken?.state, 'partial');
    assert.deepEqual(byName.broken?.missing, ['lambda-function:us-east-1', 'event-rule:us-east-1:sweep']);
    assert.equal(byName.broken?.resourceCount, 4);

    const human = await runCli(['stacks'], cloud.env);
    assert.match(human.stdout, /^STACK +REGIONS +RESOURCES +STATE$/m);
    assert.match(human.stdout, /^broken +us-east-1 +4 +partial$/m);
    assert.match(human.stdout, /Resume: dsqlctl up --stack broken --regions us-east-1 --target local/);
    assert.match(human.stdout, /Remove: dsqlctl down --stack broken --target local --yes/);

    // Only the regions asked: beta's resources are in eu-west-1 (its role still names it).
    const east = await stacks('--regions', 'us-east-1');
    assert.deepEqual(east.regions, ['us-east-1']);
    assert.equal(east.stacks.find((s) => s.stack === 'alpha')?.resourceCount, 6);
    assert.equal(east.stacks.find((s) => s.stack === 'beta')?.resourceCount, 1);

    const bad = await runCli(['stacks', '--regions', 'us-east-1,mars-1'], cloud.env);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /Unknown region "mars-1" in --regions/);
  });
});

describe('scripts/smoke.sh', () => {
  it('a full run: exit 0, JUnit report, per-step logs and timings, local cloud logs, and its stack gone', async () => {
    const artifacts = join(artifactsRoot, 'full');
    const run = await smoke({ SMOKE_ARTIFACTS: artifacts, DSQLCTL_SMOKE_REGIONS: 'us-east-1' });
    assert.equal(run.status, 0, run.output);
    const stack = /all steps passed \(stack (smoke-[0-9a-f]{8})\)/.exec(run.output)?.[1];
    assert.ok(stack, run.output);
    const junit = readFileSync(join(artifacts, 'junit.xml'), 'utf8');
    assert.match(junit, /<testsuite name="verify consistency/);
    assert.ok((junit.match(/<testcase /g) ?? []).length >= 1);
    assert.doesNotMatch(junit, /<failure/);
    assert.deepEqual(readdirSync(join(artifacts, 'steps')).sort(), [
      '01-up.log',
      '02-create.log',
      '03-create-again.log',
      '04-read.log',
      '05-list.log',
      '06-get.log',
      '07-verify.log',
      '08-down.log',
    ]);
    const timings = readFileSync(join(artifacts, 'timings.txt'), 'utf8').trim().split('\n');
    assert.equal(timings.length, 8);
    for (const line of timings) assert.match(line, /^\S+ +\d+ ms {2}exit 0$/);
    assert.match(run.output, /smoke: \[1\] up: exit 0 after \d+\.\d{3}s/);
    for (const log of ['daemon.log', 'requests.jsonl', 'postgres.log']) {
      assert.ok(existsSync(join(artifacts, 'local-cloud', log)), log);
    }
    assert.ok(!(await stacks()).stacks.some((s) => s.stack === stack));
  });

  it('SIGTERM while up runs: exit 143, the stack torn down, nothing of it left', async () => {
    const stack = 'smoke-term';
    const artifacts = join(artifactsRoot, 'term');
    const client = iam(cloud.cloud);
    const run = await smoke(
      {
        SMOKE_ARTIFACTS: artifacts,
        DSQLCTL_SMOKE_STACK: stack,
        DSQLCTL_SMOKE_REGIONS: 'us-east-1,us-west-2',
      },
      (pid) => {
        // Mid-run: as soon as `up` has created the stack's first resource.
        const poll = setInterval(() => {
          client
            .send(new GetRoleCommand({ RoleName: `${stack}-fn` }))
            .then(() => {
              clearInterval(poll);
              process.kill(pid, 'SIGTERM');
            })
            .catch(() => {});
        }, 100);
      },
    );
    client.destroy();
    assert.equal(run.status, 143, run.output);
    assert.match(run.output, /received SIGTERM/);
    assert.match(run.output, /tearing stack smoke-term down/);
    assert.ok(!(await stacks()).stacks.some((s) => s.stack === stack), 'the tags still name smoke-term');
    const status = await runCli(['status', '--stack', stack, '--json'], cloud.env);
    assert.equal(JSON.parse(status.stdout).result.exists, false);
    assert.ok(existsSync(join(artifacts, 'steps', 'teardown.log')));
  });
});
