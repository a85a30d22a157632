// Shared fixtures for the function's tests: a database of its own on the throwaway PostgreSQL
// (npm test starts it; URL in DSQLCTL_TEST_PG_URL) reached through the local cloud's DSQL endpoint
// (TLS, IAM tokens, DSQL's SQL rules, index jobs) as a cluster of its own, the schema and the
// function's role applied through the same library calls `up` uses, and a small EventBridge
// stand-in speaking the real awsJson1_1 PutEvents protocol so the real SDK client can talk to it
// via AWS_ENDPOINT_URL.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import pg from 'pg';
import type { FunctionConfig } from '../../lambda-bundle/src/config.js';
import {
  createTransactionFunction,
  type FunctionOptions,
  type TransactionFunction,
} from '../../lambda-bundle/src/handler.js';
import { readFunctionZip } from '../../src/lib/bundle.js';
import { connectAsAdmin } from '../../src/lib/dsql-connection.js';
import {
  type DsqlEndpoint,
  type EndpointCluster,
  installSystemSchema,
  mappingsFor,
  startDsqlEndpoint,
  startIndexJobs,
} from '../../src/lib/local-cloud/testing.js';
import { applyMigrations, dropFunctionRole, ensureFunctionRole } from '../../src/lib/schema.js';
import type { DatabaseSettings } from '../../src/lib/target.js';

export const REGION = 'us-east-1';
export const PEER_REGION = 'us-west-2';
export const BUS = 'shop';

// The SDK clients (EventBridge, the DSQL signer) need credentials and a region; the endpoint
// below knows these as a session of the function's IAM role.
process.env.AWS_ACCESS_KEY_ID = 'test-access-key';
process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-key';
process.env.AWS_REGION = REGION;
delete process.env.AWS_PROFILE;
delete process.env.AWS_SESSION_TOKEN;

const ACCOUNT = '123456789012';
/** The IAM role every test database maps its function role to. */
export const FUNCTION_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/test-fn`;

interface Front {
  endpoint: DsqlEndpoint;
  /** Cluster host → its test database. */
  clusters: Map<string, { cluster: EndpointCluster; database: string }>;
  pools: Map<string, pg.Pool>;
}
let front: Promise<Front> | undefined;

/** One DSQL endpoint per test process, in front of the throwaway PostgreSQL; clusters added per database. */
function testFront(): Promise<Front> {
  front ??= (async () => {
    const base = serverUrl();
    const clusters: Front['clusters'] = new Map();
    const pools = new Map<string, pg.Pool>();
    const endpoint = await startDsqlEndpoint({
      certificateFolder: join(mkdtempSync(join(tmpdir(), 'dsqlctl-fn-front-')), 'certs'),
      certificateNames: [`*.dsql.${REGION}.on.aws`, `*.dsql.${PEER_REGION}.on.aws`],
      clusterFor: (hostname) => clusters.get(hostname)?.cluster,
      backendFor: (cluster) => ({
        host: base.hostname,
        port: Number(base.port),
        database: clusters.get(cluster.hostname)?.database ?? '',
      }),
      credentials: (accessKeyId) =>
        accessKeyId === process.env.AWS_ACCESS_KEY_ID
          ? {
              secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
              principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/test-fn/test`,
            }
          : undefined,
      mappingsFor: (cluster, role) => {
        const database = clusters.get(cluster.hostname)?.database ?? '';
        let pool = pools.get(database);
        if (!pool) {
          pool = new pg.Pool({ connectionString: databaseUrl(base, database), max: 2 });
          pools.set(database, pool);
        }
        return mappingsFor(pool, role);
      },
    });
    return { endpoint, clusters, pools };
  })();
  return front;
}

/** Closes the front when its last test database is dropped, so the test process can exit. */
async function releaseFront(hostname: string): Promise<void> {
  const open = await front;
  if (!open) return;
  const database = open.clusters.get(hostname)?.database ?? '';
  open.clusters.delete(hostname);
  await open.pools.get(database)?.end();
  open.pools.delete(database);
  if (open.clusters.size > 0) return;
  front = undefined;
  await open.endpoint.close();
}

function databaseUrl(base: URL, database: string, user = base.username): string {
  const u = new URL(base.href);
  u.pathname = `/${database}`;
  u.username = user;
  return u.href;
}

export function serverUrl(): URL {
  const url = process.env.DSQLCTL_TEST_PG_URL;
  if (!url)
    throw new Error('DSQLCTL_TEST_PG_URL is not set: run the tests through `npm test` (scripts/test.mjs).');
  return new URL(url);
}

export interface TestDatabase {
  name: string;
  /** Superuser connection to the test database, straight to PostgreSQL (setup and inspection only). */
  admin: pg.Client;
  /** A new connection through the endpoint as `admin` (caller ends it). */
  connectAdmin: () => Promise<pg.Client>;
  settings: DatabaseSettings;
  /** The peer region's cluster of the pair: its own host (tokens are signed for it), the same data. */
  peerSettings: DatabaseSettings;
  roleName: string;
  iamRoleArn: string;
  /** The function's configuration, logging in as the function's role. */
  functionConfig: FunctionConfig;
  url: (user?: string) => string;
  drop: () => Promise<void>;
}

/**
 * A fresh database as a cluster behind the test endpoint: the system schema, an index-job worker,
 * the schema and the function's role applied as `admin` through the endpoint, as `up` does.
 */
export async function createTestDatabase(
  label: string,
  jobOptions: { buildDelayMs?: number; failJob?: (job: { indexName: string }) => string | undefined } = {},
): Promise<TestDatabase> {
  const suffix = randomBytes(4).toString('hex');
  const name = `fn_${label}_${suffix}`;
  const roleName = `fn_${label}_${suffix}_app`;
  const iamRoleArn = FUNCTION_ROLE_ARN;
  const base = serverUrl();
  const server = new pg.Client({ connectionString: base.href });
  await server.connect();
  await server.query(`CREATE DATABASE ${name}`);
  await server.end();

  const url = (user = base.username) => databaseUrl(base, name, user);
  const admin = new pg.Client({ connectionString: url() });
  await admin.connect();
  await installSystemSchema(admin);
  const jobs = startIndexJobs({
    connect: async () => {
      const c = new pg.Client({ connectionString: url() });
      await c.connect();
      return c;
    },
    buildDelayMs: jobOptions.buildDelayMs ?? 0,
    pollMs: 20,
    ...(jobOptions.failJob ? { failJob: jobOptions.failJob } : {}),
  });
  const { endpoint, clusters } = await testFront();
  const id = `fn-${label.replaceAll('_', '-')}-${suffix}`;
  const hostname = `${id}.dsql.${REGION}.on.aws`;
  clusters.set(hostname, {
    cluster: { id, region: REGION, arn: `arn:aws:dsql:${REGION}:${ACCOUNT}:cluster/${id}`, hostname },
    database: name,
  });
  const settings: DatabaseSettings = {
    host: hostname,
    hostaddr: '127.0.0.1',
    port: endpoint.port,
    database: 'postgres',
    region: REGION,
    caFile: endpoint.caFile,
  };
  // Peered clusters share one logical database (as in the local cloud): a second host for the peer.
  const peerId = `${id}-peer`;
  const peerHostname = `${peerId}.dsql.${PEER_REGION}.on.aws`;
  clusters.set(peerHostname, {
    cluster: {
      id: peerId,
      region: PEER_REGION,
      arn: `arn:aws:dsql:${PEER_REGION}:${ACCOUNT}:cluster/${peerId}`,
      hostname: peerHostname,
    },
    database: name,
  });
  const peerSettings: DatabaseSettings = { ...settings, host: peerHostname, region: PEER_REGION };
  const asAdmin = await connectAsAdmin(settings);
  try {
    await applyMigrations(asAdmin);
    await ensureFunctionRole(asAdmin, { roleName, iamRoleArn });
  } finally {
    await asAdmin.end();
  }
  return {
    name,
    admin,
    connectAdmin: () => connectAsAdmin(settings),
    settings,
    peerSettings,
    roleName,
    iamRoleArn,
    functionConfig: {
      region: REGION,
      connection: settings,
      user: roleName,
      busName: BUS,
      peerRegion: PEER_REGION,
    },
    url,
    drop: async () => {
      const asAdmin = await connectAsAdmin(settings);
      try {
        await dropFunctionRole(asAdmin, { roleName, iamRoleArn });
      } finally {
        await asAdmin.end();
      }
      await jobs.stop();
      (await front)?.clusters.delete(peerHostname);
      await releaseFront(hostname);
      await admin.end();
      const s = new pg.Client({ connectionString: base.href });
      await s.connect();
      await s.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await s.end();
    },
  };
}

export interface PutEventsEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName: string;
  Time?: number;
}

/** Decides, per PutEvents call (1-based) and entry, an error code to fail it with, or undefined. */
export type FailureRule = (call: number, entry: PutEventsEntry) => string | undefined;

export interface FakeEventBridge {
  url: string;
  /** Every PutEvents call received, in order, with the entries it carried. */
  calls: PutEventsEntry[][];
  /** Entries that were accepted (answered with an EventId). */
  accepted: PutEventsEntry[];
  failWith: (rule: FailureRule | undefined) => void;
  close: () => Promise<void>;
}

/**
 * EventBridge's PutEvents over awsJson1_1 (POST /, X-Amz-Target: AWSEvents.PutEvents): answers
 * FailedEntryCount and one result per entry in order, an EventId or an ErrorCode/ErrorMessage.
 */
export async function startFakeEventBridge(): Promise<FakeEventBridge> {
  const calls: PutEventsEntry[][] = [];
  const accepted: PutEventsEntry[] = [];
  let rule: FailureRule | undefined;
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const target = req.headers['x-amz-target'];
    if (req.method !== 'POST' || target !== 'AWSEvents.PutEvents') {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({ __type: 'UnknownOperationException', message: `unexpected ${String(target)}` }),
      );
      return;
    }
    const entries = (JSON.parse(body) as { Entries: PutEventsEntry[] }).Entries;
    calls.push(entries);
    const call = calls.length;
    let failed = 0;
    const results = entries.map((entry) => {
      const errorCode = rule?.(call, entry);
      if (errorCode) {
        failed++;
        return { ErrorCode: errorCode, ErrorMessage: `chosen to fail on call ${call}` };
      }
      accepted.push(entry);
      return { EventId: `evt-${call}-${accepted.length}` };
    });
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify({ FailedEntryCount: failed, Entries: results }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    accepted,
    failWith: (next) => {
      rule = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface TestFunction {
  db: TestDatabase;
  events: FakeEventBridge;
  /** The function in this process, on `db`, publishing to `events`. */
  fn: TransactionFunction;
  stop: () => Promise<void>;
}

/**
 * The function as its tests and bench run it: the EventBridge stand-in (the SDK clients pointed at it
 * through AWS_ENDPOINT_URL), a fresh database, and the handler on that database as the function's role.
 */
export async function startTestFunction(label: string, options?: FunctionOptions): Promise<TestFunction> {
  const events = await startFakeEventBridge();
  process.env.AWS_ENDPOINT_URL = events.url;
  let db: TestDatabase;
  try {
    db = await createTestDatabase(label);
  } catch (error) {
    await events.close();
    throw error;
  }
  const fn = createTransactionFunction(db.functionConfig, options);
  return {
    db,
    events,
    fn,
    stop: async () => {
      await fn.close();
      await db.drop();
      await events.close();
    },
  };
}

/** The transaction a peer event (peerEvent's defaults) is about, as the peer's function stored it. */
export async function insertPeerTransaction(
  db: TestDatabase,
  overrides: { transactionId?: string; amount?: string; region?: string } = {},
): Promise<void> {
  await db.admin.query('INSERT INTO transactions (id, amount, "timestamp", region) VALUES ($1, $2, $3, $4)', [
    overrides.transactionId ?? 'peer-txn-1',
    overrides.amount ?? '12.34',
    '2026-11-27 14:00:00',
    overrides.region ?? PEER_REGION,
  ]);
}

/** An EventBridge event as a rule delivers it to a Lambda target. */
export function peerEvent(overrides: { id?: string; transactionId?: string; originRegion?: string } = {}) {
  return {
    version: '0',
    id: overrides.id ?? `event-${randomBytes(6).toString('hex')}`,
    'detail-type': 'Transaction Created',
    source: 'dsql.application',
    account: '123456789012',
    time: '2026-11-27T14:00:00Z',
    region: overrides.originRegion ?? PEER_REGION,
    resources: [],
    detail: {
      transactionId: overrides.transactionId ?? 'peer-txn-1',
      amount: '12.34',
      region: overrides.originRegion ?? PEER_REGION,
      originRegion: overrides.originRegion ?? PEER_REGION,
      operation: 'create',
      timestamp: '2026-11-27T14:00:00.000Z',
    },
  };
}

/**
 * The built function extracted into `dir`, as the Lambda runtime lays it out, plus `resolve.mjs`, a
 * preload doing what the local Lambda runtime does (execution/worker.ts): cluster hosts resolve to the
 * local endpoint. Run it with `node --import=./resolve.mjs` and `bareFunctionEnv(db)`.
 */
export async function extractFunction(dir: string): Promise<void> {
  for (const [name, bytes] of Object.entries(unzipSync(await readFunctionZip()))) {
    writeFileSync(join(dir, name), bytes);
  }
  writeFileSync(
    join(dir, 'resolve.mjs'),
    `import dns from 'node:dns';
     const lookup = dns.lookup;
     dns.lookup = (host, ...rest) => lookup(host.endsWith('.on.aws') ? '127.0.0.1' : host, ...rest);`,
  );
}

/** The function's database environment for a bare Node process: the endpoint, the role, its CA. */
export function bareFunctionEnv(db: TestDatabase): Record<string, string> {
  return {
    DSQL_ENDPOINT: db.settings.host,
    DSQL_PORT: String(db.settings.port),
    DSQL_DATABASE: db.settings.database,
    DSQL_USER: db.roleName,
    // Node trusts the local endpoint's CA through this, as the local Lambda runtime sets it.
    NODE_EXTRA_CA_CERTS: db.settings.caFile ?? '',
  };
}
