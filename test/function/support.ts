// Shared fixtures for the function's tests: a database of its own on the throwaway PostgreSQL
// (npm test starts it; URL in DSQLCTL_TEST_PG_URL), the schema and the function's role applied
// through the same library calls `up` uses, and a small EventBridge stand-in speaking the real
// awsJson1_1 PutEvents protocol so the real SDK client can talk to it via AWS_ENDPOINT_URL.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { FunctionConfig } from '../../lambda-bundle/src/config.js';
import {
  createTransactionFunction,
  type FunctionOptions,
  type TransactionFunction,
} from '../../lambda-bundle/src/handler.js';
import { applyMigrations, dropFunctionRole, ensureFunctionRole } from '../../src/lib/schema.js';
import type { DatabaseSettings } from '../../src/lib/target.js';

export const REGION = 'us-east-1';
export const PEER_REGION = 'us-west-2';
export const BUS = 'shop';

// The SDK clients (EventBridge, the DSQL signer) need credentials and a region; none are real.
process.env.AWS_ACCESS_KEY_ID = 'test-access-key';
process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-key';
process.env.AWS_REGION = REGION;
delete process.env.AWS_PROFILE;

export function serverUrl(): URL {
  const url = process.env.DSQLCTL_TEST_PG_URL;
  if (!url)
    throw new Error('DSQLCTL_TEST_PG_URL is not set: run the tests through `npm test` (scripts/test.mjs).');
  return new URL(url);
}

export interface TestDatabase {
  name: string;
  /** Superuser connection to the test database (setup and inspection only). */
  admin: pg.Client;
  settings: DatabaseSettings;
  roleName: string;
  iamRoleArn: string;
  /** The function's configuration, logging in as the function's role. */
  functionConfig: FunctionConfig;
  url: (user?: string) => string;
  drop: () => Promise<void>;
}

/** A fresh database with the postgres rendering of the schema and the function's role. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const suffix = randomBytes(4).toString('hex');
  const name = `fn_${label}_${suffix}`;
  const roleName = `fn_${label}_${suffix}_app`;
  const iamRoleArn = `arn:aws:iam::123456789012:role/${label}-fn`;
  const base = serverUrl();
  const server = new pg.Client({ connectionString: base.href });
  await server.connect();
  await server.query(`CREATE DATABASE ${name}`);
  await server.end();

  const url = (user = base.username) => {
    const u = new URL(base.href);
    u.pathname = `/${name}`;
    u.username = user;
    return u.href;
  };
  const admin = new pg.Client({ connectionString: url() });
  await admin.connect();
  await applyMigrations(admin, 'postgres');
  await ensureFunctionRole(admin, 'postgres', { roleName, iamRoleArn });

  const settings: DatabaseSettings = {
    host: base.hostname,
    port: Number(base.port),
    database: name,
    ssl: false,
    region: REGION,
    dialect: 'postgres',
  };
  return {
    name,
    admin,
    settings,
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
      await dropFunctionRole(admin, 'postgres', { roleName, iamRoleArn });
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
