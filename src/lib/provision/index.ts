/**
 * `up`, `down` and `status`: observe → plan → apply, on whatever target the caller hands in. This is
 * the provisioning library's public face; commands call exactly one of these functions.
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { AwsClients } from '../aws-clients.js';
import { codeSha256, readFunctionZip } from '../bundle.js';
import { DsqlctlError, OwnershipError, UsageError } from '../errors.js';
import { stackNames, type Topology, topologyFromTags } from '../stack.js';
import { readStackTopology } from '../stack-topology.js';
import type { DatabaseSettings, Target } from '../target.js';
import { applyPlan, type Reporter, StepFailedError, type StepReport } from './apply.js';
import { desiredResources, ids } from './desired.js';
import type { ObservedRole } from './iam-role.js';
import { MODULES, type Observations, observeAll, planDown, planUp } from './plan.js';
import type {
  Change,
  Facts,
  FunctionCode,
  Observation,
  Outcome,
  ResourceKind,
  Runtime,
  StepResult,
} from './types.js';

export type { Change, StepResult } from './types.js';

/** Makes the progress view for a plan (listr2 on a TTY, plain lines otherwise). */
export type ReporterFactory = (changes: readonly Change[]) => Promise<Reporter>;

export interface UpOptions {
  stack: string;
  topology: Topology;
  dryRun: boolean;
  reporter: ReporterFactory;
}

export interface RegionSummary {
  region: string;
  clusterIdentifier?: string;
  clusterEndpoint?: string;
  functionName: string;
}

export type KindCounts = Partial<Record<ResourceKind, Partial<Record<Outcome | Change['action'], number>>>>;

export interface UpResult {
  stack: string;
  target: string;
  topology: Topology;
  dryRun: boolean;
  /** With --dry-run: the plan; otherwise each applied step with its outcome and duration. */
  plan: Change[];
  steps: StepResult[];
  counts: KindCounts;
  regions: RegionSummary[];
  next: string[];
  durationMs: number;
}

/** DSQLCTL_FUNCTION_ZIP deploys another build of the function than lambda-bundle/dist/function.zip. */
async function loadFunctionCode(): Promise<FunctionCode> {
  const override = process.env.DSQLCTL_FUNCTION_ZIP;
  const zip = override
    ? new Uint8Array(await (await import('node:fs/promises')).readFile(override))
    : await readFunctionZip();
  return { zip, sha256: codeSha256(zip) };
}

export async function makeRuntime(
  target: Target,
  clients: AwsClients,
  operation: Runtime['operation'],
  stack: string,
  topology: Topology,
  functionCode: FunctionCode | undefined,
  onProgress: (id: string, message: string) => void,
): Promise<Runtime> {
  const identity = await clients.sts().send(new GetCallerIdentityCommand({}));
  const partition = identity.Arn?.split(':')[1] ?? 'aws';
  const facts = new Map<string, Facts>();
  const databaseSettings = new Map<string, DatabaseSettings>();
  return {
    operation,
    target,
    clients,
    stack,
    topology,
    names: stackNames(stack),
    account: { account: identity.Account as string, partition },
    facts,
    databaseSettings,
    functionCode,
    async record(id, recorded) {
      facts.set(id, { ...facts.get(id), ...recorded });
      const region = id.startsWith('dsql-cluster:') ? id.slice('dsql-cluster:'.length) : undefined;
      if (region && recorded.identifier && !databaseSettings.has(region)) {
        databaseSettings.set(
          region,
          await target.databaseSettings({
            identifier: recorded.identifier,
            region,
            endpoint: recorded.endpoint,
          }),
        );
      }
    },
    progress: onProgress,
  };
}

function countBy<T extends { kind: ResourceKind }>(
  items: readonly T[],
  key: (item: T) => Outcome | Change['action'],
): KindCounts {
  const counts: KindCounts = {};
  for (const item of items) {
    const byKind = counts[item.kind] ?? {};
    const k = key(item);
    byKind[k] = (byKind[k] ?? 0) + 1;
    counts[item.kind] = byKind;
  }
  return counts;
}

/** Forwards progress to whichever reporter is current (the reporter exists only once the plan does). */
function progressRelay() {
  let reporter: Reporter | undefined;
  return {
    set(r: Reporter) {
      reporter = r;
    },
    send: (id: string, message: string) => reporter?.message(id, message),
  };
}

/** Shows the plan through the caller's reporter (progress relayed to it from now on), then applies it. */
async function runSteps(
  rt: Runtime,
  plan: Change[],
  makeReporter: ReporterFactory,
  relay: ReturnType<typeof progressRelay>,
  step: (change: Change) => Promise<StepReport>,
): Promise<StepResult[]> {
  const reporter = await makeReporter(plan);
  relay.set(reporter);
  try {
    return await applyPlan(plan, step, reporter);
  } catch (error) {
    if (!(error instanceof StepFailedError)) throw error;
    const failed = error.results.filter((r) => r.outcome === 'failed');
    const first = error.firstError;
    const summary = failed.map(
      (r) => `${r.kind} ${r.name}${r.region === 'global' ? '' : ` in ${r.region}`}: ${r.detail}`,
    );
    // Keep the failing step's own error class (its exit code and advice), with every failure listed.
    if (first instanceof DsqlctlError) {
      if (failed.length > 1) first.message = summary.join('\n');
      throw first;
    }
    throw new DsqlctlError(summary.join('\n'), {
      cause: first,
      advice: `Nothing is lost: run the same command again to resume (${rt.operation === 'up' ? 'up' : 'down'} is idempotent).`,
    });
  }
}

/** Applies one `up` change: converge what the plan says differs, record its facts. */
export function upStep(rt: Runtime, observations: Observations) {
  return async (change: Change): Promise<StepReport> => {
    if (change.action === 'noop') return { outcome: 'unchanged' };
    const observed = observations.get(change.id) ?? { state: 'absent' };
    const facts = await MODULES[change.kind].converge(rt, change, observed);
    await rt.record(change.id, facts);
    return { outcome: change.action === 'create' ? 'created' : 'updated' };
  };
}

/** Applies one `down` change: delete what exists and is ours. */
export function downStep(rt: Runtime, observations: Observations) {
  return async (change: Change): Promise<StepReport> => {
    const observed = observations.get(change.id) ?? { state: 'absent' };
    if (change.action === 'noop') return { outcome: observed.state === 'foreign' ? 'left-alone' : 'gone' };
    const removed = await MODULES[change.kind].remove(rt, change, observed);
    return { outcome: removed ? 'deleted' : 'gone' };
  };
}

export async function up(target: Target, options: UpOptions): Promise<UpResult> {
  const started = Date.now();
  const clients = new AwsClients(target);
  const relay = progressRelay();
  try {
    const functionCode = await loadFunctionCode();
    const rt = await makeRuntime(
      target,
      clients,
      'up',
      options.stack,
      options.topology,
      functionCode,
      relay.send,
    );
    const resources = desiredResources(options.stack, options.topology, rt.names);
    const observations = await observeAll(rt, resources);
    assertSameTopology(options.stack, options.topology, observations.get(ids.functionRole));
    const plan = planUp(rt, resources, observations);
    const base = { stack: options.stack, target: target.kind, topology: options.topology };
    if (options.dryRun) {
      return {
        ...base,
        dryRun: true,
        plan,
        steps: [],
        counts: countBy(plan, (c: Change) => c.action),
        regions: regionSummaries(rt),
        next: [`dsqlctl up --stack ${options.stack}${targetFlag(target)}`],
        durationMs: Date.now() - started,
      };
    }
    const steps = await runSteps(rt, plan, options.reporter, relay, upStep(rt, observations));
    return {
      ...base,
      dryRun: false,
      plan,
      steps,
      counts: countBy(steps, (s: StepResult) => s.outcome),
      regions: regionSummaries(rt),
      next: nextCommands(options.stack, target, options.topology),
      durationMs: Date.now() - started,
    };
  } finally {
    clients.destroy();
  }
}

/**
 * Regions cannot be added to or removed from a deployed stack in place (a cluster's peers and witness
 * are fixed): say so before touching anything, rather than leave the other region's resources behind.
 */
function assertSameTopology(stack: string, wanted: Topology, role: Observation<unknown> | undefined): void {
  if (role?.state !== 'present') return;
  const deployed = topologyFromTags((role.value as ObservedRole).tags);
  if (!deployed) return;
  const same =
    deployed.regions.join() === wanted.regions.join() && (deployed.witness ?? '') === (wanted.witness ?? '');
  if (same) return;
  const describe = (t: Topology) => `${t.regions.join(',')}${t.witness ? ` (witness ${t.witness})` : ''}`;
  throw new UsageError(
    `Stack ${stack} is deployed in ${describe(deployed)}; this up asks for ${describe(wanted)}. A stack's regions and witness cannot change in place.`,
    {
      advice: `Run up with --regions ${deployed.regions.join(',')}${deployed.witness ? ` --witness ${deployed.witness}` : ''}, or take the stack down first (dsqlctl down --stack ${stack}).`,
    },
  );
}

function targetFlag(target: Target): string {
  return target.kind === 'local' ? ' --target local' : '';
}

function regionSummaries(rt: Runtime): RegionSummary[] {
  return rt.topology.regions.map((region) => {
    const cluster = rt.facts.get(ids.cluster(region));
    return {
      region,
      clusterIdentifier: cluster?.identifier,
      clusterEndpoint: cluster?.endpoint ?? rt.databaseSettings.get(region)?.host,
      functionName: rt.names.functionName,
    };
  });
}

function nextCommands(stack: string, target: Target, topology: Topology): string[] {
  const t = targetFlag(target);
  const s = `--stack ${stack}`;
  return [
    `dsqlctl txn create ${s} --amount 100.50${t}`,
    `dsqlctl txn list ${s} --limit 10${t}`,
    ...(topology.regions.length === 2 ? [`dsqlctl verify consistency ${s}${t}`] : []),
    `dsqlctl status ${s}${t}`,
    `dsqlctl down ${s} --yes${t}`,
  ];
}

// ── down ────────────────────────────────────────────────────────────────────────────────────────

export interface DownOptions {
  stack: string;
  reporter: ReporterFactory;
  /** Asked once the plan is known and before any change; false cancels. */
  confirm: (plan: Change[]) => Promise<boolean>;
}

export interface DownResult {
  stack: string;
  target: string;
  /** False when no stack of that name exists (nothing to do). */
  existed: boolean;
  cancelled: boolean;
  topology?: Topology;
  steps: StepResult[];
  counts: KindCounts;
  leftAlone: string[];
  durationMs: number;
}

export async function down(target: Target, options: DownOptions): Promise<DownResult> {
  const started = Date.now();
  const base = { stack: options.stack, target: target.kind };
  const noStack = (leftAlone: string[], durationMs: number): DownResult => ({
    ...base,
    existed: false,
    cancelled: false,
    steps: [],
    counts: {},
    leftAlone,
    durationMs,
  });
  // One IAM client (and connection) for the topology read and the observation after it.
  const clients = new AwsClients(target);
  const relay = progressRelay();
  try {
    let topology: Topology | undefined;
    try {
      topology = await readStackTopology(target, options.stack, clients.iam());
    } catch (error) {
      // A same-named role that is not ours: there is no stack of ours to take down, and it stays.
      if (!(error instanceof OwnershipError)) throw error;
      return noStack([error.message], 0);
    }
    if (!topology) return noStack([], Date.now() - started);
    const rt = await makeRuntime(target, clients, 'down', options.stack, topology, undefined, relay.send);
    const resources = desiredResources(options.stack, topology, rt.names);
    const observations = await observeAll(rt, resources);
    const plan = planDown(resources, observations);
    const leftAlone = plan.filter((c) => observations.get(c.id)?.state === 'foreign').map((c) => c.reason);
    if (!(await options.confirm(plan))) {
      return {
        ...base,
        existed: true,
        cancelled: true,
        topology,
        steps: [],
        counts: {},
        leftAlone,
        durationMs: Date.now() - started,
      };
    }
    const steps = await runSteps(rt, plan, options.reporter, relay, downStep(rt, observations));
    return {
      ...base,
      existed: true,
      cancelled: false,
      topology,
      steps,
      counts: countBy(steps, (s: StepResult) => s.outcome),
      leftAlone,
      durationMs: Date.now() - started,
    };
  } finally {
    clients.destroy();
  }
}

// ── status ──────────────────────────────────────────────────────────────────────────────────────

export interface ResourceStatus {
  id: string;
  kind: ResourceKind;
  name: string;
  region: string;
  /** absent, foreign, or the resource's own state (ACTIVE, Active…). */
  state: string;
  /** The change `up` would make, with its reason; undefined when in sync. */
  drift?: { action: Change['action']; reason: string };
}

export interface StatusResult {
  stack: string;
  target: string;
  exists: boolean;
  topology?: Topology;
  inSync: boolean;
  resources: ResourceStatus[];
  regions: RegionSummary[];
}

export async function status(target: Target, stack: string): Promise<StatusResult> {
  const base = { stack, target: target.kind };
  const clients = new AwsClients(target);
  try {
    const topology = await readStackTopology(target, stack, clients.iam());
    if (!topology) return { ...base, exists: false, inSync: false, resources: [], regions: [] };
    const rt = await makeRuntime(
      target,
      clients,
      'status',
      stack,
      topology,
      await loadFunctionCode(),
      () => {},
    );
    const resources = desiredResources(stack, topology, rt.names);
    const observations = await observeAll(rt, resources);
    const list: ResourceStatus[] = resources.map((r) => {
      const { upDependsOn: _u, downDependsOn: _d, ...ref } = r;
      const o = observations.get(r.id) ?? { state: 'absent' as const };
      const state = o.state === 'present' ? o.status : o.state;
      if (o.state === 'foreign') return { ...ref, state, drift: { action: 'noop', reason: o.detail } };
      const { action, reason } = MODULES[r.kind].diff(rt, ref, o);
      return { ...ref, state, ...(action === 'noop' ? {} : { drift: { action, reason } }) };
    });
    return {
      ...base,
      exists: true,
      topology,
      inSync: list.every((r) => !r.drift),
      resources: list,
      regions: regionSummaries(rt),
    };
  } finally {
    clients.destroy();
  }
}
