/** `status`: observe the stack and say, per resource, its state and the change `up` would make. Read-only. */
import { AwsClients } from '../aws-clients.js';
import { readStackTopology } from '../stack-topology.js';
import type { Target } from '../target.js';
import { loadFunctionCode, makeProvisionContext, regionSummaries } from './context.js';
import { desiredResources, refOf } from './desired.js';
import { MODULES } from './modules.js';
import { observeAll } from './plan.js';
import type { ResourceStatus, StatusResult } from './results.js';

export async function status(target: Target, stack: string): Promise<StatusResult> {
  const base = { stack, target: target.kind };
  const clients = new AwsClients(target);
  try {
    const topology = await readStackTopology(target, stack, clients.iam());
    if (!topology) return { ...base, exists: false, inSync: false, resources: [], deployments: [] };
    const ctx = await makeProvisionContext(
      target,
      clients,
      'status',
      stack,
      topology,
      await loadFunctionCode(),
      () => {},
    );
    const resources = desiredResources(stack, topology, ctx.names);
    const observations = await observeAll(ctx, resources);
    const list: ResourceStatus[] = resources.map((r) => {
      const ref = refOf(r);
      const o = observations.get(r.id) ?? { state: 'absent' as const };
      const state = o.state === 'present' ? o.status : o.state;
      if (o.state === 'foreign') return { ...ref, state, drift: { action: 'noop', reason: o.detail } };
      const { action, reason } = MODULES[r.kind].diff(ctx, ref, o);
      return { ...ref, state, ...(action === 'noop' ? {} : { drift: { action, reason } }) };
    });
    return {
      ...base,
      exists: true,
      topology,
      inSync: list.every((r) => !r.drift),
      resources: list,
      deployments: regionSummaries(ctx),
    };
  } finally {
    clients.destroy();
  }
}
