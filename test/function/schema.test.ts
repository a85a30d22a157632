// The schema's two renderings: the DSQL one checked against the facts file's rules, the PostgreSQL
// one applied for real (idempotent, healed after a crash between DDL and its record), and the
// function's role with exactly the grants it needs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
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
  const statements = [...renderSchema('dsql'), ...renderRoleStatements('dsql', ROLE)];

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

  test('the PostgreSQL rendering differs only where DSQL needs it', () => {
    const postgres = renderSchema('postgres');
    const dsql = renderSchema('dsql');
    assert.equal(postgres.length, dsql.length);
    postgres.forEach((sql, i) => {
      assert.equal(sql, dsql[i]?.replace(' ASYNC', '').replace(/ CACHE \d+/, ''));
    });
    assert.ok(!renderRoleStatements('postgres', ROLE).some((s) => s.startsWith('AWS IAM')));
  });

  test('role names and ARNs that could break out of the SQL are refused', () => {
    assert.throws(
      () => renderRoleStatements('dsql', { ...ROLE, roleName: 'app; DROP TABLE x' }),
      /Invalid database role/,
    );
    assert.throws(
      () => renderRoleStatements('dsql', { ...ROLE, roleName: 'admin' }),
      /Invalid database role/,
    );
    assert.throws(
      () => renderRoleStatements('dsql', { ...ROLE, iamRoleArn: "arn:aws:iam::1:role/x'" }),
      /Invalid IAM role ARN/,
    );
  });
});

describe('applying the PostgreSQL rendering', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('schema');
  });
  after(async () => {
    await db?.drop();
  });

  test('a second run applies nothing and changes nothing', async () => {
    const recorded = await db.admin.query('SELECT id FROM schema_migrations ORDER BY id');
    assert.deepEqual(
      recorded.rows.map((r) => r.id),
      MIGRATIONS.map((m) => m.id),
    );
    assert.deepEqual(await applyMigrations(db.admin, 'postgres'), { applied: [] });
    const indexes = await db.admin.query(
      "SELECT indexname FROM pg_indexes WHERE tablename = 'transactions' AND indexname LIKE 'idx_%' ORDER BY 1",
    );
    assert.deepEqual(
      indexes.rows.map((r) => r.indexname),
      ['idx_transactions_region', 'idx_transactions_timestamp'],
    );
  });

  test('a crash between a DDL and its record is healed by the next run', async () => {
    await db.admin.query(
      "DELETE FROM schema_migrations WHERE id IN ('002-transactions-timestamp-index', '005-received-events')",
    );
    const { applied } = await applyMigrations(db.admin, 'postgres');
    assert.deepEqual(applied, ['002-transactions-timestamp-index', '005-received-events']);
    assert.deepEqual(await applyMigrations(db.admin, 'postgres'), { applied: [] });
  });

  test('each statement runs on its own: no explicit transaction, no DDL beside DML', async () => {
    const fresh = await createTestDatabase('schema2');
    try {
      await fresh.admin.query(
        'DROP TABLE transactions, received_events, outbox, received_peer_events, schema_migrations CASCADE',
      );
      await fresh.admin.query('DROP SEQUENCE transaction_seq');
      const seen: string[] = [];
      const recording = new Proxy(fresh.admin, {
        get(target, key, receiver) {
          if (key !== 'query') return Reflect.get(target, key, receiver);
          return (sql: string, values?: unknown[]) => {
            seen.push(sql);
            return target.query(sql, values);
          };
        },
      });
      const { applied } = await applyMigrations(recording, 'postgres');
      assert.equal(applied.length, MIGRATIONS.length);
      assert.ok(!seen.some((s) => /^\s*(BEGIN|START TRANSACTION|COMMIT)/i.test(s)), 'autocommit only');
      for (const sql of seen) {
        if (DDL_START.test(sql)) assert.doesNotMatch(sql, DML, sql);
        assert.ok(!sql.includes(';'), sql);
      }
    } finally {
      await fresh.drop();
    }
  });

  test('the function role can do exactly what the function does', async () => {
    const asRole = new pg.Client({ connectionString: db.url(db.roleName) });
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
      const refused = [
        "UPDATE transactions SET amount = 2 WHERE id = 'g1'",
        "DELETE FROM transactions WHERE id = 'g1'",
        'TRUNCATE transactions',
        'DELETE FROM received_peer_events',
        "UPDATE received_peer_events SET amount = 2 WHERE transaction_id = 't'",
        'DELETE FROM outbox',
        'SELECT * FROM received_events',
        'SELECT * FROM schema_migrations',
        "SELECT nextval('transaction_seq')",
        'CREATE TABLE sneaky (x int)',
        'DROP TABLE transactions',
      ];
      for (const sql of refused) {
        await assert.rejects(asRole.query(sql), (error: { code?: string }) => error.code === '42501', sql);
      }
    } finally {
      await asRole.end();
    }
  });

  test('the DSQL path waits on each index job and maps the IAM role once', async () => {
    // DSQL's SQL extensions, answered over the real PostgreSQL by a thin double that also enforces
    // DSQL's refusals (plain CREATE INDEX, a sequence without CACHE, revoking a missing mapping).
    const fresh = await createTestDatabase('dsqlpath');
    const jobs: string[] = [];
    const waited: string[] = [];
    const mappings: Array<{ arn: string; pg_role_name: string }> = [];
    const rows = (list: object[]) => ({ rows: list, rowCount: list.length });
    const dsql = new Proxy(fresh.admin, {
      get(target, key, receiver) {
        if (key !== 'query') return Reflect.get(target, key, receiver);
        return async (sql: string, values: string[] = []) => {
          if (/^CREATE INDEX (?!ASYNC)/.test(sql))
            throw Object.assign(new Error('unsupported mode'), { code: '0A000' });
          if (/^CREATE SEQUENCE/.test(sql) && !/CACHE (1|\d{5,})\b/.test(sql)) throw new Error('no CACHE');
          if (sql.startsWith('CREATE INDEX ASYNC')) {
            await target.query(sql.replace(' ASYNC', ''));
            jobs.push(`job-${jobs.length + 1}`);
            return rows([{ job_id: jobs.at(-1) }]);
          }
          if (sql.includes('sys.wait_for_job')) {
            waited.push(values[0] ?? '');
            return rows([{ ok: true }]);
          }
          if (sql.includes('sys.iam_pg_role_mappings')) {
            return rows(mappings.filter((m) => m.pg_role_name === values[0] && m.arn === values[1]));
          }
          const grant = /^AWS IAM (GRANT|REVOKE) (\w+) (?:TO|FROM) '([^']+)'$/.exec(sql);
          if (grant) {
            const [, verb, role = '', arn = ''] = grant;
            const at = mappings.findIndex((m) => m.pg_role_name === role && m.arn === arn);
            if (verb === 'GRANT') mappings.push({ arn, pg_role_name: role });
            else if (at < 0) throw new Error('mapping does not exist');
            else mappings.splice(at, 1);
            return rows([]);
          }
          return target.query(sql, values);
        };
      },
    });
    try {
      await fresh.admin.query(
        'DROP TABLE transactions, received_events, outbox, received_peer_events, schema_migrations CASCADE',
      );
      await fresh.admin.query('DROP SEQUENCE transaction_seq');
      const { applied } = await applyMigrations(dsql, 'dsql');
      assert.equal(applied.length, MIGRATIONS.length);
      assert.equal(jobs.length, 4, 'four ASYNC indexes');
      assert.deepEqual(waited, jobs, 'each job waited on');
      const spec = { roleName: `${fresh.roleName}_d`, iamRoleArn: fresh.iamRoleArn };
      assert.deepEqual(await ensureFunctionRole(dsql, 'dsql', spec), { changed: true });
      assert.deepEqual(mappings, [{ arn: spec.iamRoleArn, pg_role_name: spec.roleName }]);
      assert.deepEqual(
        await ensureFunctionRole(dsql, 'dsql', spec),
        { changed: false },
        'no second AWS IAM GRANT',
      );
      assert.equal(mappings.length, 1);
      assert.deepEqual(await dropFunctionRole(dsql, 'dsql', spec), { changed: true });
      assert.deepEqual(mappings, [], 'mapping revoked');
      assert.deepEqual(
        await dropFunctionRole(dsql, 'dsql', spec),
        { changed: false },
        'no revoke of a missing mapping',
      );
    } finally {
      await fresh.drop();
    }
  });

  test('ensureFunctionRole and dropFunctionRole are idempotent', async () => {
    const spec = { roleName: `${db.roleName}_x`, iamRoleArn: db.iamRoleArn };
    assert.deepEqual(await ensureFunctionRole(db.admin, 'postgres', spec), { changed: true });
    assert.deepEqual(await ensureFunctionRole(db.admin, 'postgres', spec), { changed: false });
    await db.admin.query(`REVOKE INSERT ON received_peer_events FROM ${spec.roleName}`);
    assert.deepEqual(
      await ensureFunctionRole(db.admin, 'postgres', spec),
      { changed: true },
      'a lost grant is restored',
    );
    // A role deployed before the outbox still holds grants on the retired table: they are revoked.
    await db.admin.query(`GRANT SELECT, INSERT ON received_events TO ${spec.roleName}`);
    assert.deepEqual(await ensureFunctionRole(db.admin, 'postgres', spec), { changed: true });
    const retired = await db.admin.query(
      "SELECT has_table_privilege($1, 'received_events', 'SELECT') OR has_table_privilege($1, 'received_events', 'INSERT') AS ok",
      [spec.roleName],
    );
    assert.equal(retired.rows[0].ok, false, 'no grant left on received_events');
    assert.deepEqual(await ensureFunctionRole(db.admin, 'postgres', spec), { changed: false });
    const login = await db.admin.query('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [
      spec.roleName,
    ]);
    assert.equal(login.rows[0].rolcanlogin, true);
    assert.deepEqual(await dropFunctionRole(db.admin, 'postgres', spec), { changed: true });
    assert.deepEqual(await dropFunctionRole(db.admin, 'postgres', spec), { changed: false });
    const gone = await db.admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [spec.roleName]);
    assert.equal(gone.rowCount, 0);
  });
});
