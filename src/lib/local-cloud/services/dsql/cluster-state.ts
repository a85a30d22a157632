/**
 * The DSQL cluster state machine, pure (no HTTP, no store, no clock of its own): which status a cluster
 * moves to at a given time and how a pair's transitions depend on each other. index.ts stores the
 * result; test/local-cloud/dsql-cluster-state.test.ts checks it directly.
 */

type ClusterStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'PENDING_SETUP' | 'PENDING_DELETE' | 'DELETING';

export interface ClusterRecord {
  identifier: string;
  arn: string;
  region: string;
  status: ClusterStatus;
  /** Epoch ms. */
  creationTime: number;
  /** When the current transitional status (CREATING, UPDATING, DELETING) ends, epoch ms. */
  until?: number;
  deletionProtectionEnabled: boolean;
  tags: Record<string, string>;
  witnessRegion?: string;
  /** ARNs of the peer clusters this cluster lists (its own ARN excluded). */
  peers: string[];
  database: string;
}

export interface DsqlState {
  clusters: Record<string, ClusterRecord>;
  /** `<region> <clientToken>` → ARN of the cluster that create made. */
  clientTokens: Record<string, string>;
  /** `<region> <clientToken>` → the request it came with (canonical JSON, token left out). */
  clientTokenRequests?: Record<string, string>;
  /** The cluster endpoint's TCP port, kept so endpoints survive a restart of the local cloud. */
  endpointPort?: number;
}

export function peerOf(state: DsqlState, c: ClusterRecord): ClusterRecord | undefined {
  const peerArn = c.peers[0];
  return peerArn && Object.hasOwn(state.clusters, peerArn) ? state.clusters[peerArn] : undefined;
}

/** Both clusters list each other. */
export function paired(state: DsqlState, c: ClusterRecord): ClusterRecord | undefined {
  const peer = peerOf(state, c);
  return peer?.peers.includes(c.arn) ? peer : undefined;
}

/** The statuses a cluster accepts UpdateCluster in, and a witness's peer must have to go ACTIVE. */
export const CONFIGURABLE_STATUSES: readonly ClusterStatus[] = ['ACTIVE', 'PENDING_SETUP'];

/** Status a cluster reaches when its create or update transition ends. */
function settledStatus(state: DsqlState, c: ClusterRecord): ClusterStatus {
  if (!c.witnessRegion) return 'ACTIVE';
  const peer = paired(state, c);
  return peer && CONFIGURABLE_STATUSES.includes(peer.status) ? 'ACTIVE' : 'PENDING_SETUP';
}

/** The status a cluster moves to at `now` (`GONE`: deleted), or undefined when nothing is due. */
export function nextStatus(
  state: DsqlState,
  c: ClusterRecord,
  now: number,
): ClusterStatus | 'GONE' | undefined {
  const due = c.until !== undefined && now >= c.until;
  if ((c.status === 'CREATING' || c.status === 'UPDATING') && due) return settledStatus(state, c);
  if (c.status === 'PENDING_SETUP') return settledStatus(state, c) === 'ACTIVE' ? 'ACTIVE' : undefined;
  if (c.status === 'PENDING_DELETE') {
    const peer = peerOf(state, c);
    return !peer || peer.status === 'PENDING_DELETE' || peer.status === 'DELETING' ? 'DELETING' : undefined;
  }
  return c.status === 'DELETING' && due ? 'GONE' : undefined;
}

/**
 * Applies every transition due at `now`; returns the databases no cluster uses any more. Loops because
 * one cluster's change (peer became ACTIVE, peer deleted) can move the other.
 */
export function settle(state: DsqlState, now: number, deleteMs: number): string[] {
  const dropped: string[] = [];
  for (let changed = true; changed; ) {
    changed = false;
    for (const c of Object.values(state.clusters)) {
      const next = nextStatus(state, c, now);
      if (!next) continue;
      changed = true;
      if (next === 'GONE') {
        delete state.clusters[c.arn];
        if (!Object.values(state.clusters).some((o) => o.database === c.database)) dropped.push(c.database);
        continue;
      }
      c.status = next;
      if (next === 'DELETING') c.until = deletionEnd(state, c, now, deleteMs);
      else delete c.until;
    }
  }
  return dropped;
}

/**
 * When a cluster that now starts DELETING is gone. One that waited in PENDING_DELETE for its peer is
 * deleted with it, at the end of the peer's deletion: timed from whenever a request happened to settle
 * it, it would outlast its peer by up to a poll interval of whoever waits for the pair.
 */
function deletionEnd(state: DsqlState, c: ClusterRecord, now: number, deleteMs: number): number {
  const peer = peerOf(state, c);
  return peer?.status === 'DELETING' && peer.until !== undefined ? peer.until : now + deleteMs;
}
