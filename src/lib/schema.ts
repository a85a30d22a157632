/**
 * The application's schema in Aurora DSQL's SQL, on both targets (the local cloud's endpoint
 * enforces DSQL's rules): one DDL statement per transaction, never DDL and DML together,
 * `CREATE INDEX ASYNC` then `CALL sys.wait_for_job('<id>')` outside a transaction block, sequences
 * with an explicit CACHE (1 or ≥ 65536), grants on tables only (DSQL refuses schema-level grants),
 * no foreign keys, triggers, SERIAL or TRUNCATE.
 * The CLI applies it as `admin` during `up`; the function never runs DDL.
 *
 * Every statement runs on its own (autocommit) so each is its own transaction. A migration's DDL
 * uses IF NOT EXISTS and is recorded in the migrations table in a separate transaction afterwards,
 * so a crash between the two is healed by the next run (the DDL is a no-op, then it is recorded).
 */
import type pg from 'pg';
import { ADMIN_USER, withConflictRetry } from './dsql-connection.js';

export const TABLES = {
  transactions: 'transactions',
  /** One row per transaction created here: its event, published after commit or by the sweep. */
  outbox: 'outbox',
  /** One row per (transaction, origin region) received from the peer: a re-published event is recorded once. */
  receivedEvents: 'received_peer_events',
  migrations: 'schema_migrations',
} as const;

/**
 * The first received-events table, keyed by EventBridge's event id, which changes on every PutEvents of
 * the same transaction. Superseded by TABLES.receivedEvents; kept (no DDL drops it) but no longer granted.
 */
const RETIRED_RECEIVED_EVENTS = 'received_events';

/** The seed's sequence. Kept for compatibility with the seed's schema; the function uses UUIDs. */
const TRANSACTION_SEQUENCE = 'transaction_seq';

/** DSQL refuses a sequence without CACHE, and accepts only 1 or at least 65536. */
export const DSQL_SEQUENCE_CACHE = 65536;

interface TableSpec {
  kind: 'table';
  name: string;
  columns: string;
}
interface IndexSpec {
  kind: 'index';
  name: string;
  table: string;
  column: string;
}
interface SequenceSpec {
  kind: 'sequence';
  name: string;
  start: number;
}
type ObjectSpec = TableSpec | IndexSpec | SequenceSpec;

interface Migration {
  /** Stable id recorded in the migrations table; never rename one that has shipped. */
  id: string;
  object: ObjectSpec;
}

const MIGRATIONS_TABLE: TableSpec = {
  kind: 'table',
  name: TABLES.migrations,
  columns: 'id varchar(255) PRIMARY KEY, applied_at timestamp NOT NULL',
};

/** The schema, in order. Append only. */
export const MIGRATIONS: readonly Migration[] = [
  {
    id: '001-transactions',
    object: {
      kind: 'table',
      name: TABLES.transactions,
      // The seed's table; "timestamp" is quoted everywhere because it is also a type name.
      columns:
        'id varchar(255) PRIMARY KEY, amount decimal(10,2) NOT NULL, "timestamp" timestamp NOT NULL, ' +
        "region varchar(50) NOT NULL, status varchar(50) DEFAULT 'pending'",
    },
  },
  {
    id: '002-transactions-timestamp-index',
    object: {
      kind: 'index',
      name: 'idx_transactions_timestamp',
      table: TABLES.transactions,
      column: 'timestamp',
    },
  },
  {
    id: '003-transactions-region-index',
    object: { kind: 'index', name: 'idx_transactions_region', table: TABLES.transactions, column: 'region' },
  },
  {
    id: '004-transaction-seq',
    object: { kind: 'sequence', name: TRANSACTION_SEQUENCE, start: 1 },
  },
  {
    id: '005-received-events',
    object: {
      kind: 'table',
      name: RETIRED_RECEIVED_EVENTS,
      // One row per EventBridge event id: redelivery of the same event never adds a second row.
      columns:
        'event_id varchar(255) PRIMARY KEY, transaction_id varchar(255) NOT NULL, ' +
        'origin_region varchar(50) NOT NULL, received_region varchar(50) NOT NULL, ' +
        'amount decimal(10,2), event_time timestamp, received_at timestamp NOT NULL',
    },
  },
  {
    id: '006-received-events-transaction-index',
    object: {
      kind: 'index',
      name: 'idx_received_events_transaction_id',
      table: RETIRED_RECEIVED_EVENTS,
      column: 'transaction_id',
    },
  },
  {
    id: '007-outbox',
    object: {
      kind: 'table',
      name: TABLES.outbox,
      // Keyed by the transaction: one event per transaction, written in the transaction's own DSQL
      // transaction. origin_region lets each region's sweep publish only its own events to its own bus
      // (peered regions share the table). detail is the event's JSON as published (DSQL has no json
      // column type); published_at stays NULL until EventBridge accepted the event.
      columns:
        'transaction_id varchar(255) PRIMARY KEY, origin_region varchar(50) NOT NULL, detail text NOT NULL, ' +
        'created_at timestamp NOT NULL, published_at timestamp, attempts integer NOT NULL DEFAULT 0, ' +
        'last_error text',
    },
  },
  {
    // The sweep looks for `published_at IS NULL`; published rows are kept (the function has no DELETE),
    // so without this index every sweep would scan the whole history. B-tree indexes hold NULLs.
    id: '008-outbox-published-at-index',
    object: { kind: 'index', name: 'idx_outbox_published_at', table: TABLES.outbox, column: 'published_at' },
  },
  {
    id: '009-received-peer-events',
    object: {
      kind: 'table',
      name: TABLES.receivedEvents,
      // The natural key, not EventBridge's event id: every PutEvents of one transaction gets a new event
      // id, and at-least-once publishing (create, then the sweep) may put it more than once. The key's
      // leading column serves the lookup by transaction id. event_id is the first recorded delivery's.
      columns:
        'transaction_id varchar(255) NOT NULL, origin_region varchar(50) NOT NULL, ' +
        'received_region varchar(50) NOT NULL, event_id varchar(255) NOT NULL, amount decimal(10,2) NOT NULL, ' +
        'event_time timestamp, received_at timestamp NOT NULL, PRIMARY KEY (transaction_id, origin_region)',
    },
  },
];

/** One DDL statement for one object. */
export function renderObject(object: ObjectSpec): string {
  switch (object.kind) {
    case 'table':
      return `CREATE TABLE IF NOT EXISTS ${object.name} (${object.columns})`;
    case 'index':
      return `CREATE INDEX ASYNC IF NOT EXISTS ${object.name} ON ${object.table} ("${object.column}")`;
    case 'sequence':
      // DSQL documents `CREATE SEQUENCE [IF NOT EXISTS] name CACHE cache [options]`: CACHE right after the name.
      return `CREATE SEQUENCE IF NOT EXISTS ${object.name} CACHE ${DSQL_SEQUENCE_CACHE} START ${object.start}`;
  }
}

/** Every DDL statement of the schema in the order applyMigrations runs them (migrations table first). */
export function renderSchema(): string[] {
  return [MIGRATIONS_TABLE, ...MIGRATIONS.map((m) => m.object)].map((o) => renderObject(o));
}

/**
 * Applies pending migrations, idempotently: already-recorded ones are skipped, and a migration
 * whose DDL ran but was not recorded (a crash in between) is re-run harmlessly (IF NOT EXISTS).
 * Conflicts with a concurrent DDL (DSQL's OC001) are retried.
 */
export async function applyMigrations(client: pg.ClientBase): Promise<{ applied: string[] }> {
  await retry(() => client.query(renderObject(MIGRATIONS_TABLE)));
  const done = await client.query<{ id: string }>(`SELECT id FROM ${TABLES.migrations}`);
  const recorded = new Set(done.rows.map((r) => r.id));
  const applied: string[] = [];
  for (const migration of MIGRATIONS) {
    if (recorded.has(migration.id)) continue;
    await retry(() => runDdl(client, migration.object));
    await retry(() =>
      client.query(
        `INSERT INTO ${TABLES.migrations} (id, applied_at) VALUES ($1, now()) ON CONFLICT (id) DO NOTHING`,
        [migration.id],
      ),
    );
    applied.push(migration.id);
  }
  return { applied };
}

async function runDdl(client: pg.ClientBase, object: ObjectSpec): Promise<void> {
  if (object.kind === 'index' && (await lastIndexJob(client, object.name))?.status === 'failed') {
    // A failed build leaves an invalid index that IF NOT EXISTS would accept: drop it, build again.
    await client.query(`DROP INDEX IF EXISTS ${object.name}`);
  }
  const result = await client.query<{ job_id?: string | null }>(renderObject(object));
  if (object.kind !== 'index') return;
  // CREATE INDEX ASYNC answers a job id at once; none when IF NOT EXISTS found the index, or a job
  // still building it (a killed `up` left it submitted or processing): then wait for that job.
  const jobId = result.rows[0]?.job_id ?? (await pendingIndexJob(client, object.name));
  if (!jobId) return;
  if (!/^[A-Za-z0-9_-]+$/.test(jobId)) throw new Error(`Unexpected DSQL job id "${jobId}".`);
  // A procedure on DSQL, called outside a transaction block; its one column says whether it completed.
  const waited = await client.query<{ wait_for_job: boolean }>(`CALL sys.wait_for_job('${jobId}')`);
  if (waited.rows[0]?.wait_for_job !== true) {
    throw new Error(`Building index ${object.name} failed (DSQL job ${jobId}); see sys.jobs.`);
  }
}

interface IndexJobRow {
  job_id: string;
  status: string;
}

/** The latest index-build job DSQL recorded for an index (sys.jobs, by object_name). */
async function lastIndexJob(client: pg.ClientBase, index: string): Promise<IndexJobRow | undefined> {
  const result = await client.query<IndexJobRow>(
    `SELECT job_id, status FROM sys.jobs WHERE object_name = $1 AND job_type = 'INDEX_BUILD'
     ORDER BY start_time DESC LIMIT 1`,
    [index],
  );
  return result.rows[0];
}

async function pendingIndexJob(client: pg.ClientBase, index: string): Promise<string | undefined> {
  const job = await lastIndexJob(client, index);
  return job && (job.status === 'submitted' || job.status === 'processing') ? job.job_id : undefined;
}

async function retry<T>(work: () => Promise<T>): Promise<T> {
  return (await withConflictRetry(work)).result;
}

// ── the function's database role ────────────────────────────────────────────────────────────────

interface FunctionRoleSpec {
  /** Database role the function logs in as, e.g. `shop_app`. */
  roleName: string;
  /** IAM role the function runs as, mapped to the database role on DSQL. */
  iamRoleArn: string;
}

/**
 * Exactly what the function does: INSERT and SELECT on transactions and received events (create,
 * count, list, get, record a received event); on the outbox also UPDATE (marking an event published,
 * or counting a failed attempt). No DELETE, DDL or sequence use.
 */
const FUNCTION_GRANTS: ReadonlyArray<{ table: string; privileges: readonly string[] }> = [
  { table: TABLES.transactions, privileges: ['SELECT', 'INSERT'] },
  { table: TABLES.outbox, privileges: ['SELECT', 'INSERT', 'UPDATE'] },
  { table: TABLES.receivedEvents, privileges: ['SELECT', 'INSERT'] },
];

/** Tables an earlier version granted the function: their grants are revoked, never renewed. */
const RETIRED_GRANT_TABLES: readonly string[] = [RETIRED_RECEIVED_EVENTS];

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

function validateRole({ roleName, iamRoleArn }: FunctionRoleSpec): void {
  if (!ROLE_NAME.test(roleName) || roleName === ADMIN_USER) {
    throw new Error(`Invalid database role name "${roleName}": lowercase letters, digits and _ only.`);
  }
  if (!IAM_ROLE_ARN.test(iamRoleArn)) throw new Error(`Invalid IAM role ARN "${iamRoleArn}".`);
}

/** Each role statement's text, written once for renderRoleStatements and ensureFunctionRole alike. */
const roleSql = {
  create: (role: string) => `CREATE ROLE ${role} WITH LOGIN`,
  grant: (role: string, table: string, privileges: readonly string[]) =>
    `GRANT ${privileges.join(', ')} ON ${table} TO ${role}`,
  iamGrant: ({ roleName, iamRoleArn }: FunctionRoleSpec) => `AWS IAM GRANT ${roleName} TO '${iamRoleArn}'`,
};

/** The statements that create and map the function's role, in order (for review and for tests). */
export function renderRoleStatements(spec: FunctionRoleSpec): string[] {
  validateRole(spec);
  const statements = [roleSql.create(spec.roleName)];
  for (const { table, privileges } of FUNCTION_GRANTS) {
    statements.push(roleSql.grant(spec.roleName, table, privileges));
  }
  statements.push(roleSql.iamGrant(spec));
  return statements;
}

/**
 * Creates the function's role WITH LOGIN if missing, grants what it lacks on its tables (schema
 * public's USAGE is PUBLIC's already; DSQL refuses schema-level grants), and maps it to the IAM role
 * with `AWS IAM GRANT` unless sys.iam_pg_role_mappings already holds that mapping.
 * Run after applyMigrations (the grants name its tables).
 */
export async function ensureFunctionRole(
  client: pg.ClientBase,
  spec: FunctionRoleSpec,
): Promise<{ changed: boolean }> {
  validateRole(spec);
  const { roleName } = spec;
  let changed = false;
  if (!(await roleExists(client, roleName))) {
    try {
      await retry(() => client.query(roleSql.create(roleName)));
      changed = true;
    } catch (error) {
      // Another `up` created it between our look and our create: that is the state we want.
      if ((error as { code?: string }).code !== '42710') throw error;
    }
  }
  for (const { table, privileges } of FUNCTION_GRANTS) {
    const missing: string[] = [];
    for (const privilege of privileges) {
      const has = await client.query<{ ok: boolean }>('SELECT has_table_privilege($1, $2, $3) AS ok', [
        roleName,
        table,
        privilege,
      ]);
      if (!has.rows[0]?.ok) missing.push(privilege);
    }
    if (missing.length > 0) {
      await retry(() => client.query(roleSql.grant(roleName, table, missing)));
      changed = true;
    }
  }
  for (const table of RETIRED_GRANT_TABLES) {
    if (await holdsAnyPrivilege(client, roleName, table)) {
      await retry(() => client.query(`REVOKE ALL ON ${table} FROM ${roleName}`));
      changed = true;
    }
  }
  if (!(await iamMappingExists(client, spec))) {
    await retry(() => client.query(roleSql.iamGrant(spec)));
    changed = true;
  }
  return { changed };
}

/**
 * Removes the function's role: the IAM mapping first (DROP ROLE fails while it exists), then its
 * table privileges (a role that still holds grants cannot be dropped), then the role.
 * An absent role or mapping is no change.
 */
export async function dropFunctionRole(
  client: pg.ClientBase,
  spec: FunctionRoleSpec,
): Promise<{ changed: boolean }> {
  validateRole(spec);
  const { roleName, iamRoleArn } = spec;
  let changed = false;
  if (await iamMappingExists(client, spec)) {
    await retry(() => client.query(`AWS IAM REVOKE ${roleName} FROM '${iamRoleArn}'`));
    changed = true;
  }
  if (!(await roleExists(client, roleName))) return { changed };
  for (const table of [...FUNCTION_GRANTS.map((g) => g.table), ...RETIRED_GRANT_TABLES]) {
    const exists = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [table]);
    if (exists.rows[0]?.ok) await retry(() => client.query(`REVOKE ALL ON ${table} FROM ${roleName}`));
  }
  await retry(() => client.query(`DROP ROLE IF EXISTS ${roleName}`));
  return { changed: true };
}

/** Whether the role holds any of the privileges the function was ever granted on the table (absent table: no). */
async function holdsAnyPrivilege(client: pg.ClientBase, roleName: string, table: string): Promise<boolean> {
  const result = await client.query<{ ok: boolean }>(
    // CASE, not AND: only CASE guarantees has_table_privilege is not evaluated for a missing table.
    `SELECT CASE WHEN to_regclass($2) IS NULL THEN false ELSE has_table_privilege($1, $2, 'SELECT')
       OR has_table_privilege($1, $2, 'INSERT') OR has_table_privilege($1, $2, 'UPDATE') END AS ok`,
    [roleName, table],
  );
  return result.rows[0]?.ok === true;
}

async function roleExists(client: pg.ClientBase, roleName: string): Promise<boolean> {
  const result = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [roleName]);
  return (result.rowCount ?? 0) > 0;
}

async function iamMappingExists(client: pg.ClientBase, { roleName, iamRoleArn }: FunctionRoleSpec) {
  const result = await client.query(
    'SELECT 1 FROM sys.iam_pg_role_mappings WHERE pg_role_name = $1 AND arn = $2',
    [roleName, iamRoleArn],
  );
  return (result.rowCount ?? 0) > 0;
}
