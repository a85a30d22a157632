// The local DSQL endpoint's statement half: which statements DSQL refuses (by statement text), and
// the DSQL-only statements, run rewritten against the throwaway PostgreSQL as the non-superuser
// `admin` the endpoint's front logs in as.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createStatement } from '../../lambda-bundle/src/store.js';
import {
  installSystemSchema,
  judge,
  loadParser,
  mappingsFor,
  startIndexJobs,
  type Verdict,
} from '../../src/lib/local-cloud/testing.js';
import { renderRoleStatements, renderSchema, TABLES } from '../../src/lib/schema.js';

before(loadParser);

function one(sql: string): Verdict {
  const verdicts = judge(sql);
  assert.equal(verdicts.length, 1, `one verdict for ${sql}`);
  return verdicts[0] as Verdict;
}

describe('DSQL statement rules: refusals', () => {
  const refusals: Array<[sql: string, sqlstate: string, message: RegExp]> = [
    ['CREATE INDEX idx_t ON t (a)', '0A000', /^unsupported mode\. please use CREATE INDEX ASYNC\.$/],
    ['CREATE UNIQUE INDEX IF NOT EXISTS idx_t ON t (a)', '0A000', /CREATE INDEX ASYNC/],
    ['CREATE INDEX ASYNC idx_t ON t (a DESC)', '0A000', /ASC and DESC/],
    ['CREATE TABLE c (id int, p int REFERENCES parent (id))', '0A000', /FOREIGN KEY/],
    ['CREATE TABLE c (id int, p int, FOREIGN KEY (p) REFERENCES parent (id))', '0A000', /FOREIGN KEY/],
    ['ALTER TABLE c ADD CONSTRAINT fk FOREIGN KEY (p) REFERENCES parent (id)', '0A000', /FOREIGN KEY/],
    ['CREATE TEMPORARY TABLE scratch (a int)', '0A000', /temporary tables/],
    ['CREATE TEMP TABLE scratch (a int)', '0A000', /temporary tables/],
    [
      'CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()',
      '0A000',
      /triggers are not supported/,
    ],
    ['TRUNCATE t', '0A000', /TRUNCATE/],
    ['SAVEPOINT s1', '0A000', /SAVEPOINT/],
    ['ROLLBACK TO SAVEPOINT s1', '0A000', /SAVEPOINT/],
    ['RELEASE SAVEPOINT s1', '0A000', /SAVEPOINT/],
    ['CREATE EXTENSION pgcrypto', '0A000', /extensions/],
    [
      'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$',
      '0A000',
      /only LANGUAGE sql/,
    ],
    ["CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS 'return 1'", '0A000', /only LANGUAGE sql/],
    ['DO $$ BEGIN PERFORM 1; END $$', '0A000', /only LANGUAGE sql/],
    ['CREATE TABLE m (a int, b date) PARTITION BY RANGE (b)', '0A000', /partition/],
    ['CREATE TABLE m1 PARTITION OF m FOR VALUES FROM (1) TO (2)', '0A000', /partition/],
    ["CREATE TABLESPACE ts LOCATION '/tmp/ts'", '0A000', /tablespaces/],
    ['CREATE TABLE t (a int) TABLESPACE ts', '0A000', /tablespaces/],
    ['CREATE TABLE copy AS SELECT * FROM t', '0A000', /CREATE TABLE AS/],
    ['SELECT * INTO copy FROM t', '0A000', /CREATE TABLE AS/],
    ['CREATE MATERIALIZED VIEW mv AS SELECT 1', '0A000', /materialized views/],
    [
      'CREATE SEQUENCE s START 1',
      '0A000',
      /^CREATE SEQUENCE is not supported without an explicit cache size$/,
    ],
    ['CREATE SEQUENCE IF NOT EXISTS s CACHE 100 START 1', '0A000', /CACHE must be 1 or at least 65536/],
    ['ALTER SEQUENCE s CACHE 2', '0A000', /CACHE must be 1 or at least 65536/],
    ['CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY)', '0A000', /explicit cache size/],
    ['CREATE TABLE t (id serial PRIMARY KEY)', '0A000', /SERIAL/],
    ['CREATE TABLE t (id bigserial PRIMARY KEY)', '0A000', /SERIAL/],
    ['ALTER TABLE t ADD COLUMN n smallserial', '0A000', /SERIAL/],
    ['GRANT USAGE ON SCHEMA public TO app', '0A000', /^feature not supported on system entity$/],
    ['REVOKE ALL ON SCHEMA public FROM app', '0A000', /^feature not supported on system entity$/],
    ['BEGIN ISOLATION LEVEL SERIALIZABLE', '0A000', /only REPEATABLE READ/],
    ['START TRANSACTION ISOLATION LEVEL READ COMMITTED', '0A000', /only REPEATABLE READ/],
    ['SET TRANSACTION ISOLATION LEVEL SERIALIZABLE', '0A000', /SET TRANSACTION is not supported/],
    ['SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED', '0A000', /SET TRANSACTION/],
    ["SELECT sys.wait_for_job('abc')", '42809', /CALL sys\.wait_for_job/],
    ['SELECT sys.wait_for_job($1) AS ok', '42809', /is a procedure/],
    ['CREATE DATABASE other', '0A000', /other databases/],
    ['VACUUM t', '0A000', /VACUUM/],
    [
      'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.a)',
      '0A000',
      /^MERGE is not supported/,
    ],
    ["ALTER SYSTEM SET work_mem = '1MB'", '0A000', /ALTER SYSTEM/],
    ['AWS IAM GRANT app TO $1', '42601', /syntax error at or near "\$1"/],
    ['AWS IAM REVOKE app FROM $1', '42601', /syntax error at or near "\$1"/],
    ["AWS IAM GRANT app 'arn:aws:iam::123456789012:role/r'", '42601', /syntax error/],
    ['SELEKT 1', '42601', /syntax error at or near "SELEKT"/],
  ];
  for (const [sql, sqlstate, message] of refusals) {
    it(`refuses ${sql}`, () => {
      const verdict = one(sql);
      assert.equal(verdict.action, 'refuse');
      if (verdict.action !== 'refuse') return;
      assert.equal(verdict.sqlstate, sqlstate);
      assert.match(verdict.message, message);
    });
  }

  it('refuses a whole simple query when any statement has a syntax error, as PostgreSQL does', () => {
    assert.deepEqual(
      judge('SELECT 1; SELEKT 2').map((v) => v.action),
      ['refuse'],
    );
  });
});

describe('DSQL statement rules: statements that pass', () => {
  const spec = { roleName: 'shop_app', iamRoleArn: 'arn:aws:iam::123456789012:role/shop-fn' };
  const T = TABLES.transactions;
  const R = TABLES.receivedEvents;
  const passing = [
    ...renderSchema(),
    ...renderRoleStatements(spec),
    // What applyMigrations runs around an index job (src/lib/schema.ts).
    "CALL sys.wait_for_job('abc123')",
    "SELECT job_id, status FROM sys.jobs WHERE object_name = $1 AND job_type = 'INDEX_BUILD' ORDER BY start_time DESC LIMIT 1",
    'DROP INDEX IF EXISTS idx_transactions_region',
    `REVOKE ALL ON ${T} FROM shop_app`,
    'DROP ROLE IF EXISTS shop_app',
    `AWS IAM REVOKE shop_app FROM '${spec.iamRoleArn}'`,
    `INSERT INTO ${TABLES.migrations} (id, applied_at) VALUES ($1, now()) ON CONFLICT (id) DO NOTHING`,
    // The function's queries (lambda-bundle/src/store.ts). Its create is one statement with
    // data-modifying WITH parts, which DSQL's grammar has (see createStatement).
    createStatement({
      id: 'a',
      amount: '1.00',
      region: 'x',
      timestamp: new Date().toISOString(),
      eventDetail: '{}',
    }).text,
    `INSERT INTO ${T} (id, amount, "timestamp", region) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING id, amount, "timestamp", region, status`,
    `SELECT id, amount, "timestamp", region, status FROM ${T} WHERE id = $1`,
    `SELECT count(*) AS count FROM ${T}`,
    `SELECT id, amount, "timestamp", region, status FROM ${T} ORDER BY "timestamp" DESC, id DESC LIMIT $1`,
    `INSERT INTO ${R} (event_id, transaction_id, origin_region, received_region, amount, event_time, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING`,
    `SELECT event_id, transaction_id, origin_region, received_region, received_at FROM ${R} WHERE transaction_id = $1 ORDER BY received_at, event_id`,
    `INSERT INTO ${T} (id, amount, "timestamp", region) VALUES ('a', 1, now(), 'x') ON CONFLICT (id) DO UPDATE SET amount = excluded.amount`,
    'BEGIN',
    'COMMIT',
    'BEGIN ISOLATION LEVEL REPEATABLE READ',
    'BEGIN READ ONLY',
    `SELECT id FROM ${T} WHERE id = 'a' FOR UPDATE`,
    "CALL sys.wait_for_job('abc')",
    'SELECT * FROM sys.jobs',
    'SELECT arn FROM sys.iam_pg_role_mappings',
    'CREATE SEQUENCE s CACHE 1',
    'CREATE TABLE t (id bigint GENERATED BY DEFAULT AS IDENTITY (CACHE 65536) PRIMARY KEY)',
    'CREATE FUNCTION add1(x int) RETURNS int LANGUAGE sql AS $$ SELECT x + 1 $$',
    'CREATE FUNCTION add2(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC; SELECT x + 2; END',
  ];
  for (const sql of passing) {
    it(`forwards ${sql}`, () => {
      const verdict = one(sql);
      assert.equal(verdict.action, 'forward', JSON.stringify(verdict));
    });
  }

  it('flags DDL, DML and transaction control for the session', () => {
    const verdicts = judge(
      "BEGIN; CREATE TABLE x (a int); INSERT INTO x VALUES (1); WITH d AS (DELETE FROM x RETURNING a) SELECT * FROM d; SELECT 'é;'; COMMIT; ROLLBACK",
    );
    const flags = verdicts.map((v) =>
      v.action === 'forward' ? [v.ddl, v.dml, v.transaction ?? null] : [v.action],
    );
    assert.deepEqual(flags, [
      [false, false, 'begin'],
      [true, false, null],
      [false, true, null],
      [false, true, null],
      [false, false, null],
      [false, false, 'commit'],
      [false, false, 'rollback'],
    ]);
    const select = verdicts[4];
    assert.equal(select?.action === 'forward' && select.sql, "SELECT 'é;'");
  });

  it('marks CALL sys.wait_for_job as refused inside a transaction block, and CREATE INDEX ASYNC as DDL', () => {
    const call = one("CALL sys.wait_for_job('abc')");
    assert.equal(call.action === 'forward' && call.outsideTransactionOnly, true);
    const index = one('CREATE INDEX ASYNC i ON t (a)');
    assert.equal(index.action === 'forward' && index.ddl, true);
  });
});

// ── against PostgreSQL ─────────────────────────────────────────────────────────────────────────

describe('DSQL-only statements on the backend', () => {
  const baseUrl = process.env.DSQLCTL_TEST_PG_URL;
  const database = `dsql_statements_${process.pid}`;
  const suffix = String(process.pid);
  let superuser: pg.Client;
  let admin: pg.Client;
  let clock = 0;
  const urlFor = (user?: string) => {
    if (!baseUrl) throw new Error('DSQLCTL_TEST_PG_URL is not set: run through scripts/test.mjs');
    const url = new URL(baseUrl);
    url.pathname = `/${database}`;
    if (user) {
      url.username = user;
      url.password = '';
    }
    return url.toString();
  };
  const connectSuperuser = async () => {
    const client = new pg.Client({ connectionString: urlFor() });
    await client.connect();
    return client;
  };
  const connectAs = async (user: string) => {
    const client = new pg.Client({ connectionString: urlFor(user) });
    await client.connect();
    return client;
  };
  const failing = new Set<string>();
  const newWorker = () =>
    startIndexJobs({
      connect: connectSuperuser,
      buildDelayMs: 1000,
      now: () => clock,
      failJob: (job) => (failing.has(job.indexName) ? 'injected fault: build failed' : undefined),
    });

  /** Runs a client's statement as the front will: judged, then the forwarded SQL on the backend. */
  async function run(client: pg.Client, sql: string, values?: unknown[]) {
    const verdicts = judge(sql);
    let result: pg.QueryResult | undefined;
    for (const verdict of verdicts) {
      if (verdict.action === 'refuse') {
        throw Object.assign(new Error(verdict.message), { code: verdict.sqlstate });
      }
      result = await client.query(verdict.sql, values);
    }
    return result as pg.QueryResult;
  }

  before(async () => {
    const server = new pg.Client({ connectionString: baseUrl });
    await server.connect();
    await server.query(`DROP DATABASE IF EXISTS ${database}`);
    await server.query(`CREATE DATABASE ${database}`);
    await server.end();
    superuser = await connectSuperuser();
    await installSystemSchema(superuser);
    await installSystemSchema(superuser); // idempotent
    admin = await connectAs('admin');
    await run(admin, 'CREATE TABLE items (id int PRIMARY KEY, sku text, owner text)');
    await run(admin, "INSERT INTO items VALUES (1, 'a', 'x'), (2, 'a', 'y'), (3, 'b', 'y')");
  });
  after(async () => {
    await admin?.end();
    await superuser?.end();
    const server = new pg.Client({ connectionString: baseUrl });
    await server.connect();
    await server.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    for (const role of [`app_${suffix}`, `other_${suffix}`])
      await server.query(`DROP ROLE IF EXISTS ${role}`);
    await server.end();
  });

  const indexValidity = async (name: string) =>
    (
      await superuser.query<{ valid: boolean }>(
        'SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass($1)',
        [name],
      )
    ).rows[0]?.valid;
  const jobStatus = async (jobId: string) =>
    (await run(admin, 'SELECT status, job_type, object_name FROM sys.jobs WHERE job_id = $1', [jobId]))
      .rows[0];

  it('admin is not a superuser', async () => {
    const result = await admin.query(
      'SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user',
    );
    assert.deepEqual(result.rows[0], { rolsuper: false, rolcreaterole: true });
  });

  it('CREATE INDEX ASYNC answers a job_id; the worker builds it; CALL sys.wait_for_job answers true', async () => {
    const submitted = await run(admin, 'CREATE INDEX ASYNC idx_items_sku ON items (sku)');
    assert.equal(submitted.rows.length, 1);
    const jobId = submitted.rows[0].job_id as string;
    assert.match(jobId, /^[a-z0-9]+$/);
    assert.deepEqual(await jobStatus(jobId), {
      status: 'submitted',
      job_type: 'INDEX_BUILD',
      object_name: 'idx_items_sku',
    });
    assert.equal(await indexValidity('idx_items_sku'), undefined);
    const worker = newWorker();
    await worker.runOnce();
    assert.equal((await jobStatus(jobId))?.status, 'processing');
    assert.equal(await indexValidity('idx_items_sku'), undefined, 'not built before its delay');
    clock += 1000;
    await worker.runOnce();
    await worker.stop();
    assert.equal((await jobStatus(jobId))?.status, 'completed');
    assert.equal(await indexValidity('idx_items_sku'), true);
    // Simple protocol and a bound parameter (node-postgres's extended protocol) alike.
    const waited = await run(admin, `CALL sys.wait_for_job('${jobId}')`);
    assert.deepEqual(waited.rows, [{ wait_for_job: true }]);
    const bound = await run(admin, 'CALL sys.wait_for_job($1)', [jobId]);
    assert.deepEqual(bound.rows, [{ wait_for_job: true }]);
  });

  it('IF NOT EXISTS on a taken name answers no job; without it the name is an error (42P07)', async () => {
    const again = await run(admin, 'CREATE INDEX ASYNC IF NOT EXISTS idx_items_sku ON items (sku)');
    assert.equal(again.rows[0].job_id, null);
    await assert.rejects(run(admin, 'CREATE INDEX ASYNC idx_items_sku ON items (sku)'), { code: '42P07' });
    await assert.rejects(run(admin, 'CREATE INDEX ASYNC idx_nowhere ON missing (a)'), { code: '42P01' });
  });

  it('CALL sys.wait_for_job blocks until the job ends, and is refused inside a transaction block', async () => {
    const { job_id: jobId } = (await run(admin, 'CREATE INDEX ASYNC ON items (owner)')).rows[0];
    const worker = startIndexJobs({ connect: connectSuperuser, buildDelayMs: 0, pollMs: 20 });
    try {
      const waited = await run(admin, 'CALL sys.wait_for_job($1)', [jobId]);
      assert.deepEqual(waited.rows, [{ wait_for_job: true }]);
      assert.equal(await indexValidity('items_owner_idx'), true, 'DSQL names it <table>_<columns>_idx');
    } finally {
      await worker.stop();
    }
    // The session refuses it in a block (outsideTransactionOnly); the backend would too while it waits.
    const pending = (await run(admin, 'CREATE INDEX ASYNC idx_items_pending ON items (sku, owner)')).rows[0];
    await admin.query('BEGIN');
    try {
      await assert.rejects(run(admin, 'CALL sys.wait_for_job($1)', [pending.job_id]), { code: '2D000' });
    } finally {
      await admin.query('ROLLBACK');
    }
    const cancel = await superuser.query(
      "UPDATE dsql_internal.jobs SET status = 'cancelled' WHERE job_id = $1",
      [pending.job_id],
    );
    assert.equal(cancel.rowCount, 1);
  });

  it('an idle worker wakes for a submission and again when its build is due, without a pass asked', async () => {
    let now = 0;
    const worker = startIndexJobs({ connect: connectSuperuser, buildDelayMs: 1000, now: () => now });
    try {
      await worker.runOnce(); // idle now: nothing submitted, nothing building
      const { job_id: jobId } = (await run(admin, 'CREATE INDEX ASYNC idx_items_woken ON items (owner, sku)'))
        .rows[0];
      const status = async () =>
        (await run(admin, 'SELECT status FROM sys.jobs WHERE job_id = $1', [jobId])).rows[0]?.status;
      // The submission's notification makes the next due check a pass: the job is processing.
      for (let i = 0; i < 100 && (await status()) === 'submitted'; i++) {
        await worker.runWhenDue();
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(await status(), 'processing');
      await worker.runWhenDue();
      assert.equal(await status(), 'processing', 'not built before its build delay');
      now += 1000;
      await worker.runWhenDue();
      assert.equal(await status(), 'completed', 'built once due, with no notification');
      assert.equal(await indexValidity('idx_items_woken'), true);
    } finally {
      await worker.stop();
    }
  });

  it('a failed job (fault) answers false and leaves no valid index', async () => {
    failing.add('idx_items_fails');
    const { job_id: jobId } = (await run(admin, 'CREATE INDEX ASYNC idx_items_fails ON items (id, sku)'))
      .rows[0];
    const worker = newWorker();
    await worker.runOnce();
    clock += 1000;
    await worker.runOnce();
    await worker.stop();
    const [job] = (await run(admin, 'SELECT status, details FROM sys.jobs WHERE job_id = $1', [jobId])).rows;
    assert.deepEqual(job, { status: 'failed', details: 'injected fault: build failed' });
    assert.equal(await indexValidity('idx_items_fails'), false);
    assert.deepEqual((await run(admin, `CALL sys.wait_for_job('${jobId}')`)).rows, [{ wait_for_job: false }]);
  });

  it('a UNIQUE index over duplicates fails like a real build, leaving an INVALID index', async () => {
    const { job_id: jobId } = (
      await run(admin, 'CREATE UNIQUE INDEX ASYNC idx_items_sku_unique ON items (sku)')
    ).rows[0];
    const worker = newWorker();
    await worker.runOnce();
    clock += 1000;
    await worker.runOnce();
    await worker.stop();
    const [job] = (await run(admin, 'SELECT status, details FROM sys.jobs WHERE job_id = $1', [jobId])).rows;
    assert.equal(job.status, 'failed');
    assert.match(job.details, /could not create unique index/);
    assert.equal(await indexValidity('idx_items_sku_unique'), false);
  });

  it('jobs survive a restart of the worker: their state is in the backend', async () => {
    const { job_id: jobId } = (
      await run(admin, 'CREATE INDEX ASYNC idx_items_owner_sku ON items (owner, sku)')
    ).rows[0];
    const first = newWorker();
    await first.runOnce();
    await first.stop();
    assert.equal((await jobStatus(jobId))?.status, 'processing');
    clock += 1000;
    const second = newWorker();
    await second.runOnce();
    await second.stop();
    assert.equal((await jobStatus(jobId))?.status, 'completed');
    assert.equal(await indexValidity('idx_items_owner_sku'), true);
  });

  it('AWS IAM GRANT maps a role; sys.iam_pg_role_mappings and mappingsFor show it; DROP ROLE waits for REVOKE', async () => {
    const role = `app_${suffix}`;
    const arn = 'arn:aws:iam::123456789012:role/shop-fn';
    await run(admin, `CREATE ROLE ${role} WITH LOGIN`);
    await run(admin, `AWS IAM GRANT ${role} TO '${arn}'`);
    const rows = (await run(admin, 'SELECT * FROM sys.iam_pg_role_mappings WHERE pg_role_name = $1', [role]))
      .rows;
    assert.equal(rows.length, 1);
    assert.deepEqual(Object.keys(rows[0]), [
      'iam_oid',
      'arn',
      'pg_role_oid',
      'pg_role_name',
      'grantor_pg_role_oid',
      'grantor_pg_role_name',
    ]);
    assert.equal(rows[0].arn, arn);
    assert.equal(rows[0].grantor_pg_role_name, 'admin');
    assert.deepEqual(await mappingsFor(superuser, role), [arn]);
    await assert.rejects(run(admin, `AWS IAM GRANT ${role} TO '${arn}'`), { code: '42710' });
    await assert.rejects(run(admin, `AWS IAM GRANT ${role} TO 'not-an-arn'`), { code: '22023' });
    await assert.rejects(run(admin, `AWS IAM GRANT nobody_${suffix} TO '${arn}'`), { code: '42704' });
    await assert.rejects(run(admin, `DROP ROLE ${role}`), { code: '2BP01' });
    await run(admin, `AWS IAM REVOKE ${role} FROM '${arn}'`);
    assert.deepEqual(await mappingsFor(superuser, role), []);
    await assert.rejects(run(admin, `AWS IAM REVOKE ${role} FROM '${arn}'`), { code: '42704' });
    await run(admin, `DROP ROLE ${role}`);
    const left = await superuser.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    assert.equal(left.rowCount, 0);
  });

  it('only admin maps roles or reads the system views', async () => {
    const role = `other_${suffix}`;
    await run(admin, `CREATE ROLE ${role} WITH LOGIN`);
    const other = await connectAs(role);
    try {
      await assert.rejects(run(other, `AWS IAM GRANT ${role} TO 'arn:aws:iam::123456789012:role/x'`), {
        code: '42501',
      });
      await assert.rejects(run(other, 'SELECT * FROM sys.jobs'), { code: '42501' });
      await assert.rejects(run(other, 'SELECT * FROM sys.iam_pg_role_mappings'), { code: '42501' });
      await assert.rejects(run(other, 'CREATE INDEX ASYNC idx_not_mine ON items (sku)'), { code: '42501' });
    } finally {
      await other.end();
    }
  });
});
