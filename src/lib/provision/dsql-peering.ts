/**
 * The peering of a two-region stack's clusters: the two-sided handshake through the witness, as plain
 * reads and idempotent updates, resumable from any state a crash leaves.
 */
import { UpdateClusterCommand } from '@aws-sdk/client-dsql';
import { ids } from './desired.js';
import {
  ACCEPTS_UPDATE,
  type Cluster,
  clusterBusy,
  clusterFacts,
  USABLE,
  waitForClusterStatus,
} from './dsql-cluster.js';
import type { ProvisionContext, ResourceModule } from './types.js';
import { retryWhile, waitLimitSeconds } from './wait.js';

function peeringGaps(ctx: ProvisionContext): string[] {
  const [a, b] = ctx.topology.regions as [string, string];
  const fa = ctx.facts.get(ids.cluster(a));
  const fb = ctx.facts.get(ids.cluster(b));
  if (!fa?.arn || !fb?.arn) return ['clusters not created yet'];
  const gaps: string[] = [];
  if (!fa.peers?.includes(fb.arn)) gaps.push(`${a} does not list ${b}`);
  if (!fb.peers?.includes(fa.arn)) gaps.push(`${b} does not list ${a}`);
  for (const [region, f] of [
    [a, fa],
    [b, fb],
  ] as const) {
    if (!USABLE.has(f.status ?? '')) gaps.push(`${region} is ${f.status}`);
  }
  return gaps;
}

/**
 * The handshake, as plain reads and idempotent updates: each side that does not list the other is
 * updated to list it (once it accepts updates), then both are awaited ACTIVE.
 */
export const dsqlPeering: ResourceModule<null> = {
  // Its observation reads the clusters' facts; `down` deletes the clusters, and the peering with them.
  observePhase: 'after-facts',
  deletedByDown: false,

  // Observed through the clusters' own observations (their facts, known by now), at no call of its own.
  async observe(ctx) {
    const gaps = peeringGaps(ctx);
    return {
      state: 'present',
      value: null,
      facts: {},
      status: gaps.length > 0 ? gaps.join('; ') : 'peered, both ACTIVE',
    };
  },

  diff(ctx) {
    const gaps = peeringGaps(ctx);
    if (gaps[0] === 'clusters not created yet') return { action: 'create', reason: 'peer the new clusters' };
    return gaps.length > 0
      ? { action: 'update', reason: gaps.join('; ') }
      : { action: 'noop', reason: 'peered' };
  },

  async converge(ctx, ref) {
    const witnessRegion = ctx.topology.witness as string;
    const sides = ctx.topology.regions.map((region) => {
      const f = ctx.facts.get(ids.cluster(region));
      if (!f?.identifier || !f.arn) throw new Error(`Cluster in ${region} is unknown; cannot peer.`);
      return { region, identifier: f.identifier, arn: f.arn };
    });
    const [a, b] = sides as [(typeof sides)[0], (typeof sides)[0]];
    await Promise.all(
      [
        [a, b],
        [b, a],
      ].map(async ([self, other]) => {
        const cluster = await waitForClusterStatus(
          ctx,
          { ...ref, region: self.region },
          self.identifier,
          ACCEPTS_UPDATE,
        );
        const peers = clusterFacts(cluster).peers ?? [];
        if (peers.includes(other.arn)) return;
        ctx.progress(ref.id, `${self.region}: adding peer ${other.region}`);
        await retryWhile({
          what: `peering ${self.identifier} with ${other.identifier}`,
          limitSeconds: waitLimitSeconds('conflict'),
          work: () =>
            ctx.clients.dsql(self.region).send(
              new UpdateClusterCommand({
                identifier: self.identifier,
                multiRegionProperties: { witnessRegion, clusters: [other.arn] },
              }),
            ),
          retryable: clusterBusy,
          onProgress: (m) => ctx.progress(ref.id, m),
        });
      }),
    );
    const settled = await Promise.all(
      sides.map((side) =>
        waitForClusterStatus(ctx, { ...ref, region: side.region }, side.identifier, USABLE),
      ),
    );
    sides.forEach((side, i) => {
      ctx.facts.set(ids.cluster(side.region), clusterFacts(settled[i] as Cluster));
    });
    return {};
  },

  async remove() {
    return false;
  },
};
