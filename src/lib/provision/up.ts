/** `up`: observe the stack, plan what differs from the desired state, converge it (or, --dry-run, show the plan). */
import { suggest } from '../advice.js';
import { AwsClients } from '../aws-clients.js';
import { UsageError } from '../errors.js';
import { throwIfInterrupted } from '../interrupt.js';
import { type Topology, topologyFromTags } from '../stack.js';
import type { Target } from '../target.js';
import type { StepReport } from './apply.js';
import { loadFunctionCode, makeProvisionContext, regionSummaries } from './context.js';
import { desiredResources, ids } from './desired.js';
import type { ObservedRole } from './iam-role.js';
import { acquireStackLock } from './lock.js';
import { MODULES } from './modules.js';
import { topologyFlags, upCommand, upNextCommands } from './next-commands.js';
import { type Observations, observeAll, planUp } from './plan.js';
import type { UpResult } from './results.js';
import { countBy, progressRelay, type ReporterFactory, runSteps } from './run.js';
import type { Change, FunctionCode, Observation, ProvisionContext, StepResult } from './types.js';

interface UpOptions {
  stack: string;
  topology: Topology;
  dryRun: boolean;
  reporter: ReporterFactory;
  logRetentionDays?: number;
  /** Told when the command waits for another up or down of the stack (its lock). */
  notice: (message: string) => void;
}

/** Applies one `up` change: converge what the plan says differs, record its facts. */
export function upStep(ctx: ProvisionContext, observations: Observations) {
  return async (change: Change): Promise<StepReport> => {
    if (change.action === 'noop') return { outcome: 'unchanged' };
    const observed = observations.get(change.id) ?? { state: 'absent' };
    const facts = await MODULES[change.kind].converge(ctx, change, observed);
    await ctx.record(change, facts);
    return { outcome: change.action === 'create' ? 'created' : 'updated' };
  };
}

export async function up(target: Target, options: UpOptions): Promise<UpResult> {
  const started = Date.now();
  const clients = new AwsClients(target);
  const relay = progressRelay();
  const observeAndPlan = async (functionCode: FunctionCode) => {
    const ctx = await makeProvisionContext(
      target,
      clients,
      'up',
      options.stack,
      options.topology,
      functionCode,
      relay.send,
      options.logRetentionDays !== undefined ? { logRetentionDays: options.logRetentionDays } : {},
    );
    const resources = desiredResources(options.stack, options.topology, ctx.names);
    const observations = await observeAll(ctx, resources);
    throwIfInterrupted();
    assertSameTopology(options.stack, options.topology, observations.get(ids.functionRole));
    return { ctx, observations, plan: planUp(ctx, resources, observations) };
  };
  // One up or down of a stack at a time (lock.ts), for what changes the stack: a plan with nothing to
  // change (and a dry run) calls nothing that writes, so it takes no lock; an up or down running
  // meanwhile is simply after it. Otherwise the lock is taken and the stack observed again, since its
  // holder may have changed it in between.
  let release: (() => Promise<void>) | undefined;
  try {
    const functionCode = await loadFunctionCode();
    let { ctx, observations, plan } = await observeAndPlan(functionCode);
    if (!options.dryRun && plan.some((c) => c.action !== 'noop')) {
      release = await acquireStackLock(clients, options.stack, 'up', options.notice);
      ({ ctx, observations, plan } = await observeAndPlan(functionCode));
    }
    const base = { stack: options.stack, target: target.kind, topology: options.topology };
    if (options.dryRun) {
      return {
        ...base,
        dryRun: true,
        plan,
        steps: [],
        counts: countBy(plan, (c: Change) => c.action),
        deployments: regionSummaries(ctx),
        next: [upCommand(options.stack, target.kind)],
        durationMs: Date.now() - started,
      };
    }
    const { steps, failure } = await runSteps(plan, options.reporter, relay, upStep(ctx, observations));
    return {
      ...base,
      dryRun: false,
      plan,
      steps,
      ...(failure ? { error: failure } : {}),
      counts: countBy(steps, (s: StepResult) => s.outcome),
      deployments: regionSummaries(ctx),
      next: upNextCommands(options.stack, target.kind, options.topology),
      durationMs: Date.now() - started,
    };
  } finally {
    await release?.();
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
      advice: `Run ${suggest(`up --stack ${stack} ${topologyFlags(deployed)}`)}, or take the stack down first (${suggest(`down --stack ${stack}`)}).`,
    },
  );
}
