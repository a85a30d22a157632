// The schema's one rendering, DSQL's: checked against the facts file's rules, and applied for real
// through the local DSQL endpoint (idempotent, healed after a crash between DDL and its record, index
// jobs waited on, resumed and rebuilt), and the function's role with exactly the grants it needs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { poolConfig } from '../../src/lib/dsql-connection.js';
import {
  applyMigrations,
  DSQL_SEQUENCE_CACHE,
  dropFunctionRole,
  ensureFunctionRole,
  MIGRATIONS,
  renderRoleStatements,
  renderSchema,
} from '../../src/lib/schema.js';
import { createTestDatabase, type TestDatabase } from './support.js';

const ROLE = { roleName: 'shop_app', iamRoleArn: 'arn:aws:iam::123456789012:role/shop-fn' };
const DDL_START = /^(CREATE|ALTER|DROP|GRANT|REVOKE|AWS IAM)\b/i;
const DML = /\b(INSERT|UPDATE|DELETE|MERGE|COPY)\b/i;

describe('the DSQL rendering follows the facts file', () => {
  const statements = [...renderSchema(), ...renderRoleStatements(ROLE)];

  test('it covers the seed’s objects', () => {
    const text = statements.join('\n');
    assert.match(
      text,
      /CREATE TABLE IF NOT EXISTS transactions \(id varchar\(255\) PRIMARY KEY, amount decimal\(10,2\) NOT NULL, "timestamp" timestamp NOT NULL, region varchar\(50\) NOT NULL, status varchar\(50\) DEFAULT 'pending'\)/,
    );
    assert.match(text, /INDEX ASYNC IF NOT EXISTS \w+ ON transactions \("timestamp"\)/);
    assert.match(text, /INDEX ASYNC IF NOT EXISTS \w+ ON transactions \("region"\)/);
    // DSQL's documented form puts CACHE right after the name.
    assert.match(text, /CREATE SEQUENCE IF NOT EXISTS transaction_seq CACHE 65536 START 1/);
    assert.match(text, /CREATE TABLE IF NOT EXISTS received_events \(event_id varchar\(255\) PRIMARY KEY/);
    assert.match(
      text,
      /CREATE TABLE IF NOT EXISTS outbox \(transaction_id varchar\(255\) PRIMARY KEY, origin_region varchar\(50\) NOT NULL, detail text NOT NULL, created_at timestamp NOT NULL, published_at timestamp, attempts integer NOT NULL DEFAULT 0, last_error text\)/,
    );
    assert.match(
      text,
      /CREATE INDEX ASYNC IF NOT EXISTS idx_outbox_published_at ON outbox \("published_at"\)/,
    );
    assert.match(
      text,
      /CREATE TABLE IF NOT EXISTS received_peer_events \(.*PRIMARY KEY \(transaction_id, origin_region\)\)/,
    );
    assert.match(text, /GRANT SELECT, INSERT, UPDATE ON outbox TO shop_app/);
    assert.match(text, /GRANT SELECT, INSERT ON received_peer_events TO shop_app/);
    assert.doesNotMatch(text, /ON received_events TO/, 'the retired table is no longer granted');
    assert.match(text, /CREATE TABLE IF NOT EXISTS schema_migrations/);
    assert.match(text, /AWS IAM GRANT shop_app TO 'arn:aws:iam::123456789012:role\/shop-fn'/);
  });

  test('every statement is exactly one DDL statement and no DML', () => {
    for (const sql of statements) {
      assert.match(sql, DDL_START, sql);
      assert.ok(!sql.includes(';'), `one statement only: ${sql}`);
      // GRANT names privileges such as INSERT; only other DDL is checked for DML words.
      if (!/^(GRANT|REVOKE)\b/.test(sql)) assert.doesNotMatch(sql, DML, `no DML in DDL: ${sql}`);
    }
  });

  test('every index is ASYNC with plain column keys', () => {
    const indexes = statements.filter((s) => /\bINDEX\b/i.test(s));
    assert.ok(indexes.length >= 2);
    for (const sql of indexes) {
      assert.match(sql, /^CREATE (UNIQUE )?INDEX ASYNC /, sql);
      assert.doesNotMatch(sql, /\b(ASC|DESC)\b/i, `no ASC/DESC in index keys: ${sql}`);
    }
  });

  test('every sequence has a CACHE DSQL accepts (1 or ≥ 65536)', () => {
    const sequences = statements.filter((s) => /\bSEQUENCE\b/i.test(s));
    assert.ok(sequences.length >= 1);
    for (const sql of sequences) {
      const cache = /\bCACHE (\d+)\b/.exec(sql);
      assert.ok(cache, `explicit CACHE: ${sql}`);
      const n = Number(cache[1]);
      assert.ok(n === 1 || n >= 65536, `valid CACHE: ${sql}`);
    }
    assert.equal(DSQL_SEQUENCE_CACHE, 65536);
  });

  test('nothing DSQL does not support', () => {
    const unsupported =
      /\b(REFERENCES|FOREIGN KEY|TRIGGER|SERIAL|BIGSERIAL|SMALLSERIAL|TRUNCATE|TEMP|TEMPORARY|EXTENSION|PARTITION|TABLESPACE|MATERIALIZED|SAVEPOINT|plpgsql|EXCLUDE)\b|CREATE TABLE \S+ AS\b/i;
    for (const sql of statements) assert.doesNotMatch(sql, unsupported, sql);
  });

  test('grants are on tables only: DSQL refuses schema-level GRANT and REVOKE', () => {
    for (const sql of statements) assert.doesNotMatch(sql, /\bON SCHEMA\b/i, sql);
  });

  test('role names and ARNs that could break out of the SQL are refused', () => {
    assert.throws(
      () => renderRoleStatements({ ...ROLE, roleName: 'app; DROP TABLE x' }),
      /Invalid database role/,
    );
    assert.throws(() => renderRoleStatements({ ...ROLE, roleName: 'admin' }), /Invalid database role/);
    assert.throws(
      () => renderRoleStatements({ ...ROLE, iamRoleArn: "arn:aws:iam::1:role/x'" }),
      /Invalid IAM role ARN/,
    );
  });
});

describe('applying the schema through the DSQL endpoint', () => {
  let db: TestDatabase;
  let admin: pg.Client;
  before(async () => {
    db = await createTestDatabase('schema');
    admin = await db.connectAdmin();
  });
  after(async () => {
    await admin?.end();
    await db?.drop();
  });

  const indexValid = async (name: string) =>
    (
      await db.admin.query<{ valid: boolean }>(
        'SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass($1)',
        [name],
      )
    ).rows[0]?.valid;

  test('each index was built by a job that was waited on', async () => {
    const jobs = await admin.query<{ object_name: string; status: string }>(
      'SELECT object_name, status FROM sys.jobs ORDER BY object_name',
    );
    assert.deepEqual(jobs.rows, [
      { object_name: 'idx_outbox_published_at', status: 'completed' },
      { object_name: 'idx_received_events_transaction_id', status: 'completed' },
      { object_name: 'idx_transactions_region', status: 'completed' },
      { object_name: 'idx_transactions_timestamp', status: 'completed' },
    ]);
    for (const { object_name } of jobs.rows) assert.equal(await indexValid(object_name), true, object_name);
  });

  test('a second run applies nothing and changes nothing', async () => {
    const recorded = await admin.query('SELECT id FROM schema_migrations ORDER BY id');
    assert.deepEqual(
      recorded.rows.map((r) => r.id),
      MIGRATIONS.map((m) => m.id),
    );
    assert.deepEqual(await applyMigrations(admin), { applied: [] });
  });

  test('a crash between a DDL and its record is healed by the next run', async () => {
    await db.admin.query(
      "DELETE FROM schema_migrations WHERE id IN ('002-transactions-timestamp-index', '005-received-events')",
    );
    const { applied } = await applyMigrations(admin);
    assert.deepEqual(applied, ['002-transactions-timestamp-index', '005-received-events']);
    assert.deepEqual(await applyMigrations(admin), { applied: [] });
  });

  test('each statement runs on its own: no explicit transaction, no DDL beside DML', async () => {
    const fresh = await createTestDatabase('schema2');
    const client = await fresh.connectAdmin();
    try {
      await fresh.admin.query(
        'DROP TABLE transactions, received_events, outbox, received_peer_events, schema_migrations CASCADE',
      );
      await fresh.admin.query('DROP SEQUENCE transaction_seq');
      const seen: string[] = [];
      const recording = new Proxy(client, {
        get(target, key, receiver) {
          if (key !== 'query') return Reflect.get(target, key, receiver);
          return (sql: string, values?: unknown[]) => {
            seen.push(sql);
            return target.query(sql, values);
          };
        },
      });
      const { applied } = await applyMigrations(recording);
      assert.equal(applied.length, MIGRATIONS.length);
      assert.ok(!seen.some((s) => /^\s*(BEGIN|START TRANSACTION|COMMIT)/i.test(s)), 'autocommit only');
      assert.equal(seen.filter((s) => s.startsWith('CALL sys.wait_for_job(')).length, 4);
      for (const sql of seen) {
        if (DDL_START.test(sql)) assert.doesNotMatch(sql, DML, sql);
        assert.ok(!sql.includes(';'), sql);
      }
    } finally {
      await client.end();
      await fresh.drop();
    }
  });

  test('an index job a killed run left building is waited on, not submitted again', async () => {
    const slow = await createTestDatabase('resume', { buildDelayMs: 400 });
    const client = await slow.connectAdmin();
    try {
      await client.query('DROP INDEX idx_transactions_region');
      await slow.admin.query("DELETE FROM schema_migrations WHERE id = '003-transactions-region-index'");
      // What a run killed after submitting leaves: a job, and nobody waiting for it.
      await client.query('CREATE INDEX ASYNC idx_transactions_region ON transactions ("region")');
      const { applied } = await applyMigrations(client);
      assert.deepEqual(applied, ['003-transactions-region-index']);
      const jobs = await client.query<{ status: string }>(
        "SELECT status FROM sys.jobs WHERE object_name = 'idx_transactions_region' ORDER BY start_time",
      );
      assert.deepEqual(
        jobs.rows.map((r) => r.status),
        ['completed', 'completed'],
        'the first build, then the resumed one; no third',
      );
      const valid = await slow.admin.query<{ valid: boolean }>(
        "SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass('idx_transactions_region')",
      );
      assert.equal(valid.rows[0]?.valid, true, 'built when the migration is recorded');
    } finally {
      await client.end();
      await slow.drop();
    }
  });

  test('an index whose job failed is dropped and built again by the next run', async () => {
    let failing = false;
    const flaky = await createTestDatabase('rebuild', {
      failJob: (job) =>
        failing && job.indexName === 'idx_transactions_region' ? 'injected build failure' : undefined,
    });
    const client = await flaky.connectAdmin();
    const valid = async () =>
      (
        await flaky.admin.query<{ valid: boolean }>(
          "SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass('idx_transactions_region')",
        )
      ).rows[0]?.valid;
    try {
      await client.query('DROP INDEX idx_transactions_region');
      await flaky.admin.query("DELETE FROM schema_migrations WHERE id = '003-transactions-region-index'");
      failing = true;
      await assert.rejects(applyMigrations(client), /Building index idx_transactions_region failed/);
      assert.equal(
        await valid(),
        false,
        'the failed build left an invalid index (IF NOT EXISTS would accept it)',
      );
      failing = false;
      assert.deepEqual(await applyMigrations(client), { applied: ['003-transactions-region-index'] });
      assert.equal(await valid(), true, 'rebuilt');
    } finally {
      await client.end();
      await flaky.drop();
    }
  });

  test('the function role can do exactly what the function does, through the endpoint', async () => {
    const { default: pgModule } = await import('pg');
    const asRole = new pgModule.Client(poolConfig(db.settings, db.roleName));
    await asRole.connect();
    try {
      await asRole.query(
        "INSERT INTO transactions (id, amount, \"timestamp\", region) VALUES ('g1', 1, now(), 'x')",
      );
      await asRole.query('SELECT count(*) FROM transactions');
      await asRole.query(
        "INSERT INTO received_peer_events (transaction_id, origin_region, received_region, event_id, amount, received_at) VALUES ('t', 'a', 'b', 'e', 1, now())",
      );
      await asRole.query(
        "INSERT INTO outbox (transaction_id, origin_region, detail, created_at) VALUES ('g1', 'x', '{}', now())",
      );
      await asRole.query(
        "UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE transaction_id = 'g1'",
      );
      const refused: Array<[string, string]> = [
        ["UPDATE transactions SET amount = 2 WHERE id = 'g1'", '42501'],
        ["DELETE FROM transactions WHERE id = 'g1'", '42501'],
        ['TRUNCATE transactions', '0A000'],
        ['DELETE FROM received_peer_events', '42501'],
        ["UPDATE received_peer_events SET amount = 2 WHERE transaction_id = 't'", '42501'],
        ['DELETE FROM outbox', '42501'],
        ['SELECT * FROM received_events', '42501'],
        ['SELECT * FROM schema_migrations', '42501'],
        ["SELECT nextval('transaction_seq')", '42501'],
        ['CREATE TABLE sneaky (x int)', '42501'],
        ['DROP TABLE transactions', '42501'],
        ["AWS IAM GRANT admin TO 'arn:aws:iam::123456789012:role/x'", '42501'],
      ];
      for (const [sql, code] of refused) {
        await assert.rejects(asRole.query(sql), (error: { code?: string }) => error.code === code, sql);
      }
    } finally {
      await asRole.end();
    }
  });

  test('a mapping revoked while a pool is open: new connections are refused (28000, no mapping)', async () => {
    const { default: pgModule } = await import('pg');
    const pool = new pgModule.Pool({ ...poolConfig(db.settings, db.roleName), max: 1 });
    try {
      await pool.query('SELECT 1');
      await admin.query(`AWS IAM REVOKE ${db.roleName} FROM '${db.iamRoleArn}'`);
      const fresh = new pgModule.Client(poolConfig(db.settings, db.roleName));
      await assert.rejects(fresh.connect(), (error: { code?: string; message: string }) => {
        assert.equal(error.code, '28000');
        assert.match(error.message, /has no IAM mapping/);
        return true;
      });
    } finally {
      await pool.end();
      await admin.query(`AWS IAM GRANT ${db.roleName} TO '${db.iamRoleArn}'`);
    }
  });

  test('ensureFunctionRole and dropFunctionRole are idempotent, the IAM mapping included', async () => {
    const spec = { roleName: `${db.roleName}_x`, iamRoleArn: db.iamRoleArn };
    const mapped = async () =>
      (
        await admin.query('SELECT arn FROM sys.iam_pg_role_mappings WHERE pg_role_name = $1', [spec.roleName])
      ).rows.map((r) => r.arn);
    assert.deepEqual(await ensureFunctionRole(admin, spec), { changed: true });
    assert.deepEqual(await mapped(), [spec.iamRoleArn]);
    assert.deepEqual(await ensureFunctionRole(admin, spec), { changed: false }, 'no second AWS IAM GRANT');
    await admin.query(`REVOKE INSERT ON received_peer_events FROM ${spec.roleName}`);
    assert.deepEqual(await ensureFunctionRole(admin, spec), { changed: true }, 'a lost grant is restored');
    // A role deployed before the outbox still holds grants on the retired table: they are revoked.
    await admin.query(`GRANT SELECT, INSERT ON received_events TO ${spec.roleName}`);
    assert.deepEqual(await ensureFunctionRole(admin, spec), { changed: true });
    const retired = await admin.query(
      "SELECT has_table_privilege($1, 'received_events', 'SELECT') OR has_table_privilege($1, 'received_events', 'INSERT') AS ok",
      [spec.roleName],
    );
    assert.equal(retired.rows[0].ok, false, 'no grant left on received_events');
    assert.deepEqual(await ensureFunctionRole(admin, spec), { changed: false });
    const login = await admin.query('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [spec.roleName]);
    assert.equal(login.rows[0].rolcanlogin, true);
    assert.deepEqual(await dropFunctionRole(admin, spec), { changed: true });
    assert.deepEqual(await mapped(), [], 'mapping revoked');
    assert.deepEqual(
      await dropFunctionRole(admin, spec),
      { changed: false },
      'no revoke of a missing mapping',
    );
    const gone = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [spec.roleName]);
    assert.equal(gone.rowCount, 0);
  });
});
