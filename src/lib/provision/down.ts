/**
 * `down`: find the stack by its ownership tag (discover.ts: the role's topology, else every DSQL
 * region), then delete what exists and is ours, in `up`'s order reversed, the function role last.
 */

import { AwsClients } from '../aws-clients.js';
import { deleteTemplates, drillTemplates, stopKilledDrills } from '../drill/leftovers.js';
import { OwnershipError } from '../errors.js';
import { throwIfInterrupted } from '../interrupt.js';
import type { Topology } from '../stack.js';
import type { Target } from '../target.js';
import type { StepReport } from './apply.js';
import { makeProvisionContext } from './context.js';
import { desiredResources } from './desired.js';
import { discoverStack, orphansOf, topologyFromDiscovery } from './discover.js';
import { disabledForwardRules } from './event-rule.js';
import { acquireStackLock } from './lock.js';
import { MODULES } from './modules.js';
import { type Observations, observeAll, planDown } from './plan.js';
import type { DownResult } from './results.js';
import { countBy, progressRelay, type ReporterFactory, runSteps } from './run.js';
import type { Change, ProvisionContext, StepResult } from './types.js';

interface DownOptions {
  stack: string;
  reporter: ReporterFactory;
  /** Asked once the plan is known and before any change; false cancels. */
  confirm: (plan: Change[]) => Promise<boolean>;
  /** Told when the command waits for another up or down of the stack (its lock). */
  notice: (message: string) => void;
}

/** Applies one `down` change: delete what exists and is ours. */
export function downStep(ctx: ProvisionContext, observations: Observations) {
  return async (change: Change): Promise<StepReport> => {
    const observed = observations.get(change.id) ?? { state: 'absent' };
    if (change.action === 'noop') return { outcome: observed.state === 'foreign' ? 'left-alone' : 'gone' };
    const removed = await MODULES[change.kind].remove(ctx, change, observed);
    return { outcome: removed ? 'deleted' : 'gone' };
  };
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
    orphaned: [],
    drill: { experiments: [], templates: [], disabledForwardRules: [] },
    durationMs,
  });
  // One IAM client (and connection) for the topology read and the observation after it.
  const clients = new AwsClients(target);
  const relay = progressRelay();
  // One up or down of a stack at a time (lock.ts): discovery too, so a running up cannot add behind it.
  let release: (() => Promise<void>) | undefined;
  try {
    release = await acquireStackLock(clients, options.stack, 'down', options.notice);
    let topology: Topology | undefined;
    let discovery: Awaited<ReturnType<typeof discoverStack>>;
    try {
      discovery = await discoverStack(clients, options.stack);
      topology = topologyFromDiscovery(discovery, options.stack);
    } catch (error) {
      // A same-named role that is not ours: there is no stack of ours to take down, and it stays.
      if (!(error instanceof OwnershipError)) throw error;
      return noStack([error.message], 0);
    }
    if (!topology) return noStack([], Date.now() - started);
    // Before observing (it reads the database through the clusters): a killed drill's experiment is
    // stopped; beside a drill that may still run, down refuses. The context's own call (STS) runs beside it.
    const [experiments, ctx] = await Promise.all([
      stopKilledDrills(clients, options.stack, topology, 'down'),
      makeProvisionContext(target, clients, 'down', options.stack, topology, undefined, relay.send),
    ]);
    const resources = desiredResources(options.stack, topology, ctx.names);
    const observations = await observeAll(ctx, resources);
    throwIfInterrupted();
    const plan = planDown(resources, observations);
    const templates = drillTemplates(discovery.tagged);
    const drill = (deleted: boolean) => ({
      experiments,
      templates: templates.map((t) => ({ ...t, deleted })),
      disabledForwardRules: disabledForwardRules(resources, observations),
    });
    const leftAlone = plan.filter((c) => observations.get(c.id)?.state === 'foreign').map((c) => c.reason);
    const orphaned = orphansOf(discovery, ctx, false);
    if (!(await options.confirm(plan))) {
      return {
        ...base,
        existed: true,
        cancelled: true,
        topology,
        steps: [],
        counts: {},
        leftAlone,
        orphaned,
        drill: drill(false),
        durationMs: Date.now() - started,
      };
    }
    // The drills' templates name the stack's cluster and role: they go first.
    await deleteTemplates(clients, templates);
    throwIfInterrupted();
    const { steps, failure } = await runSteps(plan, options.reporter, relay, downStep(ctx, observations));
    return {
      ...base,
      existed: true,
      cancelled: false,
      topology,
      steps,
      ...(failure ? { error: failure } : {}),
      counts: countBy(steps, (s: StepResult) => s.outcome),
      leftAlone,
      orphaned,
      drill: drill(true),
      durationMs: Date.now() - started,
    };
  } finally {
    await release?.();
    clients.destroy();
  }
}
