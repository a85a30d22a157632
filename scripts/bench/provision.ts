// Provisioning on the local cloud with a realistic latency profile (cluster creation ≫ function
// creation ≫ role creation): `up` wall time over the critical path of those latencies (a parallel
// apply approaches 1; region after region would be ≈ 2), and a no-op `up`: mutating calls and calls
// per resource, counted in the local cloud's request log.
import { spawnSync } from 'node:child_process';
import type { FaultConfig } from '../../src/lib/local-cloud/index.js';
import type { Bench } from '../bench.ts';
import { isMutating, startPrivateCloud } from '../lib/local-cloud.js';

const root = new URL('../..', import.meta.url).pathname;

/** Seconds of AWS time; scaled by TIME_SCALE on the local cloud. */
const AWS_SECONDS = {
  roleCreate: 2,
  clusterCreate: 60,
  clusterUpdate: 30,
  functionCreate: 10,
} as const;
const TIME_SCALE = 0.2;
const RESOURCES = 18;

const PROFILE: FaultConfig = {
  timeScale: TIME_SCALE,
  durations: {
    'dsql:CreateCluster': AWS_SECONDS.clusterCreate,
    'dsql:UpdateCluster': AWS_SECONDS.clusterUpdate,
    'dsql:DeleteCluster': 5,
    'lambda:CreateFunction': AWS_SECONDS.functionCreate,
  },
  delays: { 'iam:CreateRole': AWS_SECONDS.roleCreate },
};

/**
 * The longest chain of dependent latencies `up` must wait through: the role first (it records the
 * topology), then each cluster, then the larger of peering (an update on each side, in parallel) and
 * the function's creation.
 */
function criticalPathMs(): number {
  const s = AWS_SECONDS;
  return (s.roleCreate + s.clusterCreate + Math.max(s.clusterUpdate, s.functionCreate)) * 1000 * TIME_SCALE;
}

/** What a region-after-region apply would wait (for comparison): the regional chain twice. */
function serialMs(): number {
  const s = AWS_SECONDS;
  return (s.roleCreate + 2 * (s.clusterCreate + s.functionCreate) + s.clusterUpdate) * 1000 * TIME_SCALE;
}

function cli(env: NodeJS.ProcessEnv, ...args: string[]): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, ['bin/run.js', ...args, '--json'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  if (result.status !== 0)
    throw new Error(`dsqlctl ${args.join(' ')} exited ${result.status}: ${result.stderr}${result.stdout}`);
  return performance.now() - start;
}

const bench: Bench = async (report) => {
  const { cloud, env, stop } = await startPrivateCloud(PROFILE);
  try {
    const wall = cli(env, 'up', '--stack', 'bench');
    report('up wall time ms (two regions, realistic profile)', wall);
    report('up critical path ms (role + cluster + max(peering, function))', criticalPathMs());
    report('up wall time / critical path', wall / criticalPathMs(), '≤ 1.10 (region after region ≈ 2)');
    report('region-after-region estimate / critical path', serialMs() / criticalPathMs());

    const before = cloud.requests().length;
    cli(env, 'up', '--stack', 'bench');
    const calls = cloud.requests().slice(before);
    const mutating = calls.filter((c) => isMutating(c.operation));
    report('no-op up: mutating calls', mutating.length, '0');
    report('no-op up: calls per resource', calls.length / RESOURCES, '≤ 3');

    cli(env, 'down', '--stack', 'bench', '--yes');
  } catch (error) {
    // Say why instead of aborting the other benches' report.
    report('provision bench', `not measured: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    await stop();
  }
};

export default bench;
