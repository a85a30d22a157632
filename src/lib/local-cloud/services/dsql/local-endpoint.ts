/**
 * The DSQL service's database side, run by the daemon: the one endpoint listener every cluster is
 * reached through (endpoint/server.ts), the system schema in each cluster database, and one
 * index-job worker per database (CREATE INDEX ASYNC).
 *
 * - The listener's port is kept in the DSQL state, so the host and port a deployed function holds in
 *   its environment keep working across `local stop` / `local start`.
 * - Who signed a token comes from the identity gate's credential store: the operator's key is the
 *   account root (or its IAM user), a function's key a session of its execution role, which the
 *   mapping check turns into the role ARN. The gate then evaluates that principal's policies for
 *   dsql:DbConnect / dsql:DbConnectAdmin on the cluster's ARN; a denial refuses the login (28000).
 * - Roles are server-wide in PostgreSQL while DSQL clusters each have their own: a role exists for
 *   every cluster database of the server. A connection still sees one cluster only — the front picks
 *   the database, and a non-admin login needs an `AWS IAM GRANT` mapping recorded in THIS cluster's
 *   database — but a role name made on one cluster is taken on the others (CREATE ROLE answers 42710).
 * - An FIS experiment running `aws:dsql:cluster-connection-failure` on a cluster (services/fis/) makes
 *   its host refuse new connections and breaks the open ones when it starts, until it ends.
 */
import { join } from 'node:path';
import type pg from 'pg';
import { DSQL_REGION_SETS } from '../../aws-facts.js';
import type { Cloud } from '../../service.js';
import { impairmentOf, initFis } from '../fis/experiment.js';
import type { ClusterRecord, DsqlState } from './cluster-state.js';
import { loadParser } from './endpoint/dsql-statements.js';
import { type IndexJobs, startIndexJobs } from './endpoint/index-jobs.js';
import {
  type AuthorizeRequest,
  type DsqlEndpoint,
  type EndpointCluster,
  type KnownCredentials,
  startDsqlEndpoint,
} from './endpoint/server.js';
import { installSystemSchema, mappingsFor } from './endpoint/system-schema.js';

/** How often the workers check whether a pass is due (no SQL when none is: index-jobs.ts). */
const INDEX_JOB_POLL_MS = 25;

export interface LocalEndpoint {
  endpoint: DsqlEndpoint;
  /** Creates a cluster database with its system schema. */
  prepareDatabase(database: string): Promise<void>;
  stop(): Promise<void>;
}

export function clusterHost(c: { identifier: string; region: string }): string {
  return `${c.identifier}.dsql.${c.region}.on.aws`;
}

/** The system schema in a database (idempotent). */
async function install(cloud: Cloud, database: string): Promise<void> {
  const client = await cloud.postgres.superuser(database);
  try {
    await installSystemSchema(client);
  } finally {
    await client.end();
  }
}

/** The secret and principal of a key the credential store issued (session keys with token and expiry). */
function knownCredentials(cloud: Cloud, accessKeyId: string): KnownCredentials | undefined {
  const store = cloud.identity.credentials;
  const secret = store.signingSecret(accessKeyId);
  const owner = store.ownerOf(accessKeyId);
  return secret && owner ? { ...secret, principalArn: owner.caller.arn } : undefined;
}

export async function startLocalEndpoint(
  cloud: Cloud,
  dsqlState: () => DsqlState,
  keepPort: (port: number) => Promise<void>,
): Promise<LocalEndpoint> {
  await loadParser();
  const clusters = () => Object.values(dsqlState().clusters);
  const databases = () => new Set(clusters().map((c) => c.database));
  for (const database of databases()) await install(cloud, database);

  // Superuser pools per database, for the mapping lookup at each login.
  const pools = new Map<string, pg.Pool>();
  const { default: pgModule } = await import('pg');
  const poolFor = (database: string): pg.Pool => {
    let pool = pools.get(database);
    if (!pool) {
      pool = new pgModule.Pool({ ...cloud.postgres.superuserConfig(database), max: 2 });
      pool.on('error', () => undefined);
      pools.set(database, pool);
    }
    return pool;
  };
  const fisState = () => cloud.state.read('fis', initFis);
  const recordOf = (cluster: EndpointCluster): ClusterRecord | undefined =>
    clusters().find((c) => c.arn === cluster.arn);

  const options = {
    certificateFolder: join(cloud.dir, 'dsql-endpoint'),
    certificateNames: Object.values(DSQL_REGION_SETS)
      .flat()
      .map((region) => `*.dsql.${region}.on.aws`),
    clusterFor(hostname: string): EndpointCluster | undefined {
      const c = clusters().find((r) => clusterHost(r) === hostname.toLowerCase() && r.status !== 'DELETING');
      return c && { id: c.identifier, arn: c.arn, region: c.region, hostname: clusterHost(c) };
    },
    backendFor(cluster: EndpointCluster) {
      return {
        host: cloud.postgres.host,
        port: cloud.postgres.port,
        database: recordOf(cluster)?.database ?? '',
      };
    },
    credentials: (accessKeyId: string) => knownCredentials(cloud, accessKeyId),
    impairment: (cluster: EndpointCluster) => impairmentOf(fisState(), cluster.arn, cloud.now()),
    authorize: (request: AuthorizeRequest) =>
      !cloud.identity.denialFor(request.accessKeyId, request.action, request.clusterArn, request.region),
    async mappingsFor(cluster: EndpointCluster, role: string) {
      const database = recordOf(cluster)?.database;
      return database ? mappingsFor(poolFor(database), role) : [];
    },
  };
  const kept = dsqlState().endpointPort;
  let endpoint: DsqlEndpoint;
  try {
    endpoint = await startDsqlEndpoint({ ...options, port: kept ?? 0 });
  } catch (error) {
    // The kept port is taken by another program: serve on a new one (deployed functions then need
    // a new `up` to learn it); say so in the daemon's log.
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    console.error(`DSQL endpoint: port ${kept} is in use, listening on a new port`);
    endpoint = await startDsqlEndpoint({ ...options, port: 0 });
  }
  if (endpoint.port !== kept) await keepPort(endpoint.port);
  cloud.dsqlEndpoint = { port: endpoint.port, caFile: endpoint.caFile, ca: endpoint.ca };

  // One index-job worker per cluster database, following the state's databases.
  const workers = new Map<string, IndexJobs>();
  // A cluster an FIS experiment starts impairing has its open sessions broken once (with the
  // experiment's percentage); new connections are refused at login while it runs (session.ts).
  const impaired = new Set<string>();
  const breakImpaired = () => {
    for (const c of clusters()) {
      const percentage = impairmentOf(fisState(), c.arn, cloud.now());
      if (percentage === 0) impaired.delete(c.arn);
      else if (!impaired.has(c.arn)) {
        impaired.add(c.arn);
        endpoint.breakSessions(c.identifier, percentage);
      }
    }
  };
  const tick = async () => {
    breakImpaired();
    const wanted = databases();
    for (const [database, worker] of workers) {
      if (wanted.has(database)) continue;
      workers.delete(database);
      await worker.stop().catch(() => undefined);
    }
    for (const database of wanted) {
      let worker = workers.get(database);
      if (!worker) {
        worker = startIndexJobs({
          connect: () => cloud.postgres.superuser(database),
          buildDelayMs: cloud.faults.durationMs('dsql:IndexBuild'),
          // A failure rule for "dsql:IndexBuild" (faults.ts) fails the Nth build.
          failJob: (job) => {
            const decision = cloud.faults.decide('dsql', 'IndexBuild');
            return decision.kind === 'fail' ? `index ${job.indexName}: ${decision.error.message}` : undefined;
          },
        });
        workers.set(database, worker);
      }
      await worker.runWhenDue().catch(() => undefined);
    }
  };
  let ticking: Promise<void> | undefined;
  const timer = setInterval(() => {
    ticking ??= tick().finally(() => {
      ticking = undefined;
    });
  }, INDEX_JOB_POLL_MS);

  return {
    endpoint,
    prepareDatabase: async (database) => {
      await cloud.postgres.createDatabase(database);
      await install(cloud, database);
    },
    async stop() {
      clearInterval(timer);
      await ticking;
      await endpoint.close();
      for (const worker of workers.values()) await worker.stop().catch(() => undefined);
      for (const pool of pools.values()) await pool.end().catch(() => undefined);
    },
  };
}
