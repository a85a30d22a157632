/**
 * Aurora DSQL clusters (one per region, found by ownership tag: clusters have no name) and their
 * peering (the two-sided handshake through the witness). Every step resumes from any state a crash
 * can leave: CREATING, PENDING_SETUP with or without the peer listed, UPDATING.
 */
import { createHash } from 'node:crypto';
import {
  CreateClusterCommand,
  type CreateClusterCommandInput,
  DeleteClusterCommand,
  type DSQLClient,
  GetClusterCommand,
  type GetClusterCommandOutput,
  ListClustersCommand,
  UpdateClusterCommand,
} from '@aws-sdk/client-dsql';
import { isAwsError, UsageError, WaitTimeoutError } from '../errors.js';
import { isOurs } from '../stack.js';
import { ids, ownershipTags } from './desired.js';
import { canonicalJson } from './support.js';
import type { Facts, ResourceModule, ResourceRef, Runtime } from './types.js';
import { pollUntil, retryWhile, waitLimitSeconds } from './wait.js';

/** States a cluster never leaves on its own accord once there (or is leaving for good). */
const GONE = new Set(['DELETING', 'DELETED', 'PENDING_DELETE']);
/** States in which a cluster accepts an update. */
const SETTLED = new Set(['ACTIVE', 'IDLE', 'PENDING_SETUP', 'INACTIVE']);
/**
 * Usable: IDLE and INACTIVE are ACTIVE scaled down (to zero, for INACTIVE) after a quiet spell, and
 * only a connection brings them back to ACTIVE: waiting for ACTIVE there would wait forever.
 */
export const USABLE = new Set(['ACTIVE', 'IDLE', 'INACTIVE']);

type Cluster = GetClusterCommandOutput;

function factsOf(cluster: Cluster): Facts {
  const own = cluster.arn;
  return {
    identifier: cluster.identifier,
    arn: cluster.arn,
    endpoint: cluster.endpoint,
    status: cluster.status,
    // GetCluster lists the cluster's own ARN among its peers: strip it before comparing.
    peers: (cluster.multiRegionProperties?.clusters ?? []).filter((arn) => arn !== own),
  };
}

/**
 * Deterministic per stack, region and request, so an SDK retry or a rerun after a crash mid-request
 * gets the original cluster back instead of a second one. The request is part of it because AWS
 * refuses a token reused with other parameters, and a later lifecycle of the stack sends others (the
 * recreated first cluster has a new ARN; the witness may differ).
 */
export function clusterClientToken(stack: string, region: string, input: object): string {
  const text = `${stack}\n${region}\n${canonicalJson(input)}`;
  return `dsqlctl-${createHash('sha256').update(text).digest('hex').slice(0, 40)}`;
}

async function getCluster(dsql: DSQLClient, identifier: string): Promise<Cluster | undefined> {
  try {
    return await dsql.send(new GetClusterCommand({ identifier }));
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  }
}

/** The stack's clusters in a region that are not on their way out, oldest first. */
async function findOurClusters(rt: Runtime, region: string, includeLeaving: boolean): Promise<Cluster[]> {
  const dsql = rt.clients.dsql(region);
  const found: Cluster[] = [];
  let nextToken: string | undefined;
  do {
    const page = await dsql.send(new ListClustersCommand({ nextToken }));
    const clusters = await Promise.all(
      (page.clusters ?? []).map((c) => (c.identifier ? getCluster(dsql, c.identifier) : undefined)),
    );
    for (const cluster of clusters) {
      if (!cluster || !isOurs(cluster.tags, rt.stack)) continue;
      if (!includeLeaving && GONE.has(cluster.status ?? '')) continue;
      found.push(cluster);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return found.sort((a, b) => (a.creationTime?.getTime() ?? 0) - (b.creationTime?.getTime() ?? 0));
}

async function waitSettled(rt: Runtime, ref: ResourceRef, identifier: string, states: Set<string>) {
  const dsql = rt.clients.dsql(ref.region);
  return pollUntil({
    what: `cluster ${identifier} in ${ref.region}`,
    limitSeconds: waitLimitSeconds('cluster'),
    read: () => getCluster(dsql, identifier),
    done: (c) => c !== undefined && states.has(c.status ?? ''),
    describe: (c) => (c ? `${c.status}` : 'not found'),
    onProgress: (m) => rt.progress(ref.id, `cluster ${identifier}: ${m}`),
  }).then((c) => c as Cluster);
}

const conflictRetry = (error: unknown) =>
  isAwsError(error, 'ConflictException') ? 'the cluster is busy with another change' : undefined;

/** Turns deletion protection on or off, retrying (bounded, shown) while the cluster is busy. */
function setDeletionProtection(rt: Runtime, ref: ResourceRef, identifier: string, enabled: boolean) {
  return retryWhile({
    what: `turning deletion protection ${enabled ? 'on' : 'off'} for ${identifier}`,
    limitSeconds: waitLimitSeconds('conflict'),
    work: () =>
      rt.clients
        .dsql(ref.region)
        .send(new UpdateClusterCommand({ identifier, deletionProtectionEnabled: enabled })),
    retryable: conflictRetry,
    onProgress: (m) => rt.progress(ref.id, m),
  });
}

export const dsqlCluster: ResourceModule<Cluster> = {
  async observe(rt, ref) {
    // `down` also waits out clusters a previous run left deleting; `up` replaces them.
    const [cluster] = await findOurClusters(rt, ref.region, rt.operation === 'down');
    if (!cluster) return { state: 'absent' };
    return { state: 'present', value: cluster, facts: factsOf(cluster), status: cluster.status ?? 'unknown' };
  },

  diff(rt, ref, observed) {
    if (observed.state !== 'present') return { action: 'create', reason: 'absent' };
    const cluster = observed.value;
    const witness = cluster.multiRegionProperties?.witnessRegion;
    if (witness && rt.topology.witness && witness !== rt.topology.witness) {
      throw new UsageError(
        `Cluster ${cluster.identifier} in ${ref.region} has witness ${witness}, but --witness is ${rt.topology.witness}: a witness cannot be changed in place.`,
        { advice: `Use --witness ${witness}, or run dsqlctl down --stack ${rt.stack} first.` },
      );
    }
    if (cluster.status === 'FAILED') return { action: 'update', reason: 'status FAILED' };
    if (!cluster.deletionProtectionEnabled) return { action: 'update', reason: 'deletion protection is off' };
    // A peered cluster's way to ACTIVE is the peering step's business.
    if (!rt.topology.witness && !USABLE.has(cluster.status ?? '')) {
      return { action: 'update', reason: `${cluster.status}: wait until ACTIVE` };
    }
    return { action: 'noop', reason: `${cluster.status}` };
  },

  /**
   * Creates the cluster if absent. A lone cluster is then awaited ACTIVE; a peered one is not (its
   * endpoint and database are known at once, so the function need not wait): the peering step waits.
   */
  async converge(rt, ref, observed) {
    const dsql = rt.clients.dsql(ref.region);
    let identifier = observed.state === 'present' ? observed.value.identifier : undefined;
    const created = identifier ? undefined : await createCluster(rt, ref);
    identifier ??= created?.identifier as string;
    let cluster: Cluster;
    if (rt.topology.witness) {
      const read = created ?? (await getCluster(dsql, identifier));
      if (!read) throw new Error(`Cluster ${identifier} in ${ref.region} vanished while being converged.`);
      cluster = read;
    } else {
      cluster = await waitSettled(rt, ref, identifier, USABLE);
    }
    if (cluster.status === 'FAILED') {
      throw new Error(
        `Cluster ${identifier} in ${ref.region} is FAILED; delete it (dsqlctl down) and run up again.`,
      );
    }
    if (!cluster.deletionProtectionEnabled) {
      await waitSettled(rt, ref, identifier, SETTLED);
      await setDeletionProtection(rt, ref, identifier, true);
      cluster = await waitSettled(rt, ref, identifier, rt.topology.witness ? SETTLED : USABLE);
    }
    return factsOf(cluster);
  },

  async remove(rt, ref, observed) {
    if (observed.state !== 'present') return false;
    const dsql = rt.clients.dsql(ref.region);
    const identifier = observed.value.identifier as string;
    const current = await getCluster(dsql, identifier);
    if (!current || current.status === 'DELETED') return false;
    if (!GONE.has(current.status ?? '')) {
      if (current.deletionProtectionEnabled) {
        rt.progress(ref.id, `turning deletion protection off for ${identifier}`);
        await setDeletionProtection(rt, ref, identifier, false);
      }
      await retryWhile({
        what: `deleting cluster ${identifier}`,
        limitSeconds: waitLimitSeconds('conflict'),
        work: () =>
          dsql.send(new DeleteClusterCommand({ identifier })).catch((error: unknown) => {
            if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
            throw error;
          }),
        // The protection update may still be settling; a protected or busy cluster answers one of these.
        retryable: (error) =>
          isAwsError(error, 'ConflictException', 'ValidationException')
            ? `cluster not deletable yet (${(error as Error).message})`
            : undefined,
        onProgress: (m) => rt.progress(ref.id, m),
      });
    }
    // Both regions' deletes run in parallel, so each is issued before either waits; a peered
    // cluster then sits in PENDING_DELETE until its peer is being deleted too.
    await pollUntil({
      what: `cluster ${identifier} in ${ref.region} to be deleted`,
      limitSeconds: waitLimitSeconds('cluster'),
      read: () => getCluster(dsql, identifier),
      done: (c) => c === undefined || c.status === 'DELETED',
      describe: (c) =>
        c?.status === 'PENDING_DELETE' ? 'PENDING_DELETE: waiting for the peer cluster' : `${c?.status}`,
      onProgress: (m) => rt.progress(ref.id, `cluster ${identifier}: ${m}`),
    });
    return true;
  },
};

/**
 * The documented handshake: the first region's cluster is created with the witness only; the second
 * lists the first as its peer from creation (so both share one database from the start); the peering
 * step then updates the first to list the second.
 */
async function createCluster(rt: Runtime, ref: ResourceRef): Promise<Cluster> {
  const witnessRegion = rt.topology.witness;
  const primary = rt.topology.regions[0] as string;
  const primaryArn = ref.region === primary ? undefined : rt.facts.get(ids.cluster(primary))?.arn;
  const input = {
    deletionProtectionEnabled: true,
    tags: ownershipTags(rt.stack),
    ...(witnessRegion
      ? { multiRegionProperties: { witnessRegion, ...(primaryArn ? { clusters: [primaryArn] } : {}) } }
      : {}),
  };
  const token = clusterClientToken(rt.stack, ref.region, input);
  // When the token's cluster is gone (a previous `down` deleted it), this is a new cluster: a new
  // token (idempotency within this run is all a retry needs now).
  const cluster =
    (await createAndRead(rt, ref, input, token)) ??
    (await createAndRead(rt, ref, input, `${token}-${Date.now()}`));
  if (!cluster)
    throw new Error(`CreateCluster in ${ref.region} named a cluster that GetCluster never showed.`);
  rt.progress(ref.id, `created cluster ${cluster.identifier}`);
  return cluster;
}

/**
 * Creates with `clientToken`, then reads the cluster back: undefined when the answer names a cluster
 * that is gone. AWS answers a known token with the ORIGINAL answer (its status then, e.g. CREATING),
 * even once that cluster is deleted, so only GetCluster tells; a new cluster may take a moment to be
 * readable, a deleted one never is.
 */
async function createAndRead(
  rt: Runtime,
  ref: ResourceRef,
  input: Omit<CreateClusterCommandInput, 'clientToken'>,
  clientToken: string,
): Promise<Cluster | undefined> {
  const dsql = rt.clients.dsql(ref.region);
  const created = await dsql.send(new CreateClusterCommand({ ...input, clientToken }));
  const identifier = created.identifier;
  if (!identifier || GONE.has(created.status ?? '')) return undefined;
  const cluster = await pollUntil({
    what: `cluster ${identifier} in ${ref.region} to be readable`,
    limitSeconds: waitLimitSeconds('readable'),
    read: () => getCluster(dsql, identifier),
    done: (c) => c !== undefined,
    describe: () => 'not readable yet',
    onProgress: (m) => rt.progress(ref.id, `cluster ${identifier}: ${m}`),
  }).catch((error: unknown) => {
    if (error instanceof WaitTimeoutError) return undefined;
    throw error;
  });
  return cluster && !GONE.has(cluster.status ?? '') ? cluster : undefined;
}

// ── peering ─────────────────────────────────────────────────────────────────────────────────────

function peeringGaps(rt: Runtime): string[] {
  const [a, b] = rt.topology.regions as [string, string];
  const fa = rt.facts.get(ids.cluster(a));
  const fb = rt.facts.get(ids.cluster(b));
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
  // Observed through the clusters' own observations (their facts, known by now), at no call of its own.
  async observe(rt) {
    const gaps = peeringGaps(rt);
    return {
      state: 'present',
      value: null,
      facts: {},
      status: gaps.length > 0 ? gaps.join('; ') : 'peered, both ACTIVE',
    };
  },

  diff(rt) {
    const gaps = peeringGaps(rt);
    if (gaps[0] === 'clusters not created yet') return { action: 'create', reason: 'peer the new clusters' };
    return gaps.length > 0
      ? { action: 'update', reason: gaps.join('; ') }
      : { action: 'noop', reason: 'peered' };
  },

  async converge(rt, ref) {
    const witnessRegion = rt.topology.witness as string;
    const sides = rt.topology.regions.map((region) => {
      const f = rt.facts.get(ids.cluster(region));
      if (!f?.identifier || !f.arn) throw new Error(`Cluster in ${region} is unknown; cannot peer.`);
      return { region, identifier: f.identifier, arn: f.arn };
    });
    const [a, b] = sides as [(typeof sides)[0], (typeof sides)[0]];
    await Promise.all(
      [
        [a, b],
        [b, a],
      ].map(async ([self, other]) => {
        const cluster = await waitSettled(rt, { ...ref, region: self.region }, self.identifier, SETTLED);
        const peers = factsOf(cluster).peers ?? [];
        if (peers.includes(other.arn)) return;
        rt.progress(ref.id, `${self.region}: adding peer ${other.region}`);
        await retryWhile({
          what: `peering ${self.identifier} with ${other.identifier}`,
          limitSeconds: waitLimitSeconds('conflict'),
          work: () =>
            rt.clients.dsql(self.region).send(
              new UpdateClusterCommand({
                identifier: self.identifier,
                multiRegionProperties: { witnessRegion, clusters: [other.arn] },
              }),
            ),
          retryable: conflictRetry,
          onProgress: (m) => rt.progress(ref.id, m),
        });
      }),
    );
    const settled = await Promise.all(
      sides.map((side) => waitSettled(rt, { ...ref, region: side.region }, side.identifier, USABLE)),
    );
    sides.forEach((side, i) => {
      rt.facts.set(ids.cluster(side.region), factsOf(settled[i] as Cluster));
    });
    return {};
  },

  async remove() {
    // Peering ends with the clusters' deletion.
    return false;
  },
};
