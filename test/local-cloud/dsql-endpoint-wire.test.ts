// The local DSQL endpoint's wire half through real clients: pg (node-postgres) and the system's
// psql, over TLS with certificate verification, with tokens made by @aws-sdk/dsql-signer, in front
// of the throwaway PostgreSQL that scripts/test.mjs starts.
//
// Statements are judged by the statements half (dsql-statements.ts, PostgreSQL's own parser), so the
// transaction rules that need a classification (one DDL per transaction, no DDL beside DML, OC001,
// statements refused inside a block) are checked here through the front as well, and the row limit,
// which the system schema counts in the database.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DsqlSigner } from '@aws-sdk/dsql-signer';
import pg from 'pg';
import {
  type DsqlEndpoint,
  type DsqlEndpointOptions,
  type EndpointCluster,
  installSystemSchema,
  startDsqlEndpoint,
} from '../../src/lib/local-cloud/testing.js';
import { runPsql } from '../support/psql.js';

const url = process.env.DSQLCTL_TEST_PG_URL;
if (!url) throw new Error('DSQLCTL_TEST_PG_URL is not set: run through scripts/test.mjs');
const backend = new URL(url);
const suffix = `${process.pid}`;
const databaseA = `dsql_wire_a_${suffix}`;
const databaseB = `dsql_wire_b_${suffix}`;
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const clusterA: EndpointCluster = cluster('wireclusteraaaaaaaaaaaaaaa');
const clusterB: EndpointCluster = cluster('wireclusterbbbbbbbbbbbbbbb');
const operator = { accessKeyId: 'AKIDWIREOPERATOR', secretAccessKey: 'operator-secret' };
const functionKey = { accessKeyId: 'AKIDWIREFUNCTION', secretAccessKey: 'function-secret' };
const APP_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/wire-app-fn`;

function cluster(id: string): EndpointCluster {
  return {
    id,
    region: REGION,
    arn: `arn:aws:dsql:${REGION}:${ACCOUNT}:cluster/${id}`,
    hostname: `${id}.dsql.${REGION}.on.aws`,
  };
}

let folder: string;
let endpoint: DsqlEndpoint;
const extraEndpoints: DsqlEndpoint[] = [];

function options(overrides: Partial<DsqlEndpointOptions> = {}): DsqlEndpointOptions {
  return {
    certificateFolder: join(folder, 'certs'),
    certificateNames: [`*.dsql.${REGION}.on.aws`],
    clusterFor: (hostname) => [clusterA, clusterB].find((c) => c.hostname === hostname),
    backendFor: (c) => ({
      host: backend.hostname,
      port: Number(backend.port),
      database: c === clusterA ? databaseA : databaseB,
    }),
    credentials: (accessKeyId) => {
      if (accessKeyId === operator.accessKeyId) {
        return { secretAccessKey: operator.secretAccessKey, principalArn: `arn:aws:iam::${ACCOUNT}:root` };
      }
      if (accessKeyId === functionKey.accessKeyId) {
        return {
          secretAccessKey: functionKey.secretAccessKey,
          principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/wire-app-fn/session-1`,
        };
      }
      return undefined;
    },
    // Stands in for the statements half's mappingsFor (sys.iam_pg_role_mappings) until the merge.
    mappingsFor: async (_c, role) => (role === 'wire_app' ? [APP_ROLE_ARN] : []),
    ...overrides,
  };
}

async function extraEndpoint(overrides: Partial<DsqlEndpointOptions>): Promise<DsqlEndpoint> {
  const started = await startDsqlEndpoint(options(overrides));
  extraEndpoints.push(started);
  return started;
}

interface TokenRequest {
  cluster?: EndpointCluster;
  admin?: boolean;
  key?: { accessKeyId: string; secretAccessKey: string };
  region?: string;
  expiresIn?: number;
}

function token({
  cluster: c = clusterA,
  admin = true,
  key = operator,
  region = c.region,
  expiresIn,
}: TokenRequest = {}) {
  const signer = new DsqlSigner({
    hostname: c.hostname,
    region,
    credentials: key,
    ...(expiresIn ? { expiresIn } : {}),
  });
  return admin ? signer.getDbConnectAdminAuthToken() : signer.getDbConnectAuthToken();
}

function client(
  password: string | (() => Promise<string>),
  {
    on = endpoint,
    c = clusterA,
    user = 'admin',
    ssl = true,
  }: { on?: DsqlEndpoint; c?: EndpointCluster; user?: string; ssl?: boolean } = {},
) {
  return new pg.Client({
    host: '127.0.0.1',
    port: on.port,
    user,
    database: 'postgres',
    password,
    ssl: ssl ? { ca: on.ca, servername: c.hostname, rejectUnauthorized: true } : false,
  });
}

async function connected(password?: string, more: Parameters<typeof client>[1] = {}) {
  const c = client(password ?? (await token()), more);
  await c.connect();
  return c;
}

/** The error a connection attempt ends with (it must end with one). */
async function refusal(password: string, more: Parameters<typeof client>[1] = {}) {
  const c = client(password, more);
  c.on('error', () => {});
  const error = await c.connect().then(
    () => undefined,
    (e: unknown) => e as { code?: string; message: string },
  );
  await c.end().catch(() => {});
  assert.ok(error, 'the connection must be refused');
  return error;
}

before(async () => {
  folder = mkdtempSync(join(tmpdir(), 'dsql-wire-'));
  const su = new pg.Client({ connectionString: url });
  await su.connect();
  for (const role of ['admin', 'wire_app', 'wire_nomap']) {
    const attributes = role === 'admin' ? 'LOGIN CREATEROLE' : 'LOGIN';
    await su.query(
      `DO $$ BEGIN CREATE ROLE ${role} ${attributes}; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
    );
  }
  for (const database of [databaseA, databaseB]) {
    await su.query(`DROP DATABASE IF EXISTS ${database}`);
    await su.query(`CREATE DATABASE ${database} OWNER admin`);
    // What the local cloud gives each cluster's database (the row limit is counted there).
    const inDatabase = new pg.Client({
      connectionString: Object.assign(new URL(url), { pathname: `/${database}` }).href,
    });
    await inDatabase.connect();
    await installSystemSchema(inDatabase);
    await inDatabase.end();
  }
  await su.end();
  endpoint = await startDsqlEndpoint(options());
});

after(async () => {
  await endpoint?.close();
  for (const e of extraEndpoints) await e.close();
  const su = new pg.Client({ connectionString: url });
  await su.connect();
  for (const database of [databaseA, databaseB])
    await su.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await su.end();
  rmSync(folder, { recursive: true, force: true });
});

describe('TLS and relay', () => {
  test('pg connects with certificate verification and reaches the cluster backend as admin', async () => {
    const c = await connected();
    const { rows } = await c.query('SELECT current_user AS who, current_database() AS db');
    assert.deepEqual(rows, [{ who: 'admin', db: databaseA }]);
    // A parameterized query: node-postgres sends Parse/Bind/Describe/Execute/Sync.
    const sum = await c.query('SELECT $1::int + $2::int AS n', [40, 2]);
    assert.equal(sum.rows[0].n, 42);
    await c.end();
  });

  test('the CA and keys are kept in the folder with mode 0600 and reused on restart', async () => {
    const caFile = join(folder, 'certs', 'ca.pem');
    assert.equal(endpoint.caFile, caFile);
    for (const file of ['ca.pem', 'ca-key.pem', 'server.pem', 'server-key.pem']) {
      assert.equal(statSync(join(folder, 'certs', file)).mode & 0o777, 0o600, file);
    }
    const again = await extraEndpoint({});
    assert.equal(again.ca, endpoint.ca);
  });

  test('a client that does not trust the CA is refused by its own verification', async () => {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: endpoint.port,
      user: 'admin',
      database: 'postgres',
      password: await token(),
      ssl: { servername: clusterA.hostname, rejectUnauthorized: true },
    });
    c.on('error', () => {});
    await assert.rejects(c.connect(), /self-signed|unable to (get|verify)/);
  });

  test('psql connects with sslmode=verify-full and a signer token', async () => {
    const conninfo = `host=${clusterA.hostname} hostaddr=127.0.0.1 port=${endpoint.port} dbname=postgres user=admin sslmode=verify-full sslrootcert=${endpoint.caFile}`;
    const result = await runPsql(conninfo, await token(), 'SELECT current_user');
    assert.equal(result.stderr, '');
    assert.equal(result.stdout.trim(), 'admin');
  });

  test('plaintext is refused (pg and psql) with SQLSTATE 28000', async () => {
    const error = await refusal(await token(), { ssl: false });
    assert.equal(error.code, '28000');
    assert.match(error.message, /SSL\/TLS is required/);
    const result = await runPsql(
      `host=127.0.0.1 port=${endpoint.port} dbname=postgres user=admin sslmode=disable`,
      await token(),
      'SELECT 1',
    );
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /SSL\/TLS is required/);
  });

  test('a cluster cannot read another cluster’s data', async () => {
    const a = await connected();
    await a.query('CREATE TABLE only_in_a (id int PRIMARY KEY)');
    await a.end();
    const b = await connected(await token({ cluster: clusterB }), { c: clusterB });
    await assert.rejects(b.query('SELECT * FROM only_in_a'), { code: '42P01' });
    await b.end();
  });

  test('database other than postgres is refused', async () => {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: endpoint.port,
      user: 'admin',
      database: databaseA,
      password: await token(),
      ssl: { ca: endpoint.ca, servername: clusterA.hostname, rejectUnauthorized: true },
    });
    c.on('error', () => {});
    await assert.rejects(c.connect(), { code: '3D000' });
  });
});

describe('token authentication', () => {
  test('a mapped role connects with a DbConnect token of its IAM role session', async () => {
    const c = await connected(await token({ admin: false, key: functionKey }), { user: 'wire_app' });
    assert.equal((await c.query('SELECT current_user AS who')).rows[0].who, 'wire_app');
    await c.end();
  });

  test('expired token', async () => {
    const late = await extraEndpoint({ now: () => new Date(Date.now() + 20 * 60 * 1000) });
    const error = await refusal(await token({ expiresIn: 900 }), { on: late });
    assert.equal(error.code, '28P01');
    assert.match(error.message, /token expired at/);
  });

  test('wrong action: DbConnect token for admin, DbConnectAdmin token for a role', async () => {
    const forAdmin = await refusal(await token({ admin: false }));
    assert.equal(forAdmin.code, '28P01');
    assert.match(
      forAdmin.message,
      /wrong action: the token is for DbConnect, this login needs DbConnectAdmin/,
    );
    const forRole = await refusal(await token({ admin: true, key: functionKey }), { user: 'wire_app' });
    assert.equal(forRole.code, '28P01');
    assert.match(
      forRole.message,
      /wrong action: the token is for DbConnectAdmin, this login needs DbConnect/,
    );
  });

  test('wrong host: a token for cluster A on cluster B', async () => {
    const error = await refusal(await token({ cluster: clusterA }), { c: clusterB });
    assert.equal(error.code, '28P01');
    assert.match(error.message, new RegExp(`wrong host: the token was signed for ${clusterA.hostname}`));
  });

  test('wrong region', async () => {
    const error = await refusal(await token({ region: 'us-west-2' }));
    assert.equal(error.code, '28P01');
    assert.match(
      error.message,
      /wrong region: the token was signed for us-west-2, this cluster is in us-east-1/,
    );
  });

  test('bad signature, wrong secret and unknown key', async () => {
    const good = new URL(`https://${await token()}`);
    const signature = good.searchParams.get('X-Amz-Signature') ?? '';
    good.searchParams.set(
      'X-Amz-Signature',
      `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`,
    );
    const tampered = await refusal(good.href.replace('https://', ''));
    assert.equal(tampered.code, '28P01');
    assert.match(tampered.message, /signature does not match/);
    const wrongSecret = await refusal(await token({ key: { ...operator, secretAccessKey: 'guess' } }));
    assert.match(wrongSecret.message, /signature does not match/);
    const unknown = await refusal(await token({ key: { accessKeyId: 'AKIDNOBODY', secretAccessKey: 'x' } }));
    assert.match(unknown.message, /unknown access key AKIDNOBODY/);
    const notAToken = await refusal('hunter2');
    assert.equal(notAToken.code, '28P01');
    assert.match(notAToken.message, /not a DSQL authentication token/);
  });

  test('a role without an IAM mapping', async () => {
    const error = await refusal(await token({ admin: false, key: functionKey }), { user: 'wire_nomap' });
    assert.equal(error.code, '28000');
    assert.match(error.message, new RegExp(`role "wire_nomap" has no IAM mapping to ${APP_ROLE_ARN}`));
  });

  test('a caller whose policies deny the action', async () => {
    const strict = await extraEndpoint({ authorize: () => false });
    const error = await refusal(await token(), { on: strict });
    assert.equal(error.code, '28000');
    assert.match(error.message, /is not authorized to perform dsql:DbConnectAdmin/);
  });
});

describe('transaction rules and limits', () => {
  test('more than 3,000 modified rows in a transaction: 54000, and the transaction is aborted', async () => {
    const c = await connected();
    await c.query('CREATE TABLE many (id int PRIMARY KEY)');
    await c.query('BEGIN');
    await c.query('INSERT INTO many SELECT g FROM generate_series(1, 2000) g');
    await assert.rejects(c.query('INSERT INTO many SELECT g FROM generate_series(2001, 3001) g'), {
      code: '54000',
      message: 'transaction row limit exceeded',
    });
    await assert.rejects(c.query('SELECT 1'), { code: '25P02' });
    await c.query('ROLLBACK');
    assert.equal((await c.query('SELECT count(*)::int AS n FROM many')).rows[0].n, 0);
    await c.query('BEGIN');
    await c.query('INSERT INTO many SELECT g FROM generate_series(1, 3000) g');
    await c.query('COMMIT');
    assert.equal((await c.query('SELECT count(*)::int AS n FROM many')).rows[0].n, 3000);
    await c.end();
  });

  test('the row limit holds in autocommit and for rows a WITH modifies: nothing of the statement stays', async () => {
    const c = await connected();
    await c.query('CREATE TABLE bulk (id int PRIMARY KEY)');
    // One autocommit statement (simple protocol, as psql sends it), then one with parameters.
    await assert.rejects(c.query('INSERT INTO bulk SELECT g FROM generate_series(1, 3001) g'), {
      code: '54000',
      message: 'transaction row limit exceeded',
    });
    await assert.rejects(c.query('INSERT INTO bulk SELECT g FROM generate_series(1, $1::int) g', [3001]), {
      code: '54000',
    });
    assert.equal((await c.query('SELECT count(*)::int AS n FROM bulk')).rows[0].n, 0);
    // Its command tag says SELECT 1, while the WITH inserts 3,001 rows.
    await assert.rejects(
      c.query(
        'WITH ins AS (INSERT INTO bulk SELECT g FROM generate_series(1, 3001) g RETURNING id) SELECT count(*) FROM ins',
      ),
      { code: '54000' },
    );
    assert.equal((await c.query('SELECT count(*)::int AS n FROM bulk')).rows[0].n, 0);
    // Each transaction counts from zero: 3,000 rows, then 3,000 more deleted, each committed.
    await c.query('INSERT INTO bulk SELECT g FROM generate_series(1, 3000) g');
    await c.query('DELETE FROM bulk');
    assert.equal((await c.query('SELECT count(*)::int AS n FROM bulk')).rows[0].n, 0);
    await c.end();
  });

  test('a write conflict fails with 40001 and DSQL’s OC000 message', async () => {
    const first = await connected();
    const second = await connected();
    await first.query('CREATE TABLE contested (id int PRIMARY KEY, v int)');
    await first.query('INSERT INTO contested VALUES (1, 0)');
    await first.query('BEGIN');
    await second.query('BEGIN');
    await second.query('SELECT * FROM contested');
    await first.query('UPDATE contested SET v = 1 WHERE id = 1');
    // PostgreSQL makes this writer wait on the row lock; DSQL would fail it at COMMIT instead.
    // The expectation is attached at once: the refusal may arrive before COMMIT's answer does.
    const conflicting = assert.rejects(second.query('UPDATE contested SET v = 2 WHERE id = $1', [1]), {
      code: '40001',
      message: 'mutation conflicts with another transaction, retry as needed (OC000)',
    });
    await first.query('COMMIT');
    await conflicting;
    await second.query('ROLLBACK');
    await first.end();
    await second.end();
  });

  test('one DDL per transaction, and never DDL beside DML (0A000); the block is aborted', async () => {
    const c = await connected();
    await c.query('CREATE TABLE ddl_rules (id int PRIMARY KEY)');
    await c.query('BEGIN');
    await c.query('CREATE TABLE ddl_rules_2 (id int PRIMARY KEY)');
    await assert.rejects(c.query('CREATE TABLE ddl_rules_3 (id int PRIMARY KEY)'), {
      code: '0A000',
      message: 'unsupported operation: only one DDL statement is allowed per transaction',
    });
    await c.query('ROLLBACK');
    await c.query('BEGIN');
    await c.query('INSERT INTO ddl_rules VALUES (1)');
    await assert.rejects(c.query('ALTER TABLE ddl_rules ADD COLUMN v int'), {
      code: '0A000',
      message: 'unsupported operation: DDL and DML are not allowed in the same transaction',
    });
    await c.query('ROLLBACK');
    await c.query('BEGIN');
    await c.query('CREATE TABLE ddl_rules_4 (id int PRIMARY KEY)');
    await assert.rejects(c.query('INSERT INTO ddl_rules VALUES ($1)', [2]), { code: '0A000' });
    await c.query('ROLLBACK');
    // Nothing of the refused blocks was kept; autocommit DDL and DML still work one after the other.
    const tables = await c.query(
      "SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'ddl_rules%'",
    );
    assert.equal(tables.rows[0].n, 1);
    await c.query('INSERT INTO ddl_rules VALUES (3)');
    await c.end();
  });

  test('a named prepared statement executed again (Bind without Parse) meets the same rules', async () => {
    // node-postgres parses a named statement once per connection and only binds it afterwards, as the
    // function does with its create statement: the rules must hold for each execution, not the Parse.
    const c = await connected();
    await c.query('CREATE TABLE named_rules (id int PRIMARY KEY)');
    const insert = (id: number) => ({
      name: 'named-insert',
      text: 'INSERT INTO named_rules VALUES ($1)',
      values: [id],
    });
    await c.query(insert(1));
    await c.query('BEGIN');
    await c.query('CREATE TABLE named_rules_2 (id int PRIMARY KEY)');
    await assert.rejects(c.query(insert(2)), {
      code: '0A000',
      message: 'unsupported operation: DDL and DML are not allowed in the same transaction',
    });
    await c.query('ROLLBACK');
    const ddl = { name: 'named-ddl', text: 'ALTER TABLE named_rules ADD COLUMN IF NOT EXISTS v int' };
    await c.query('BEGIN');
    await c.query(ddl);
    await assert.rejects(c.query(ddl), {
      code: '0A000',
      message: 'unsupported operation: only one DDL statement is allowed per transaction',
    });
    await c.query('ROLLBACK');
    await c.query(insert(3));
    assert.deepEqual((await c.query('SELECT id FROM named_rules ORDER BY id')).rows, [{ id: 1 }, { id: 3 }]);
    await c.end();
  });

  test('a schema change committed under an open transaction fails its COMMIT with OC001', async () => {
    const reader = await connected();
    const changer = await connected();
    await changer.query('CREATE TABLE oc001 (id int PRIMARY KEY)');
    await reader.query('BEGIN');
    await reader.query('SELECT count(*) FROM oc001');
    await changer.query('CREATE TABLE oc001_other (id int)');
    await assert.rejects(reader.query('COMMIT'), {
      code: '40001',
      message: 'schema has been updated by another transaction, please retry: (OC001)',
    });
    assert.equal((await reader.query('SELECT 1 AS one')).rows[0].one, 1, 'the session goes on');
    await reader.end();
    await changer.end();
  });

  test('CALL sys.wait_for_job and SET TRANSACTION are refused inside a block', async () => {
    const c = await connected();
    await c.query('BEGIN');
    await assert.rejects(c.query("CALL sys.wait_for_job('x')"), { code: '25001' });
    await c.query('ROLLBACK');
    await assert.rejects(c.query('BEGIN ISOLATION LEVEL SERIALIZABLE'), { code: '0A000' });
    await c.query('BEGIN');
    await assert.rejects(c.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED'), { code: '0A000' });
    await c.query('ROLLBACK');
    await c.end();
  });

  test('transaction age limit, also on a refused Parse followed by Sync', async () => {
    let clock = Date.now();
    const aged = await extraEndpoint({ limits: { transactionAgeMs: 1000 }, now: () => new Date(clock) });
    const c = await connected(await token(), { on: aged });
    await c.query('BEGIN');
    await c.query('SELECT 1');
    clock += 2000;
    await assert.rejects(c.query('SELECT 2'), {
      code: '54000',
      message: 'transaction age limit of 1s exceeded',
    });
    await c.query('ROLLBACK');
    await c.query('BEGIN');
    clock += 2000;
    // Parameterized: the refusal comes for the Parse, then pg's Sync must still get ReadyForQuery.
    await assert.rejects(c.query('SELECT $1::int AS n', [1]), { code: '54000' });
    await c.query('ROLLBACK');
    assert.equal((await c.query('SELECT $1::int AS n', [7])).rows[0].n, 7);
    await c.end();
  });

  test('the server closes a connection at the end of its lifetime', async () => {
    const short = await extraEndpoint({ limits: { connectionLifetimeMs: 300 } });
    const c = await connected(await token(), { on: short });
    // pg reports the server's FATAL, then the closed socket.
    const errors: Error[] = [];
    const closed = new Promise<void>((resolve) => c.once('end', resolve));
    c.on('error', (error) => errors.push(error));
    await closed;
    assert.match(errors[0]?.message ?? '', /maximum connection lifetime/);
    await assert.rejects(c.query('SELECT 1'));
  });

  test('connections per cluster are capped (53300)', async () => {
    const capped = await extraEndpoint({ limits: { connectionsPerCluster: 1 } });
    const first = await connected(await token(), { on: capped });
    const error = await refusal(await token(), { on: capped });
    assert.equal(error.code, '53300');
    assert.match(error.message, /too many connections/);
    const other = await connected(await token({ cluster: clusterB }), { on: capped, c: clusterB });
    await other.end();
    await first.end();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const again = await connected(await token(), { on: capped });
    await again.end();
  });
});
