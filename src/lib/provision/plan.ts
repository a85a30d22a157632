/**
 * Observe → plan. Observation is read-only and runs in parallel; the plan is plain data built from
 * the desired state and what was observed.
 */
import { OwnershipError } from '../errors.js';
import { database } from './database.js';
import { type DesiredResource, ids } from './desired.js';
import { dsqlCluster, dsqlPeering } from './dsql-cluster.js';
import { eventBus } from './event-bus.js';
import { eventRule } from './event-rule.js';
import { iamRole } from './iam-role.js';
import { iamRolePolicy } from './iam-role-policy.js';
import { lambdaFunction, lambdaPermission } from './lambda-function.js';
import type { Change, Observation, ResourceKind, ResourceModule, Runtime } from './types.js';

export const MODULES: Record<ResourceKind, ResourceModule<unknown>> = {
  'iam-role': iamRole as ResourceModule<unknown>,
  'iam-role-policy': iamRolePolicy as ResourceModule<unknown>,
  'dsql-cluster': dsqlCluster as ResourceModule<unknown>,
  'dsql-peering': dsqlPeering as ResourceModule<unknown>,
  database: database as ResourceModule<unknown>,
  'event-bus': eventBus as ResourceModule<unknown>,
  'event-rule': eventRule as ResourceModule<unknown>,
  'lambda-function': lambdaFunction as ResourceModule<unknown>,
  'lambda-permission': lambdaPermission as ResourceModule<unknown>,
};

/** Kinds observed only once the others' facts are known (they read clusters' facts). */
const DERIVED: ReadonlySet<ResourceKind> = new Set(['dsql-peering', 'database']);

/** Sub-resources that belong to another resource: foreign when their owner is foreign. */
const OWNER: Record<string, (r: DesiredResource) => string | undefined> = {
  'iam-role-policy': (r) => (r.id === ids.functionRolePolicy ? ids.functionRole : ids.eventsRole),
  'lambda-permission': (r) => ids.function(r.region),
};

export type Observations = Map<string, Observation<unknown>>;

/** Observes every resource; records the facts of those present. */
export async function observeAll(rt: Runtime, resources: readonly DesiredResource[]): Promise<Observations> {
  const observations: Observations = new Map();
  const observe = async (list: readonly DesiredResource[]) => {
    const found = await Promise.all(list.map((r) => MODULES[r.kind].observe(rt, r)));
    list.forEach((r, i) => {
      observations.set(r.id, found[i] as Observation<unknown>);
    });
    await Promise.all(
      list.map(async (r) => {
        const o = observations.get(r.id);
        if (o?.state === 'present' && Object.keys(o.facts).length > 0) await rt.record(r.id, o.facts);
      }),
    );
  };
  await observe(resources.filter((r) => !DERIVED.has(r.kind)));
  for (const r of resources) {
    const owner = OWNER[r.kind]?.(r);
    const ownerObservation = owner ? observations.get(owner) : undefined;
    if (ownerObservation?.state === 'foreign') observations.set(r.id, ownerObservation);
  }
  await observe(resources.filter((r) => DERIVED.has(r.kind)));
  return observations;
}

/** The `up` plan. Refuses (OwnershipError) before any change when a same-named resource is not ours. */
export function planUp(
  rt: Runtime,
  resources: readonly DesiredResource[],
  observations: Observations,
): Change[] {
  const foreign = resources.flatMap((r) => {
    const o = observations.get(r.id);
    return o?.state === 'foreign' && !OWNER[r.kind] ? [o.detail] : [];
  });
  if (foreign.length > 0) {
    throw new OwnershipError(
      `${foreign.join('; ')}. dsqlctl never modifies or deletes a resource it does not own; nothing was changed.`,
      {
        advice: `Choose another --stack name than "${rt.stack}", or remove or rename the existing resource${foreign.length > 1 ? 's' : ''} yourself.`,
      },
    );
  }
  return resources.map((r) => {
    const { upDependsOn, downDependsOn: _down, ...ref } = r;
    const { action, reason } = MODULES[r.kind].diff(rt, ref, observations.get(r.id) ?? { state: 'absent' });
    return { ...ref, action, reason, dependsOn: upDependsOn };
  });
}

/** The `down` plan: delete what exists and is ours; what is gone or foreign is a no-op. */
export function planDown(resources: readonly DesiredResource[], observations: Observations): Change[] {
  return resources
    .filter((r) => r.kind !== 'dsql-peering')
    .map((r) => {
      const { upDependsOn: _up, downDependsOn, ...ref } = r;
      const o = observations.get(r.id) ?? { state: 'absent' };
      const [action, reason] =
        o.state === 'present'
          ? (['delete', o.status] as const)
          : o.state === 'foreign'
            ? (['noop', `${o.detail}: left alone`] as const)
            : (['noop', 'already gone'] as const);
      return { ...ref, action, reason, dependsOn: downDependsOn };
    });
}
