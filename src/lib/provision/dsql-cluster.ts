/**
 * Aurora DSQL clusters, one per region, found by ownership tag (clusters have no name); their peering
 * is dsql-peering.ts. Every step resumes from any state a crash can leave: CREATING, PENDING_SETUP
 * with or without the peer listed, UPDATING.
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
import { suggest } from '../advice.js';
import { DsqlctlError, isAwsError, UsageError, WaitTimeoutError } from '../errors.js';
import { InterruptedError } from '../interrupt.js';
import { isOurs } from '../stack.js';
import { ids, ownershipTags, peerOf } from './desired.js';
import { canonicalJson } from './support.js';
import type { Facts, ProvisionContext, ResourceModule, ResourceRef } from './types.js';
import { pollUntil, retryWhile, waitLimitSeconds } from './wait.js';

/** States a cluster never leaves on its own accord once there (or is leaving for good). */
const GONE = new Set(['DELETING', 'DELETED', 'PENDING_DELETE']);

/**
 * Per `down`: the regions whose cluster's deletion failed, with the error. A peered cluster stays
 * PENDING_DELETE until its peer is deleted, so its wait ends as soon as the peer's deletion failed
 * instead of at its limit (30 minutes on AWS).
 */
const failedDeletions = new WeakMap<ProvisionContext, Map<string, unknown>>();
/** States in which a cluster accepts an update. */
export const ACCEPTS_UPDATE = new Set(['ACTIVE', 'IDLE', 'PENDING_SETUP', 'INACTIVE']);
/**
 * Usable: IDLE and INACTIVE are ACTIVE scaled down (to zero, for INACTIVE) after a quiet spell, and
 * only a connection brings them back to ACTIVE: waiting for ACTIVE there would wait forever.
 */
export const USABLE = new Set(['ACTIVE', 'IDLE', 'INACTIVE']);

export type Cluster = GetClusterCommandOutput;

export function clusterFacts(cluster: Cluster): Facts {
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
function findOurClusters(ctx: ProvisionContext, region: string, includeLeaving: boolean): Promise<Cluster[]> {
  return findStackClusters(ctx.clients.dsql(region), ctx.stack, includeLeaving);
}

/** A stack's clusters in the client's region (by ownership tag), oldest first; also `db token`'s lookup. */
export async function findStackClusters(
  dsql: DSQLClient,
  stack: string,
  includeLeaving: boolean,
): Promise<Cluster[]> {
  const found: Cluster[] = [];
  let nextToken: string | undefined;
  do {
    const page = await dsql.send(new ListClustersCommand({ nextToken }));
    const clusters = await Promise.all(
      (page.clusters ?? []).map((c) => (c.identifier ? getCluster(dsql, c.identifier) : undefined)),
    );
    for (const cluster of clusters) {
      if (!cluster || !isOurs(cluster.tags, stack)) continue;
      if (!includeLeaving && GONE.has(cluster.status ?? '')) continue;
      found.push(cluster);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return found.sort((a, b) => (a.creationTime?.getTime() ?? 0) - (b.creationTime?.getTime() ?? 0));
}

/** Waits (bounded, shown) until the cluster is in one of `states`. */
export async function waitForClusterStatus(
  ctx: ProvisionContext,
  ref: ResourceRef,
  identifier: string,
  states: Set<string>,
) {
  const dsql = ctx.clients.dsql(ref.region);
  return pollUntil({
    what: `cluster ${identifier} in ${ref.region}`,
    limitSeconds: waitLimitSeconds('cluster'),
    read: () => getCluster(dsql, identifier),
    done: (c) => c !== undefined && states.has(c.status ?? ''),
    // A cluster this command created or observed, now gone or being deleted: another command deleted it.
    gone: (c) => c === undefined || GONE.has(c.status ?? ''),
    describe: (c) => (c ? `${c.status}` : 'not found'),
    onProgress: (m) => ctx.progress(ref.id, `cluster ${identifier} in ${ref.region}: ${m}`),
  }).then((c) => c as Cluster);
}

/** Retries a cluster update while another change of the cluster is running. */
export const clusterBusy = (error: unknown) =>
  isAwsError(error, 'ConflictException') ? 'the cluster is busy with another change' : undefined;

/** Turns deletion protection on or off, retrying (bounded, shown) while the cluster is busy. */
function setDeletionProtection(
  ctx: ProvisionContext,
  ref: ResourceRef,
  identifier: string,
  enabled: boolean,
) {
  return retryWhile({
    what: `turning deletion protection ${enabled ? 'on' : 'off'} for ${identifier}`,
    limitSeconds: waitLimitSeconds('conflict'),
    work: () =>
      ctx.clients
        .dsql(ref.region)
        .send(new UpdateClusterCommand({ identifier, deletionProtectionEnabled: enabled })),
    retryable: clusterBusy,
    onProgress: (m) => ctx.progress(ref.id, m),
  });
}

export const dsqlCluster: ResourceModule<Cluster> = {
  observePhase: 'first',
  deletedByDown: true,

  /**
   * The function's environment and the schema step need the region's database settings; a cluster
   * being deleted (a killed `down`'s) has a database nobody will use, and on the local cloud asking
   * for its settings races the deletion's end ("No cluster …" once it is gone).
   */
  async recordForOthers(ctx, ref, facts) {
    if (!facts.identifier || GONE.has(String(facts.status)) || ctx.databaseSettings.has(ref.region)) return;
    ctx.databaseSettings.set(
      ref.region,
      await ctx.target.databaseSettings({
        identifier: facts.identifier,
        region: ref.region,
        endpoint: facts.endpoint,
      }),
    );
  },

  async observe(ctx, ref) {
    // `down` also waits out clusters a previous run left deleting; `up` replaces them.
    const [cluster] = await findOurClusters(ctx, ref.region, ctx.operation === 'down');
    if (!cluster) return { state: 'absent' };
    return {
      state: 'present',
      value: cluster,
      facts: clusterFacts(cluster),
      status: cluster.status ?? 'unknown',
    };
  },

  diff(ctx, ref, observed) {
    if (observed.state !== 'present') return { action: 'create', reason: 'absent' };
    const cluster = observed.value;
    const witness = cluster.multiRegionProperties?.witnessRegion;
    if (witness && ctx.topology.witness && witness !== ctx.topology.witness) {
      throw new UsageError(
        `Cluster ${cluster.identifier} in ${ref.region} has witness ${witness}, but --witness is ${ctx.topology.witness}: a witness cannot be changed in place.`,
        { advice: `Use --witness ${witness}, or run ${suggest(`down --stack ${ctx.stack}`)} first.` },
      );
    }
    if (cluster.status === 'FAILED') return { action: 'update', reason: 'status FAILED' };
    if (!cluster.deletionProtectionEnabled) return { action: 'update', reason: 'deletion protection is off' };
    // A peered cluster's way to ACTIVE is the peering step's business.
    if (!ctx.topology.witness && !USABLE.has(cluster.status ?? '')) {
      return { action: 'update', reason: `${cluster.status}: wait until ACTIVE` };
    }
    return { action: 'noop', reason: `${cluster.status}` };
  },

  /**
   * Creates the cluster if absent. A lone cluster is then awaited ACTIVE; a peered one is not (its
   * endpoint and database are known at once, so the function need not wait): the peering step waits.
   */
  async converge(ctx, ref, observed) {
    const dsql = ctx.clients.dsql(ref.region);
    let identifier = observed.state === 'present' ? observed.value.identifier : undefined;
    const created = identifier ? undefined : await createCluster(ctx, ref);
    identifier ??= created?.identifier as string;
    let cluster: Cluster;
    if (ctx.topology.witness) {
      const read = created ?? (await getCluster(dsql, identifier));
      if (!read) throw new Error(`Cluster ${identifier} in ${ref.region} vanished while being converged.`);
      cluster = read;
    } else {
      cluster = await waitForClusterStatus(ctx, ref, identifier, USABLE);
    }
    if (cluster.status === 'FAILED') {
      throw new Error(
        `Cluster ${identifier} in ${ref.region} is FAILED; delete it (${suggest(`down --stack ${ctx.stack}`)}) and run up again.`,
      );
    }
    if (!cluster.deletionProtectionEnabled) {
      await waitForClusterStatus(ctx, ref, identifier, ACCEPTS_UPDATE);
      await setDeletionProtection(ctx, ref, identifier, true);
      cluster = await waitForClusterStatus(
        ctx,
        ref,
        identifier,
        ctx.topology.witness ? ACCEPTS_UPDATE : USABLE,
      );
    }
    return clusterFacts(cluster);
  },

  async remove(ctx, ref, observed) {
    if (observed.state !== 'present') return false;
    const dsql = ctx.clients.dsql(ref.region);
    const identifier = observed.value.identifier as string;
    try {
      if (!(await deleteCluster(ctx, ref, identifier))) return false;
    } catch (error) {
      if (!(error instanceof InterruptedError)) {
        if (!failedDeletions.has(ctx)) failedDeletions.set(ctx, new Map());
        failedDeletions.get(ctx)?.set(ref.region, error);
      }
      throw error;
    }
    const peer = peerOf(ctx.topology, ref.region);
    // Both regions' deletes run in parallel, so each is issued before either waits; a peered
    // cluster then sits in PENDING_DELETE until its peer is being deleted too.
    await pollUntil({
      what: `cluster ${identifier} in ${ref.region} to be deleted`,
      limitSeconds: waitLimitSeconds('cluster'),
      read: async () => {
        const peerFailure = peer ? failedDeletions.get(ctx)?.get(peer) : undefined;
        if (peerFailure) {
          throw new DsqlctlError(
            `Cluster ${identifier} in ${ref.region} stays PENDING_DELETE until its peer in ${peer} is deleted, and the peer's deletion failed`,
            { cause: peerFailure },
          );
        }
        return getCluster(dsql, identifier);
      },
      done: (c) => c === undefined || c.status === 'DELETED',
      describe: (c) =>
        c?.status === 'PENDING_DELETE' ? 'PENDING_DELETE: waiting for the peer cluster' : `${c?.status}`,
      onProgress: (m) => ctx.progress(ref.id, `cluster ${identifier} in ${ref.region}: ${m}`),
    });
    return true;
  },
};

/**
 * Issues the deletion (deletion protection off first): false when the cluster is already gone. One
 * already DELETING or PENDING_DELETE needs nothing more.
 */
async function deleteCluster(ctx: ProvisionContext, ref: ResourceRef, identifier: string): Promise<boolean> {
  const dsql = ctx.clients.dsql(ref.region);
  const current = await getCluster(dsql, identifier);
  if (!current || current.status === 'DELETED') return false;
  if (!GONE.has(current.status ?? '')) {
    if (current.deletionProtectionEnabled) {
      ctx.progress(ref.id, `turning deletion protection off for ${identifier}`);
      await setDeletionProtection(ctx, ref, identifier, false);
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
      onProgress: (m) => ctx.progress(ref.id, m),
    });
  }
  return true;
}

/**
 * The documented handshake: the first region's cluster is created with the witness only; the second
 * lists the first as its peer from creation (so both share one database from the start); the peering
 * step then updates the first to list the second.
 */
async function createCluster(ctx: ProvisionContext, ref: ResourceRef): Promise<Cluster> {
  const witnessRegion = ctx.topology.witness;
  const primary = ctx.topology.regions[0] as string;
  const primaryArn = ref.region === primary ? undefined : ctx.facts.get(ids.cluster(primary))?.arn;
  const input = {
    deletionProtectionEnabled: true,
    tags: ownershipTags(ctx.stack),
    ...(witnessRegion
      ? { multiRegionProperties: { witnessRegion, ...(primaryArn ? { clusters: [primaryArn] } : {}) } }
      : {}),
  };
  const token = clusterClientToken(ctx.stack, ref.region, input);
  // When the token's cluster is gone (a previous `down` deleted it), this is a new cluster: a new
  // token (idempotency within this run is all a retry needs now).
  const cluster =
    (await createAndRead(ctx, ref, input, token)) ??
    (await createAndRead(ctx, ref, input, `${token}-${Date.now()}`));
  if (!cluster)
    throw new Error(`CreateCluster in ${ref.region} named a cluster that GetCluster never showed.`);
  ctx.progress(ref.id, `created cluster ${cluster.identifier}`);
  return cluster;
}

/**
 * Creates with `clientToken`, then reads the cluster back: undefined when the answer names a cluster
 * that is gone. AWS answers a known token with the ORIGINAL answer (its status then, e.g. CREATING),
 * even once that cluster is deleted, so only GetCluster tells; a new cluster may take a moment to be
 * readable, a deleted one never is.
 */
async function createAndRead(
  ctx: ProvisionContext,
  ref: ResourceRef,
  input: Omit<CreateClusterCommandInput, 'clientToken'>,
  clientToken: string,
): Promise<Cluster | undefined> {
  const dsql = ctx.clients.dsql(ref.region);
  const created = await dsql.send(new CreateClusterCommand({ ...input, clientToken }));
  const identifier = created.identifier;
  if (!identifier || GONE.has(created.status ?? '')) return undefined;
  const cluster = await pollUntil({
    what: `cluster ${identifier} in ${ref.region} to be readable`,
    limitSeconds: waitLimitSeconds('readable'),
    read: () => getCluster(dsql, identifier),
    done: (c) => c !== undefined,
    describe: () => 'not readable yet',
    onProgress: (m) => ctx.progress(ref.id, `cluster ${identifier} in ${ref.region}: ${m}`),
  }).catch((error: unknown) => {
    if (error instanceof WaitTimeoutError) return undefined;
    throw error;
  });
  return cluster && !GONE.has(cluster.status ?? '') ? cluster : undefined;
}
