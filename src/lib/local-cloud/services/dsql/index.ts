/**
 * Aurora DSQL control plane (restJson1), each cluster a database on the local PostgreSQL.
 *
 * State machine (cluster-state.ts; durations from faults.ts, scaled): CreateCluster → CREATING → ACTIVE, or with a
 * witness → PENDING_SETUP until the two clusters list each other, then ACTIVE on both. UpdateCluster
 * changing peers → UPDATING → (PENDING_SETUP | ACTIVE). DeleteCluster → DELETING → gone, or for one of
 * a peered pair PENDING_DELETE until its peer is deleted too. Transitions are stored as "until"
 * timestamps and settled lazily when a request reads them, so they survive restarts.
 *
 * A peered pair shares one database (a multi-region cluster is one logical database): the cluster
 * created listing an existing peer uses that peer's database; if two clusters that each have their
 * own database are peered, the later one moves to the earlier one's database (its own is dropped).
 * The database is dropped when the last cluster using it is gone.
 */
import { arn, parseArn, randomId, ServiceError } from '../../aws.js';
import { DSQL_REGION_SETS, dsqlRegionSetOf } from '../../aws-facts.js';
import { type RestJsonInput, restJson1Service } from '../../protocols/rest-json1.js';
import type { CallContext, Cloud, LocalService } from '../../service.js';
import {
  type ClusterRecord,
  CONFIGURABLE_STATUSES,
  type DsqlState,
  nextStatus,
  paired,
  peerOf,
  settle,
} from './cluster-state.js';
import { dsqlConstraints } from './constraints.js';
import { clusterHost, type LocalEndpoint, startLocalEndpoint } from './local-endpoint.js';

const NS = 'dsql';
const init = (): DsqlState => ({ clusters: {}, clientTokens: {} });
const SINGLE_REGION_QUOTA = 20;
const MULTI_REGION_QUOTA = 5;
const MAX_TAGS = 50;
/** The model's TagKey and TagValue pattern (no comma, for one). */
const TAG_TEXT = /^[a-zA-Z0-9_.:/=+\-@ ]*$/;
/** The model's ClientToken: 1 to 128 printable ASCII characters without spaces. */
const CLIENT_TOKEN = /^[!-~]{1,128}$/;
/** ListClusters' page size when max-results is not given (the model's default). */
const DEFAULT_PAGE_SIZE = 20;

function validation(
  message: string,
  field?: string,
  reason = field ? 'fieldValidationFailed' : 'other',
): ServiceError {
  return new ServiceError('ValidationException', message, {
    fields: {
      reason,
      ...(field ? { fieldList: [{ name: field, message }] } : {}),
    },
  });
}

function notFound(identifier: string): ServiceError {
  return new ServiceError('ResourceNotFoundException', `Cluster not found: ${identifier}`, {
    status: 404,
    fields: { resourceId: identifier, resourceType: 'cluster' },
  });
}

function conflict(cluster: ClusterRecord, message: string): ServiceError {
  return new ServiceError('ConflictException', message, {
    status: 409,
    fields: { resourceId: cluster.identifier, resourceType: 'cluster' },
  });
}

function quotaExceeded(identifier: string, quotaCode: string, message: string): ServiceError {
  return new ServiceError('ServiceQuotaExceededException', message, {
    status: 402,
    fields: { resourceId: identifier, resourceType: 'cluster', serviceCode: 'dsql', quotaCode },
  });
}

const endpointOf = clusterHost;

/** Settles due transitions (persisting them) and drops databases no cluster uses. */
async function settleNow(cloud: Cloud): Promise<DsqlState> {
  const state = cloud.state.read(NS, init);
  // Plain reads do not rewrite the state file.
  const now = cloud.now();
  if (!Object.values(state.clusters).some((c) => nextStatus(state, c, now))) return state;
  const deleteMs = cloud.faults.durationMs('dsql:DeleteCluster');
  const dropped = await cloud.state.update(NS, init, (s) => settle(s, cloud.now(), deleteMs));
  for (const database of dropped) await cloud.postgres.dropDatabase(database);
  return state;
}

/** The model's ClusterId pattern: a malformed identifier is a ValidationException, not "not found". */
function validIdentifier(identifier: string): string {
  if (!/^[a-z0-9]{26}$/.test(identifier)) {
    throw validation(
      `Value '${identifier}' at 'identifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9]{26}$`,
      'identifier',
    );
  }
  return identifier;
}

function clusterIn(state: DsqlState, region: string, identifier: string): ClusterRecord {
  const clusterArn = arn('dsql', region, `cluster/${validIdentifier(identifier)}`);
  const c = Object.hasOwn(state.clusters, clusterArn) ? state.clusters[clusterArn] : undefined;
  if (!c) throw notFound(identifier);
  return c;
}

function byArn(state: DsqlState, region: string, resourceArn: string): ClusterRecord {
  const parsed = parseArn(resourceArn);
  if (parsed?.service !== 'dsql' || !parsed.resource.startsWith('cluster/')) {
    throw validation(`Invalid resource ARN: ${resourceArn}`, 'resourceArn');
  }
  const c = Object.hasOwn(state.clusters, resourceArn) ? state.clusters[resourceArn] : undefined;
  if (!c || c.region !== region) throw notFound(parsed.resource.slice('cluster/'.length));
  return c;
}

function multiRegionView(c: ClusterRecord): Record<string, unknown> | undefined {
  if (!c.witnessRegion) return undefined;
  // AWS lists the cluster's own ARN among `clusters`.
  return { witnessRegion: c.witnessRegion, clusters: [c.arn, ...c.peers].sort() };
}

const ENCRYPTION = { encryptionType: 'AWS_OWNED_KMS_KEY', encryptionStatus: 'ENABLED' };

function fullView(c: ClusterRecord): Record<string, unknown> {
  return {
    identifier: c.identifier,
    arn: c.arn,
    status: c.status,
    creationTime: new Date(c.creationTime),
    deletionProtectionEnabled: c.deletionProtectionEnabled,
    multiRegionProperties: multiRegionView(c),
    tags: c.tags,
    encryptionDetails: ENCRYPTION,
    endpoint: endpointOf(c),
  };
}

function shortView(c: ClusterRecord): Record<string, unknown> {
  return { identifier: c.identifier, arn: c.arn, status: c.status, creationTime: new Date(c.creationTime) };
}

/** CreateCluster's answer (also when a clientToken replays an earlier create). */
function createdView(c: ClusterRecord): Record<string, unknown> {
  return {
    ...shortView(c),
    deletionProtectionEnabled: c.deletionProtectionEnabled,
    multiRegionProperties: multiRegionView(c),
    encryptionDetails: ENCRYPTION,
    endpoint: endpointOf(c),
  };
}

function validTags(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw validation('tags must be a map', 'tags');
  const tags = value as Record<string, unknown>;
  if (Object.keys(tags).length > MAX_TAGS) throw validation(`At most ${MAX_TAGS} tags are allowed`, 'tags');
  for (const [k, v] of Object.entries(tags)) {
    if (k.length < 1 || k.length > 128 || !TAG_TEXT.test(k) || k.startsWith('aws:'))
      throw validation(`Invalid tag key: ${k}`, 'tags');
    if (typeof v !== 'string' || v.length > 256 || !TAG_TEXT.test(v))
      throw validation(`Invalid value for tag ${k}`, 'tags');
  }
  return tags as Record<string, string>;
}

/** The request's parameters as canonical JSON (sorted keys), without its clientToken. */
function canonicalRequest(body: Record<string, unknown>): string {
  const sorted = (value: unknown): unknown =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.keys(value)
            .sort()
            .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
        )
      : Array.isArray(value)
        ? value.map(sorted)
        : value;
  const { clientToken: _token, ...rest } = body;
  return JSON.stringify(sorted(rest));
}

interface MultiRegionInput {
  witnessRegion?: string;
  clusters?: string[];
}

/**
 * Validates multi-region properties as DSQL does: the witness differs from the cluster's region and
 * lies in its region set; at most one peer, in another region of that set (not the witness), existing,
 * with the same witness. Returns the peers (own ARN removed).
 */
function validMultiRegion(
  state: DsqlState,
  region: string,
  ownArn: string,
  input: MultiRegionInput,
): { witnessRegion: string; peers: string[] } {
  const witness = input.witnessRegion;
  if (!witness)
    throw validation(
      'witnessRegion is required for a multi-Region cluster',
      'multiRegionProperties.witnessRegion',
    );
  const set = dsqlRegionSetOf(region);
  if (witness === region) {
    throw validation(
      'The witness Region must differ from the cluster Region',
      'multiRegionProperties.witnessRegion',
    );
  }
  if (dsqlRegionSetOf(witness) === undefined || dsqlRegionSetOf(witness) !== set) {
    throw validation(
      `Witness Region ${witness} is not in the same Region set as ${region} (${set}: ${DSQL_REGION_SETS[set ?? '']?.join(', ')})`,
      'multiRegionProperties.witnessRegion',
    );
  }
  const peers = [...new Set(input.clusters ?? [])].filter((a) => a !== ownArn);
  if (peers.length > 1) {
    throw validation(
      'A multi-Region cluster has exactly two peered clusters',
      'multiRegionProperties.clusters',
    );
  }
  for (const peerArn of peers) {
    const parsed = parseArn(peerArn);
    if (parsed?.service !== 'dsql' || !parsed.resource.startsWith('cluster/')) {
      throw validation(`Invalid cluster ARN: ${peerArn}`, 'multiRegionProperties.clusters');
    }
    if (parsed.region === region || parsed.region === witness || dsqlRegionSetOf(parsed.region) !== set) {
      throw validation(
        `Peer cluster ${peerArn} must be in another Region of the ${set} Region set than the cluster and the witness`,
        'multiRegionProperties.clusters',
      );
    }
    const peer = Object.hasOwn(state.clusters, peerArn) ? state.clusters[peerArn] : undefined;
    if (!peer) throw validation(`Peer cluster ${peerArn} does not exist`, 'multiRegionProperties.clusters');
    if (peer.witnessRegion !== witness) {
      throw validation(
        `Peer cluster ${peerArn} has a different witness Region`,
        'multiRegionProperties.clusters',
      );
    }
  }
  return { witnessRegion: witness, peers };
}

function requireRegion(region: string): void {
  if (dsqlRegionSetOf(region) === undefined)
    throw validation(`Aurora DSQL is not available in Region ${region}`);
}

const update = <R>(ctx: CallContext, change: (state: DsqlState) => R | Promise<R>) =>
  ctx.cloud.state.update(NS, init, change);

async function createCluster(
  { body }: RestJsonInput,
  ctx: CallContext,
  prepareDatabase: (database: string) => Promise<void>,
) {
  requireRegion(ctx.region);
  await settleNow(ctx.cloud);
  const tags = validTags(body.tags);
  const token = typeof body.clientToken === 'string' ? body.clientToken : undefined;
  if (token !== undefined && !CLIENT_TOKEN.test(token)) {
    throw validation('clientToken must be 1 to 128 printable ASCII characters without spaces', 'clientToken');
  }
  const request = canonicalRequest(body);
  return update(ctx, async (state) => {
    const tokenKey = `${ctx.region} ${token}`;
    state.clientTokenRequests ??= {};
    const requests = state.clientTokenRequests;
    // A token names one request: reusing it with other parameters is refused, never answered with
    // the cluster the first request made.
    if (token && Object.hasOwn(requests, tokenKey) && requests[tokenKey] !== request) {
      throw new ServiceError(
        'ConflictException',
        `The clientToken ${token} was already used with different request parameters`,
        { status: 409 },
      );
    }
    const earlier =
      token && Object.hasOwn(state.clientTokens, tokenKey) ? state.clientTokens[tokenKey] : undefined;
    if (earlier && Object.hasOwn(state.clusters, earlier)) {
      return createdView(state.clusters[earlier] as ClusterRecord);
    }
    const identifier = randomId(26);
    const clusterArn = arn('dsql', ctx.region, `cluster/${identifier}`);
    const mrp = body.multiRegionProperties as MultiRegionInput | undefined;
    const multi = mrp ? validMultiRegion(state, ctx.region, clusterArn, mrp) : undefined;
    const inRegion = Object.values(state.clusters).filter((c) => c.region === ctx.region);
    const quota = multi ? MULTI_REGION_QUOTA : SINGLE_REGION_QUOTA;
    if (inRegion.filter((c) => Boolean(c.witnessRegion) === Boolean(multi)).length >= quota) {
      throw quotaExceeded(
        identifier,
        multi ? 'L-MULTI' : 'L-SINGLE',
        `The ${multi ? 'multi-Region' : 'single-Region'} cluster quota (${quota}) for ${ctx.region} is reached`,
      );
    }
    const peer = multi?.peers[0] ? state.clusters[multi.peers[0]] : undefined;
    const database = peer?.database ?? `cluster_${identifier}`;
    if (!peer) await prepareDatabase(database);
    const now = ctx.cloud.now();
    // A witness-only create (no peer yet) answers PENDING_SETUP at once, as AWS documents: the
    // cluster waits for its peer, not for a creation.
    const witnessOnly = multi !== undefined && multi.peers.length === 0;
    const record: ClusterRecord = {
      identifier,
      arn: clusterArn,
      region: ctx.region,
      status: witnessOnly ? 'PENDING_SETUP' : 'CREATING',
      creationTime: now,
      ...(witnessOnly ? {} : { until: now + ctx.cloud.faults.durationMs('dsql:CreateCluster') }),
      deletionProtectionEnabled: body.deletionProtectionEnabled !== false,
      tags,
      peers: multi?.peers ?? [],
      database,
    };
    if (multi) record.witnessRegion = multi.witnessRegion;
    state.clusters[clusterArn] = record;
    if (token) {
      state.clientTokens[tokenKey] = clusterArn;
      requests[tokenKey] = request;
    }
    return createdView(record);
  });
}

async function updateCluster({ params, body }: RestJsonInput, ctx: CallContext) {
  await settleNow(ctx.cloud);
  let orphanedDatabase: string | undefined;
  const result = await update(ctx, (state) => {
    const c = clusterIn(state, ctx.region, params.identifier ?? '');
    if (!CONFIGURABLE_STATUSES.includes(c.status)) {
      throw conflict(
        c,
        `Cluster ${c.identifier} is ${c.status}; it can be updated only when ACTIVE or PENDING_SETUP`,
      );
    }
    // Validate everything before changing anything: a refused update changes nothing, as on AWS.
    const mrp = body.multiRegionProperties as MultiRegionInput | undefined;
    if (mrp && c.witnessRegion && mrp.witnessRegion && mrp.witnessRegion !== c.witnessRegion) {
      throw validation(
        'The witness Region of a cluster cannot be changed',
        'multiRegionProperties.witnessRegion',
      );
    }
    const multi = mrp
      ? validMultiRegion(state, ctx.region, c.arn, { witnessRegion: c.witnessRegion, ...mrp })
      : undefined;
    if (typeof body.deletionProtectionEnabled === 'boolean')
      c.deletionProtectionEnabled = body.deletionProtectionEnabled;
    if (multi) {
      const changed = multi.peers.join() !== c.peers.join() || multi.witnessRegion !== c.witnessRegion;
      if (changed) {
        c.witnessRegion = multi.witnessRegion;
        c.peers = multi.peers;
        c.status = 'UPDATING';
        c.until = ctx.cloud.now() + ctx.cloud.faults.durationMs('dsql:UpdateCluster');
        const peer = paired(state, c);
        if (peer && peer.database !== c.database) {
          // One logical database per pair: the later cluster joins the earlier one's.
          const [earlier, later] = peer.creationTime <= c.creationTime ? [peer, c] : [c, peer];
          orphanedDatabase = later.database;
          later.database = earlier.database;
        }
      }
    }
    return shortView(c);
  });
  if (orphanedDatabase) await ctx.cloud.postgres.dropDatabase(orphanedDatabase);
  return result;
}

async function deleteCluster({ params }: RestJsonInput, ctx: CallContext) {
  await settleNow(ctx.cloud);
  return update(ctx, (state) => {
    const c = clusterIn(state, ctx.region, params.identifier ?? '');
    if (c.status === 'DELETING' || c.status === 'PENDING_DELETE') return shortView(c);
    if (c.deletionProtectionEnabled) {
      // The model's ValidationExceptionReason has a value for exactly this refusal.
      throw validation(
        `Cluster ${c.identifier} has deletion protection enabled; disable it with UpdateCluster before deleting it`,
        undefined,
        'deletionProtectionEnabled',
      );
    }
    if (c.status === 'CREATING' || c.status === 'UPDATING') {
      throw conflict(c, `Cluster ${c.identifier} is ${c.status}; try again when it is ACTIVE`);
    }
    const peer = peerOf(state, c);
    if (peer && peer.status !== 'PENDING_DELETE' && peer.status !== 'DELETING') {
      c.status = 'PENDING_DELETE';
      delete c.until;
    } else {
      c.status = 'DELETING';
      c.until = ctx.cloud.now() + ctx.cloud.faults.durationMs('dsql:DeleteCluster');
    }
    return shortView(c);
  });
}

async function getCluster({ params }: RestJsonInput, ctx: CallContext) {
  const state = await settleNow(ctx.cloud);
  return fullView(clusterIn(state, ctx.region, params.identifier ?? ''));
}

async function listClusters({ query }: RestJsonInput, ctx: CallContext) {
  const state = await settleNow(ctx.cloud);
  const max = Number(query.get('max-results') ?? DEFAULT_PAGE_SIZE);
  if (!Number.isInteger(max) || max < 1 || max > 100)
    throw validation('max-results must be between 1 and 100', 'maxResults');
  const sortKey = (c: ClusterRecord) => `${String(c.creationTime).padStart(16, '0')} ${c.identifier}`;
  const all = Object.values(state.clusters)
    .filter((c) => c.region === ctx.region)
    .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
  // The token is the last listed cluster's sort key, so a page resumes after it even when that
  // cluster has gone in the meantime (never from the beginning again).
  const after = query.get('next-token');
  const afterKey = after ? Buffer.from(after, 'base64url').toString() : undefined;
  if (afterKey !== undefined && !/^\d{16} [a-z0-9]{26}$/.test(afterKey))
    throw validation('The next-token is not valid', 'nextToken');
  const start = afterKey === undefined ? 0 : all.filter((c) => sortKey(c) <= afterKey).length;
  const page = all.slice(start, start + max);
  const last = page.at(-1);
  const nextToken =
    start + max < all.length && last ? Buffer.from(sortKey(last)).toString('base64url') : undefined;
  return { clusters: page.map((c) => ({ identifier: c.identifier, arn: c.arn })), nextToken };
}

const dsqlProtocol = (prepareDatabase: (database: string) => Promise<void>) =>
  restJson1Service({
    signingName: 'dsql',
    throttling: { code: 'ThrottlingException', status: 429 },
    model: async () => ({ schemas: await import('@aws-sdk/client-dsql'), constraints: dsqlConstraints }),
    violationFields: (field, message) => ({
      reason: 'fieldValidationFailed',
      fieldList: [{ name: field, message }],
    }),
    operations: {
      CreateCluster: {
        method: 'POST',
        path: '/cluster',
        handler: (input, ctx) => createCluster(input, ctx, prepareDatabase),
      },
      GetCluster: { method: 'GET', path: '/cluster/{identifier}', handler: getCluster },
      UpdateCluster: { method: 'POST', path: '/cluster/{identifier}', handler: updateCluster },
      DeleteCluster: { method: 'DELETE', path: '/cluster/{identifier}', handler: deleteCluster },
      ListClusters: { method: 'GET', path: '/cluster', handler: listClusters },
      TagResource: {
        method: 'POST',
        path: '/tags/{resourceArn}',
        handler: async ({ params, body }, ctx) => {
          await settleNow(ctx.cloud);
          const tags = validTags(body.tags);
          return update(ctx, (state) => {
            const c = byArn(state, ctx.region, params.resourceArn ?? '');
            const merged = { ...c.tags, ...tags };
            // The model's TagResource answers a full tag set with ServiceQuotaExceededException.
            if (Object.keys(merged).length > MAX_TAGS) {
              throw quotaExceeded(c.identifier, 'L-TAGS', `A cluster can have at most ${MAX_TAGS} tags`);
            }
            c.tags = merged;
            return undefined;
          });
        },
      },
      UntagResource: {
        method: 'DELETE',
        path: '/tags/{resourceArn}',
        handler: async ({ params, query }, ctx) => {
          await settleNow(ctx.cloud);
          return update(ctx, (state) => {
            const c = byArn(state, ctx.region, params.resourceArn ?? '');
            for (const key of query.getAll('tagKeys')) delete c.tags[key];
            return undefined;
          });
        },
      },
      ListTagsForResource: {
        method: 'GET',
        path: '/tags/{resourceArn}',
        handler: async ({ params }, ctx) => {
          const state = await settleNow(ctx.cloud);
          return { tags: byArn(state, ctx.region, params.resourceArn ?? '').tags };
        },
      },
    },
  });

/** The DSQL service of one cloud instance: the control plane, and (from `start`) the cluster endpoint. */
export function createDsqlService(): LocalService {
  let local: LocalEndpoint | undefined;
  const prepareDatabase = async (database: string) => {
    if (!local) throw new Error('the DSQL endpoint is not running');
    await local.prepareDatabase(database);
  };
  return {
    ...dsqlProtocol(prepareDatabase),
    counts(cloud) {
      const counts: Record<string, Record<string, number>> = {};
      for (const c of Object.values(cloud.state.read(NS, init).clusters)) {
        counts[c.region] = { clusters: (counts[c.region]?.clusters ?? 0) + 1 };
      }
      return counts;
    },
    taggedResources: (cloud) =>
      Object.values(cloud.state.read(NS, init).clusters).map((c) => ({
        arn: c.arn,
        region: c.region,
        resourceType: 'dsql:cluster',
        tags: c.tags,
      })),
    /**
     * Reconciles databases with the state after a restart (or a kill -9 between the two writes):
     * every cluster's database exists, and no database outlives its clusters. Then serves the
     * endpoint (system schema in every database, index-job workers).
     */
    async start(cloud) {
      const state = cloud.state.read(NS, init);
      const wanted = new Set(Object.values(state.clusters).map((c) => c.database));
      const present = new Set(await cloud.postgres.clusterDatabases());
      for (const database of wanted)
        if (!present.has(database)) await cloud.postgres.createDatabase(database);
      for (const database of present) if (!wanted.has(database)) await cloud.postgres.dropDatabase(database);
      local = await startLocalEndpoint(
        cloud,
        () => cloud.state.read(NS, init),
        (port) =>
          cloud.state.update(NS, init, (s) => {
            s.endpointPort = port;
          }),
      );
    },
    async stop() {
      await local?.stop();
      local = undefined;
    },
  };
}

/** The endpoint host of a cluster (for /_dsqlctl/database-settings), or undefined when there is no such cluster. */
export function clusterEndpointHost(cloud: Cloud, region: string, identifier: string): string | undefined {
  const state = cloud.state.read(NS, init);
  const c = state.clusters[arn('dsql', region, `cluster/${identifier}`)];
  return c && endpointOf(c);
}

/** Every cluster's endpoint, host and port (for `local status`; all share the one listener). */
export function clusterEndpoints(
  cloud: Cloud,
): { region: string; identifier: string; host: string; port: number }[] {
  const port = cloud.dsqlEndpoint?.port ?? 0;
  return Object.values(cloud.state.read(NS, init).clusters)
    .map((c) => ({ region: c.region, identifier: c.identifier, host: endpointOf(c), port }))
    .sort((a, b) => `${a.region} ${a.host}`.localeCompare(`${b.region} ${b.host}`));
}
