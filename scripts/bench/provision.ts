// Provisioning on the local cloud with a realistic latency profile (cluster creation ≫ function
// creation ≫ role creation): `up` wall time over the critical path of those latencies (a parallel
// apply approaches 1; region after region would be ≈ 2); a no-op `up`: mutating calls and calls per
// resource, counted in the local cloud's request log, and its wall time (and a `status`'s) against
// `node -e 0`; `down` against its own critical path plus one no-op `status` (what down observes first).
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
  clusterDelete: 5,
  functionCreate: 10,
} as const;
const TIME_SCALE = 0.2;

const PROFILE: FaultConfig = {
  timeScale: TIME_SCALE,
  durations: {
    'dsql:CreateCluster': AWS_SECONDS.clusterCreate,
    'dsql:UpdateCluster': AWS_SECONDS.clusterUpdate,
    'dsql:DeleteCluster': AWS_SECONDS.clusterDelete,
    'lambda:CreateFunction': AWS_SECONDS.functionCreate,
  },
  delays: { 'iam:CreateRole': AWS_SECONDS.roleCreate },
};

/**
 * The longest chain of dependent latencies `up` must wait through: the lock (a CreateRole,
 * provision/lock.ts), the role (it records the topology), then each cluster, then the larger of
 * peering (an update on each side, in parallel) and the function's creation (its log group first,
 * which has no latency in the profile).
 */
function criticalPathMs(): number {
  const s = AWS_SECONDS;
  return (
    (2 * s.roleCreate + s.clusterCreate + Math.max(s.clusterUpdate, s.functionCreate)) * 1000 * TIME_SCALE
  );
}

/** `down`'s chain: the lock, then the clusters' deletion (in parallel); every other delete has no latency. */
function downCriticalPathMs(): number {
  return (AWS_SECONDS.roleCreate + AWS_SECONDS.clusterDelete) * 1000 * TIME_SCALE;
}

/**
 * Calls in the request log that are not a no-op `up`'s changes: the lock's own (every up and down
 * takes and releases it, provision/lock.ts), and the scheduled sweep's delivery and invocation, which
 * EventBridge makes in the background every (scaled) minute.
 */
const NOT_CHANGES = new Set(['CreateRole', 'DeleteRole', 'Deliver', 'Invoke']);

/** What a region-after-region apply would wait (for comparison): the regional chain twice. */
function serialMs(): number {
  const s = AWS_SECONDS;
  return (s.roleCreate + 2 * (s.clusterCreate + s.functionCreate) + s.clusterUpdate) * 1000 * TIME_SCALE;
}

/** `dsqlctl … --json`: its wall time, and its result. */
function timedCli(env: NodeJS.ProcessEnv, ...args: string[]): { ms: number; result: unknown } {
  const start = performance.now();
  const result = spawnSync(process.execPath, ['bin/run.js', ...args, '--json'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  if (result.status !== 0)
    throw new Error(`dsqlctl ${args.join(' ')} exited ${result.status}: ${result.stderr}${result.stdout}`);
  const ms = performance.now() - start;
  return { ms, result: (JSON.parse(result.stdout) as { result: unknown }).result };
}

const cli = (env: NodeJS.ProcessEnv, ...args: string[]) => timedCli(env, ...args).ms;

function nodeStartMs(): number {
  const start = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return performance.now() - start;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const ROUNDS = 5;

const bench: Bench = async (report) => {
  const { cloud, env, stop } = await startPrivateCloud(PROFILE);
  try {
    const wall = cli(env, 'up', '--stack', 'bench');
    report('up wall time ms (two regions, realistic profile)', wall);
    report('up critical path ms (lock + role + cluster + max(peering, function))', criticalPathMs());
    report('up wall time / critical path', wall / criticalPathMs(), '≤ 1.10 (region after region ≈ 2)');
    report('region-after-region estimate / critical path', serialMs() / criticalPathMs());

    const { result } = timedCli(env, 'status', '--stack', 'bench');
    const resources = (result as { resources: unknown[] }).resources.length;
    const before = cloud.requests().length;
    cli(env, 'up', '--stack', 'bench');
    const calls = cloud.requests().slice(before);
    const mutating = calls.filter((c) => isMutating(c.operation) && !NOT_CHANGES.has(c.operation));
    report(
      'no-op up: mutating calls besides the lock',
      mutating.length === 0 ? 0 : `${mutating.length} (${mutating.map((c) => c.operation).join(', ')})`,
      '0',
    );
    report('no-op up: calls per resource', calls.length / resources, '≤ 3');

    // Interleaved rounds, so load on a shared machine hits all alike.
    const samples = { node: [] as number[], up: [] as number[], status: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      samples.node.push(nodeStartMs());
      samples.up.push(cli(env, 'up', '--stack', 'bench'));
      samples.status.push(cli(env, 'status', '--stack', 'bench'));
    }
    const [node, noopUp, status] = [median(samples.node), median(samples.up), median(samples.status)];
    report(`no-op up wall, median of ${ROUNDS} (ms)`, noopUp);
    report(`status wall, median of ${ROUNDS} (ms)`, status);
    report('no-op up wall ÷ node -e 0', noopUp / node, '≤ 10');
    report('status wall ÷ node -e 0', status / node, '≤ 10');

    const down = cli(env, 'down', '--stack', 'bench', '--yes');
    report('down wall time ms', down);
    report('down critical path ms (lock + cluster deletion)', downCriticalPathMs());
    report(
      'down wall ÷ (critical path + one no-op status)',
      down / (downCriticalPathMs() + status),
      '≤ 1.15',
    );
  } catch (error) {
    // Say why instead of aborting the other benches' report.
    report('provision bench', `not measured: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    await stop();
  }
};

export default bench;
