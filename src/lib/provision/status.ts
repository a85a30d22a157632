/**
 * `status`: observe the stack and say, per resource, its state and the change `up` would make, and
 * list what is tagged for the stack but not in its desired set (a leak detector). Read-only but for
 * one thing: a drill experiment a killed drill left running is stopped (drill/leftovers.ts), as the
 * next drill would: it impairs a cluster and nobody is left to stop it.
 */
import { AwsClients } from '../aws-clients.js';
import { drillTemplates, stopKilledDrills } from '../drill/leftovers.js';
import type { Target } from '../target.js';
import { readBacklog } from '../txn/backlog.js';
import { FunctionInvoker } from '../txn/invoke.js';
import { loadFunctionCode, makeProvisionContext, regionSummaries } from './context.js';
import { desiredResources, refOf } from './desired.js';
import { discoverStack, orphansOf, topologyFromDiscovery } from './discover.js';
import { disabledForwardRules } from './event-rule.js';
import { MODULES } from './modules.js';
import { observeAll } from './plan.js';
import type { RegionOutbox, ResourceStatus, StatusResult } from './results.js';

export async function status(target: Target, stack: string): Promise<StatusResult> {
  const base = { stack, target: target.kind };
  const clients = new AwsClients(target);
  try {
    const discovery = await discoverStack(clients, stack);
    // Without the role's topology, the stack's leftovers are observed where the tagging API found them.
    const topology = topologyFromDiscovery(discovery, stack);
    if (!topology) {
      return {
        ...base,
        exists: false,
        inSync: false,
        resources: [],
        orphaned: [],
        deployments: [],
        outbox: [],
        drill: { experiments: [], templates: [], disabledForwardRules: [] },
      };
    }
    // Before observing: it reads the database through the clusters, which a killed drill's experiment
    // impairs. The context's own call (STS) runs beside it.
    const [ctx, experiments] = await Promise.all([
      loadFunctionCode().then((code) =>
        makeProvisionContext(target, clients, 'status', stack, topology, code, () => {}),
      ),
      stopKilledDrills(clients, stack, topology, 'status'),
    ]);
    const roleGone = !discovery.topology;
    // The backlog is read beside the observation (each is a few round trips); a region whose function
    // the observation then finds absent says so instead.
    const outboxes = roleGone ? Promise.resolve([]) : readOutboxes(target, stack, topology.regions);
    const resources = desiredResources(stack, topology, ctx.names);
    const observations = await observeAll(ctx, resources);
    const list: ResourceStatus[] = roleGone
      ? []
      : resources.map((r) => {
          const ref = refOf(r);
          const o = observations.get(r.id) ?? { state: 'absent' as const };
          const state = o.state === 'present' ? o.status : o.state;
          if (o.state === 'foreign') return { ...ref, state, drift: { action: 'noop', reason: o.detail } };
          const { action, reason } = MODULES[r.kind].diff(ctx, ref, o);
          return { ...ref, state, ...(action === 'noop' ? {} : { drift: { action, reason } }) };
        });
    const orphaned = orphansOf(discovery, ctx, roleGone);
    const drill = {
      experiments,
      templates: drillTemplates(discovery.tagged).map((t) => ({ ...t, deleted: false })),
      disabledForwardRules: disabledForwardRules(resources, observations),
    };
    const functionRegions = resources
      .filter((r) => r.kind === 'lambda-function' && observations.get(r.id)?.state === 'present')
      .map((r) => r.region);
    return {
      ...base,
      exists: !roleGone,
      ...(roleGone ? {} : { topology }),
      inSync: !roleGone && orphaned.length === 0 && list.every((r) => !r.drift),
      resources: list,
      orphaned,
      deployments: roleGone ? [] : regionSummaries(ctx),
      outbox: (await outboxes).map((outbox) =>
        functionRegions.includes(outbox.region)
          ? outbox
          : { region: outbox.region, unavailable: 'its function is absent' },
      ),
      drill,
    };
  } finally {
    clients.destroy();
  }
}

/**
 * Each region's outbox backlog, through the function's read-only `backlog` operation (the same read as
 * `verify events`). A region whose function is missing or failing is reported, not fatal: status
 * describes a broken stack too.
 */
async function readOutboxes(
  target: Target,
  stack: string,
  regions: readonly string[],
): Promise<RegionOutbox[]> {
  const invoker = new FunctionInvoker(target, stack);
  try {
    return await Promise.all(
      regions.map(async (region): Promise<RegionOutbox> => {
        try {
          return await readBacklog(invoker, region);
        } catch (error) {
          return { region, unavailable: (error as Error).message.split('\n')[0] ?? String(error) };
        }
      }),
    );
  } finally {
    invoker.close();
  }
}
