/**
 * Observe → plan. Observation is read-only and runs in parallel; the plan is plain data built from
 * the desired state and what was observed. Kinds differ here only by what their modules declare
 * (observation phase, owner, whether `down` deletes them).
 */
import { OwnershipError } from '../errors.js';
import { type DesiredResource, refOf } from './desired.js';
import { MODULES } from './modules.js';
import type { Change, Observation, ProvisionContext } from './types.js';

export type Observations = Map<string, Observation<unknown>>;

/** Observes every resource; records the facts of those present. */
export async function observeAll(
  ctx: ProvisionContext,
  resources: readonly DesiredResource[],
): Promise<Observations> {
  const observations: Observations = new Map();
  const observe = async (list: readonly DesiredResource[]) => {
    const found = await Promise.all(list.map((r) => MODULES[r.kind].observe(ctx, r)));
    list.forEach((r, i) => {
      observations.set(r.id, found[i] as Observation<unknown>);
    });
    await Promise.all(
      list.map(async (r) => {
        const o = observations.get(r.id);
        if (o?.state === 'present' && Object.keys(o.facts).length > 0) await ctx.record(r, o.facts);
      }),
    );
  };
  await observe(resources.filter((r) => MODULES[r.kind].observePhase === 'first'));
  for (const r of resources) {
    const owner = MODULES[r.kind].ownerOf?.(r);
    const ownerObservation = owner ? observations.get(owner) : undefined;
    if (ownerObservation?.state === 'foreign') observations.set(r.id, ownerObservation);
  }
  await observe(resources.filter((r) => MODULES[r.kind].observePhase === 'after-facts'));
  return observations;
}

/** The `up` plan. Refuses (OwnershipError) before any change when a same-named resource is not ours. */
export function planUp(
  ctx: ProvisionContext,
  resources: readonly DesiredResource[],
  observations: Observations,
): Change[] {
  // A resource foreign through its owner is refused as the owner.
  const foreign = resources.flatMap((r) => {
    const o = observations.get(r.id);
    return o?.state === 'foreign' && !MODULES[r.kind].ownerOf ? [o.detail] : [];
  });
  if (foreign.length > 0) {
    throw new OwnershipError(
      `${foreign.join('; ')}. dsqlctl never modifies or deletes a resource it does not own; nothing was changed.`,
      {
        advice: `Choose another --stack name than "${ctx.stack}", or remove or rename the existing resource${foreign.length > 1 ? 's' : ''} yourself.`,
      },
    );
  }
  return resources.map((r) => {
    const ref = refOf(r);
    const { action, reason } = MODULES[r.kind].diff(ctx, ref, observations.get(r.id) ?? { state: 'absent' });
    return { ...ref, action, reason, dependsOn: upDependencies(r) };
  });
}

/** What a resource's `up` step waits for: its dependencies, and those whose facts its creation reads. */
export function upDependencies(resource: DesiredResource): string[] {
  return [...resource.dependsOn, ...(resource.createdAfter ?? [])];
}

/** The `down` plan: delete what exists and is ours; what is gone or foreign is a no-op. */
export function planDown(resources: readonly DesiredResource[], observations: Observations): Change[] {
  const order = downDependencies(resources);
  return resources
    .filter((r) => MODULES[r.kind].deletedByDown)
    .map((r) => {
      const o = observations.get(r.id) ?? { state: 'absent' };
      const [action, reason] =
        o.state === 'present'
          ? (['delete', o.status] as const)
          : o.state === 'foreign'
            ? (['noop', `${o.detail}: left alone`] as const)
            : (['noop', 'already gone'] as const);
      return { ...refOf(r), action, reason, dependsOn: order.get(r.id) ?? [] };
    });
}

/**
 * What each resource `down` deletes must wait for: everything that depended on it during `up` (the
 * edges reversed), and for a resource deleted last, everything else. A resource `down` does not
 * delete passes its place on: those waiting for it wait for what it would have waited for. Resources
 * deleted together (`deletedWith`) each wait for all of that.
 */
export function downDependencies(resources: readonly DesiredResource[]): Map<string, string[]> {
  const dependents = new Map<string, string[]>(resources.map((r) => [r.id, []]));
  for (const r of resources) for (const d of r.dependsOn) dependents.get(d)?.push(r.id);
  const deleted = new Set(resources.filter((r) => MODULES[r.kind].deletedByDown).map((r) => r.id));
  const last = new Set(resources.filter((r) => r.deletedLast).map((r) => r.id));
  const deletedBefore = (id: string, seen: Set<string> = new Set()): string[] =>
    (dependents.get(id) ?? []).flatMap((d) => {
      if (seen.has(d)) return [];
      seen.add(d);
      return deleted.has(d) ? [d] : deletedBefore(d, seen);
    });
  const together = (r: DesiredResource) => [r.id, ...(r.deletedWith ?? [])];
  return new Map(
    resources
      .filter((r) => deleted.has(r.id))
      .map((r) => {
        const before = last.has(r.id)
          ? [...deleted].filter((id) => !last.has(id))
          : [...new Set(together(r).flatMap((id) => deletedBefore(id)))].filter(
              (id) => !together(r).includes(id),
            );
        return [r.id, before];
      }),
  );
}
