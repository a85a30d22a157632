// Provisioning on the local cloud with a realistic latency profile (cluster creation ≫ index builds ≫
// function creation ≫ role creation): `up` wall time over the critical path of those latencies,
// computed from the stack's real resource graph (desired.ts, plan.ts) with each step weighted by the
// profile latencies it waits for (UP_WAITS, DOWN_WAITS), the lock taken before and released after;
// the chain itself is printed beside the figure. What `up` spends beyond the chain is what the ratio
// exposes: CLI start-up, observation before the plan, poll intervals (wait.ts: 2.5 % of the time
// waited so far, at least 0.1 s), the local cloud's own work. A no-op `up`: mutating calls and calls per
// resource, counted in the local cloud's request log, and its wall time (and a `status`'s) against
// `node -e 0` and against two floors measured beside them: the SDK's first calls (sdk-floor.ts) and
// oclif's start-up (a bare oclif CLI bundled as dsqlctl is, bare-oclif.ts); `down` against its own
// critical path plus one no-op `status` (what down observes first).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { FaultConfig } from '../../src/lib/local-cloud/index.js';
import { type DesiredResource, desiredResources } from '../../src/lib/provision/desired.js';
import { downDependencies, upDependencies } from '../../src/lib/provision/plan.js';
import type { ResourceKind } from '../../src/lib/provision/types.js';
import { renderSchema } from '../../src/lib/schema.js';
import { DEFAULT_REGIONS, DEFAULT_WITNESS, stackNames, type Topology } from '../../src/lib/stack.js';
import type { Bench } from '../bench.ts';
import { bundleBareOclifCli, writeBareOclifCli } from '../lib/bare-oclif.js';
import {
  type CriticalPath,
  criticalPath,
  describeChain,
  type Wait,
  type WeightedStep,
} from '../lib/critical-path.js';
import { interleavedMedians, wallMs } from '../lib/interleaved.js';
import { isMutating, startPrivateCloud } from '../lib/local-cloud.js';
import { sdkFloor } from '../lib/sdk-floor.js';

const root = new URL('../..', import.meta.url).pathname;

const TIME_SCALE = 0.2;

/** Seconds of AWS time; scaled by TIME_SCALE on the local cloud. */
const PROFILE: FaultConfig = {
  timeScale: TIME_SCALE,
  durations: {
    'dsql:CreateCluster': 60,
    'dsql:UpdateCluster': 30,
    'dsql:DeleteCluster': 5,
    // The local cloud's default, named so the critical path weighs it from here (a CREATE INDEX ASYNC job).
    'dsql:IndexBuild': 10,
    'lambda:CreateFunction': 10,
  },
  delays: { 'iam:CreateRole': 2 },
};

/** How long the local cloud delays its answer to `operation` (faults.ts: exact key, then `<service>:*`). */
function delay(operation: string): number {
  const delays = PROFILE.delays ?? {};
  return delays[operation] ?? delays[`${operation.split(':')[0]}:*`] ?? 0;
}

/** The delays of calls a step makes one after another. */
const calls = (...operations: string[]) => operations.reduce((sum, op) => sum + delay(op), 0);

/** A transition's duration; the profile must name it (a guessed default would make the path wrong quietly). */
function duration(key: string): number {
  const seconds = PROFILE.durations?.[key as keyof NonNullable<FaultConfig['durations']>];
  if (seconds === undefined) throw new Error(`the bench's profile sets no duration for ${key}`);
  return seconds;
}

const own = (seconds: number, what: string): Wait[] => (seconds > 0 ? [{ seconds, what }] : []);

/** The schema's CREATE INDEX ASYNC statements: applyMigrations waits for each job before the next DDL. */
const INDEX_BUILDS = renderSchema().filter((sql) => sql.startsWith('CREATE INDEX ASYNC')).length;

/** The lock (provision/lock.ts): a CreateRole before the plan, a DeleteRole after it, for up and down alike. */
const LOCK_TAKE = own(calls('iam:CreateRole'), 'CreateRole');
const LOCK_RELEASE = own(calls('iam:DeleteRole'), 'DeleteRole');

/** What each fresh `up` step waits for, from its start (the modules' converge on an absent resource). */
const UP_WAITS: Record<ResourceKind, (r: DesiredResource, topology: Topology) => Wait[]> = {
  'iam-role': () => own(calls('iam:CreateRole'), 'CreateRole'),
  'iam-role-policy': () => own(calls('iam:PutRolePolicy'), 'PutRolePolicy'),
  // Peered, the step does not wait for the cluster to settle (dsql-cluster.ts converge): the first is
  // created with the witness only (PENDING_SETUP at once, no transition); the second, listing the first,
  // is CREATING for its CreateCluster duration, which the peering waits out. A lone cluster is awaited here.
  'dsql-cluster': (_r, topology) => [
    ...own(calls('dsql:CreateCluster', 'dsql:GetCluster'), 'CreateCluster, GetCluster'),
    ...(topology.witness ? [] : own(duration('dsql:CreateCluster'), 'CREATING')),
  ],
  // The first cluster's UpdateCluster listing the second (UPDATING, from this step's start) and, at the
  // same time, the second's CREATING (from its own step's start, whose first call is CreateCluster):
  // the step ends when both are ACTIVE.
  'dsql-peering': (r) => [
    { seconds: calls('dsql:UpdateCluster') + duration('dsql:UpdateCluster'), what: 'first cluster UPDATING' },
    ...r.dependsOn
      .filter((id) => CREATED_LISTING_A_PEER.has(id))
      .map((since) => ({
        seconds: calls('dsql:CreateCluster') + duration('dsql:CreateCluster'),
        what: 'CREATING',
        since,
      })),
  ],
  'event-bus': () => own(calls('events:CreateEventBus'), 'CreateEventBus'),
  'log-group': () => own(calls('logs:CreateLogGroup', 'logs:PutRetentionPolicy'), 'CreateLogGroup'),
  // CreateFunction, then State Pending → Active (waited).
  'lambda-function': () =>
    own(calls('lambda:CreateFunction') + duration('lambda:CreateFunction'), 'CreateFunction, Pending'),
  'event-rule': () => own(calls('events:PutRule', 'events:PutTargets'), 'PutRule, PutTargets'),
  'lambda-permission': () => own(calls('lambda:AddPermission'), 'AddPermission'),
  // Every migration on a new cluster; each index build is waited for (CALL sys.wait_for_job) in turn.
  database: () => own(INDEX_BUILDS * duration('dsql:IndexBuild'), `${INDEX_BUILDS} index builds`),
};

/** What each `down` step waits for (the modules' remove of a present resource). */
const DOWN_WAITS: Record<ResourceKind, () => Wait[]> = {
  'iam-role': () =>
    own(calls('iam:ListRolePolicies', 'iam:DeleteRolePolicy', 'iam:DeleteRole'), 'DeleteRole'),
  'iam-role-policy': () => own(calls('iam:DeleteRolePolicy'), 'DeleteRolePolicy'),
  // Deletion protection off is an UpdateCluster without a transition; then DELETING. Both clusters of a
  // pair are deleted together (deletedWith): the first is PENDING_DELETE only until the second's
  // DeleteCluster, issued at the same moment.
  'dsql-cluster': () =>
    own(calls('dsql:UpdateCluster', 'dsql:DeleteCluster') + duration('dsql:DeleteCluster'), 'DELETING'),
  'dsql-peering': () => [],
  'event-bus': () => own(calls('events:DeleteEventBus'), 'DeleteEventBus'),
  'log-group': () => own(calls('logs:DeleteLogGroup'), 'DeleteLogGroup'),
  'lambda-function': () => own(calls('lambda:DeleteFunction'), 'DeleteFunction'),
  'event-rule': () => own(calls('events:RemoveTargets', 'events:DeleteRule'), 'DeleteRule'),
  'lambda-permission': () => own(calls('lambda:RemovePermission'), 'RemovePermission'),
  // Drops the function's database role: SQL, no latency of the profile.
  database: () => [],
};

/** What `up --stack bench` deploys: the default regions and witness. */
const TOPOLOGY: Topology = { regions: [...DEFAULT_REGIONS], witness: DEFAULT_WITNESS };
const RESOURCES = desiredResources('bench', TOPOLOGY, stackNames('bench'));
/** Clusters created listing a peer (CREATING); the first is created with the witness only. */
const CREATED_LISTING_A_PEER = new Set(RESOURCES.filter((r) => r.createdAfter?.length).map((r) => r.id));

/** The plan's steps between the lock's take and its release. */
function locked(steps: WeightedStep[]): WeightedStep[] {
  return [
    { id: 'lock', dependsOn: [], waits: LOCK_TAKE },
    ...steps.map((s) => ({ ...s, dependsOn: ['lock', ...s.dependsOn] })),
    { id: 'unlock', dependsOn: steps.map((s) => s.id), waits: LOCK_RELEASE },
  ];
}

const UP_STEPS: WeightedStep[] = RESOURCES.map((r) => ({
  id: r.id,
  dependsOn: upDependencies(r),
  waits: UP_WAITS[r.kind](r, TOPOLOGY),
}));

/** The longest chain of waits `up` must go through (a perfectly parallel apply's wall time). */
const UP_PATH = criticalPath(locked(UP_STEPS));

/** `down`'s: the plan's order (downDependencies), only what down deletes. */
const DOWN_ORDER = downDependencies(RESOURCES);
const DOWN_PATH = criticalPath(
  locked(
    RESOURCES.filter((r) => DOWN_ORDER.has(r.id)).map((r) => ({
      id: r.id,
      dependsOn: DOWN_ORDER.get(r.id) ?? [],
      waits: DOWN_WAITS[r.kind](),
    })),
  ),
);

/**
 * For comparison, `up` region after region: the second region's steps start once the first region's
 * have finished (those that do not themselves need the second region, such as its forward rule).
 */
function regionAfterRegion(): CriticalPath {
  const [first, second] = TOPOLOGY.regions as [string, string];
  const byId = new Map(UP_STEPS.map((s) => [s.id, s]));
  const regionOf = new Map(RESOURCES.map((r) => [r.id, r.region]));
  const needsSecond = (id: string): boolean =>
    regionOf.get(id) === second || (byId.get(id)?.dependsOn ?? []).some(needsSecond);
  const firstOnly = UP_STEPS.filter((s) => regionOf.get(s.id) === first && !needsSecond(s.id)).map(
    (s) => s.id,
  );
  return criticalPath(
    locked(
      UP_STEPS.map((s) =>
        regionOf.get(s.id) === second ? { ...s, dependsOn: [...s.dependsOn, ...firstOnly] } : s,
      ),
    ),
  );
}

const ms = (path: CriticalPath) => path.seconds * 1000 * TIME_SCALE;

/** The scheduled sweep's delivery and invocation, which EventBridge makes in the background every (scaled) minute. */
const BACKGROUND = new Set(['Deliver', 'Invoke']);

/**
 * Calls in the request log that are not a no-op `up`'s changes: the lock's own (every up and down
 * takes and releases it, provision/lock.ts), and the background's.
 */
const NOT_CHANGES = new Set(['CreateRole', 'DeleteRole', ...BACKGROUND]);

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

const ROUNDS = 9;

const bench: Bench = async (report) => {
  const { cloud, env, stop } = await startPrivateCloud(PROFILE);
  try {
    const wall = cli(env, 'up', '--stack', 'bench');
    report('up wall time ms (two regions, realistic profile)', wall);
    report('up critical path ms', ms(UP_PATH));
    report('up critical path (AWS seconds)', describeChain(UP_PATH.chain));
    report('up wall time / critical path', wall / ms(UP_PATH), '≤ 1.10');
    report('region-after-region critical path / critical path', ms(regionAfterRegion()) / ms(UP_PATH));

    const beforeStatus = cloud.requests().length;
    const { result } = timedCli(env, 'status', '--stack', 'bench');
    const resources = (result as { resources: unknown[] }).resources.length;
    const statusCalls = cloud
      .requests()
      .slice(beforeStatus)
      .filter((c) => !BACKGROUND.has(c.operation));
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

    const floor = await sdkFloor(cloud, statusCalls);
    const bareOclif = writeBareOclifCli();
    let medians: Record<'node' | 'sdk' | 'oclif' | 'noopUp' | 'status', number>;
    try {
      await bundleBareOclifCli(bareOclif);
      medians = interleavedMedians(ROUNDS, {
        node: () => wallMs(['-e', '0']),
        sdk: floor.run,
        oclif: () => wallMs(['bin/run-bundled.js', '--help'], { cwd: bareOclif }),
        noopUp: () => cli(env, 'up', '--stack', 'bench'),
        status: () => cli(env, 'status', '--stack', 'bench'),
      });
    } finally {
      floor.remove();
      rmSync(bareOclif, { recursive: true, force: true });
    }
    const { node, sdk, oclif, noopUp, status } = medians;
    // Both floors start a Node: counted once.
    const bothFloors = oclif + sdk - node;
    report(`no-op up wall, median of ${ROUNDS} (ms)`, noopUp);
    report(`status wall, median of ${ROUNDS} (ms)`, status);
    report('no-op up wall ÷ node -e 0', noopUp / node, '≤ 10');
    report('status wall ÷ node -e 0', status / node, '≤ 10');
    report(`SDK floor: one read per client status uses (${floor.describe}), bare bundled script (ms)`, sdk);
    report('SDK floor ÷ node -e 0', sdk / node);
    report('status wall ÷ SDK floor', status / sdk);
    report('no-op up wall ÷ SDK floor', noopUp / sdk);
    report('bare oclif CLI bundled as dsqlctl is, --help (ms)', oclif);
    report('both floors (bare oclif --help + SDK floor − node -e 0) ÷ node -e 0', bothFloors / node);
    report('status wall ÷ both floors', status / bothFloors);
    report('no-op up wall ÷ both floors', noopUp / bothFloors);

    const down = cli(env, 'down', '--stack', 'bench', '--yes');
    report('down wall time ms', down);
    report('down critical path ms', ms(DOWN_PATH));
    report('down critical path (AWS seconds)', describeChain(DOWN_PATH.chain));
    report('down wall ÷ (critical path + one no-op status)', down / (ms(DOWN_PATH) + status), '≤ 1.15');
  } catch (error) {
    // Say why instead of aborting the other benches' report.
    report('provision bench', `not measured: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    await stop();
  }
};

export default bench;
