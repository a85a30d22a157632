/**
 * The function's SQL, as the non-admin role: DML only (the schema is applied by the CLI).
 * Every write is one short transaction, retried whole on a concurrency conflict.
 */
import pg from 'pg';
import { withConflictRetry } from '../../src/lib/dsql-connection.js';
import type { ReceivedEventRecord, TransactionRecord } from '../../src/lib/function-contract.js';
import { TABLES } from '../../src/lib/schema.js';
import type { PeerEvent } from './request.js';

const TIMESTAMP_OID = 1114;

/**
 * pg would read `timestamp` (no time zone) as local time into a Date; rows hold UTC wall time, so it
 * is kept as text and written out as ISO-8601 UTC. Numeric stays text ("100.50"), pg's default.
 */
export const rowTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMP_OID
      ? (value: string) => value
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

interface TransactionRow {
  id: string;
  amount: string;
  timestamp: string;
  region: string;
  status: string | null;
}

const COLUMNS = 'id, amount, "timestamp", region, status';

function toRecord({ id, amount, timestamp, region, status }: TransactionRow): TransactionRecord {
  return { id, amount, timestamp: fromUtcWallTime(timestamp), region, status };
}

/** "2026-11-27T14:00:00.123Z" → the UTC wall time "2026-11-27 14:00:00.123" for a timestamp column. */
function toUtcWallTime(iso: string): string {
  return iso.replace('T', ' ').replace('Z', '');
}

/** A timestamp column's UTC wall time as read (text, see rowTypes) → ISO-8601 UTC. */
function fromUtcWallTime(wall: string): string {
  return `${wall.replace(' ', 'T')}Z`;
}

/**
 * An ISO-8601 UTC time as a `timestamp` column reads it back (see fromUtcWallTime): PostgreSQL prints
 * the fraction without trailing zeros ("…00.120Z" reads back as "…00.12Z"), so the event detail, built
 * before the row is written, carries the same text as the row the create answers.
 */
export function asStoredTime(iso: string): string {
  return iso.replace(/\.(\d*?)0*Z$/, (_, kept: string) => (kept ? `.${kept}Z` : 'Z'));
}

export interface CreateInput {
  id: string;
  /** Canonical two-decimal text (parseAmount), which is also how DECIMAL(10,2) reads back. */
  amount: string;
  region: string;
  /** ISO-8601 UTC, as asStoredTime gives it. */
  timestamp: string;
  /** The event's detail JSON, written to the outbox with the row. */
  eventDetail: string;
}

/** A transaction's outbox row as the create saw it (absent for rows written before the outbox existed). */
export interface OutboxState {
  detail: string;
  publishedAt: string | null;
}

export interface CreateResult {
  created: boolean;
  transaction: TransactionRecord;
  /** The transaction's event in the outbox, as committed. */
  event: OutboxState | undefined;
  attempts: number;
}

/**
 * The create as one statement, so one round trip and its own implicit transaction: the transaction row
 * (ON CONFLICT DO NOTHING keeps a repeated id idempotent), its outbox row only when the row was
 * inserted, and, when it was not, the stored row and its outbox state. All parts run on one snapshot,
 * so the last part cannot see the row the first inserts (hence it answers only on a conflict), and a
 * failing outbox insert fails the statement: no transaction row without its event.
 *
 * DSQL accepts data-modifying statements in WITH: AWS's own grammar of what DSQL parses, derived by
 * running statements against a real cluster (awslabs/aurora-dsql-tools, dsql-lint/grammar/
 * dsql_grammar.json, 2026-08-07), has `InsertStmt: opt_with_clause INSERT INTO … opt_on_conflict
 * returning_clause` and `common_table_expr: name AS ( PreparableStmt )` with PreparableStmt one of
 * SELECT, INSERT, UPDATE, DELETE. The supported-SQL page lists WITH under SELECT and UPDATE and
 * ON CONFLICT is supported (aws-facts.md); DSQL documents deviations from PostgreSQL's semantics and
 * lists none for WITH. Exported for the bench's floor (the same statement sent raw).
 *
 * Named, so each connection parses and plans it once (pg sends Parse only the first time; then Bind
 * and Execute): its planning cost otherwise exceeds a plain INSERT's. DSQL takes named prepared
 * statements: AWS's DSQL connector for pgx (aws-samples/aurora-dsql-samples, go/dsql-pgx-connector)
 * keeps pgx's default exec mode, which prepares and caches named statements per connection.
 */
export function createStatement(input: CreateInput): pg.QueryConfig {
  return {
    name: 'dsqlctl_create',
    text: `WITH inserted AS (
        INSERT INTO ${TABLES.transactions} (id, amount, "timestamp", region) VALUES ($1, $2, $3, $4)
        ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}
      ), queued AS (
        INSERT INTO ${TABLES.outbox} (transaction_id, origin_region, detail, created_at, attempts)
        SELECT id, region, $5, "timestamp", 0 FROM inserted RETURNING detail
      )
      SELECT true AS created, ${COLUMNS}, queued.detail, NULL AS published_at FROM inserted, queued
      UNION ALL
      SELECT false, t.id, t.amount, t."timestamp", t.region, t.status, o.detail, o.published_at
        FROM ${TABLES.transactions} t LEFT JOIN ${TABLES.outbox} o ON o.transaction_id = t.id
       WHERE t.id = $1 AND NOT EXISTS (SELECT 1 FROM inserted)`,
    values: [input.id, input.amount, toUtcWallTime(input.timestamp), input.region, input.eventDetail],
  };
}

interface CreateRow extends TransactionRow {
  created: boolean;
  detail: string | null;
  published_at: string | null;
}

/**
 * Creates the row and its outbox event, or answers the stored row and its outbox state when the id
 * exists. A concurrent writer of the same id makes it fail with 40001 (OC000 on DSQL, at commit;
 * PostgreSQL at Repeatable Read raises it when the conflicting row is outside the snapshot): the
 * statement is retried, then conflicts with the committed row and reads it back (created: false).
 */
export async function createTransaction(pool: pg.Pool, input: CreateInput): Promise<CreateResult> {
  const { result, attempts } = await withConflictRetry(() => pool.query<CreateRow>(createStatement(input)));
  const row = result.rows[0];
  if (!row) throw new Error(`transaction ${input.id} conflicts on insert but cannot be read`);
  const event =
    row.detail === null
      ? undefined
      : {
          detail: row.detail,
          publishedAt: row.published_at && fromUtcWallTime(row.published_at),
        };
  return { created: row.created, transaction: toRecord(row), event, attempts };
}

async function getRow(pool: pg.Pool, id: string): Promise<TransactionRow | undefined> {
  const result = await pool.query<TransactionRow>(
    `SELECT ${COLUMNS} FROM ${TABLES.transactions} WHERE id = $1`,
    [id],
  );
  return result.rows[0];
}

/**
 * A read, retried like a write on a concurrency conflict: DSQL answers 40001 (OC001) to a transaction
 * that touches a table while another transaction changes its schema (an index build finishing, a
 * migration during `up`), reads included, and a retry on a fresh snapshot then succeeds.
 */
async function read<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  sql: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  return (await withConflictRetry(() => pool.query<R>(sql, values))).result;
}

export async function countTransactions(pool: pg.Pool): Promise<number> {
  const result = await read<{ count: string }>(pool, `SELECT count(*) AS count FROM ${TABLES.transactions}`);
  return Number(result.rows[0]?.count ?? 0);
}

/** Newest first; ties on the timestamp are broken by id so the order is stable. */
export async function listTransactions(pool: pg.Pool, limit: number): Promise<TransactionRecord[]> {
  const result = await read<TransactionRow>(
    pool,
    `SELECT ${COLUMNS} FROM ${TABLES.transactions} ORDER BY "timestamp" DESC, id DESC LIMIT $1`,
    [limit],
  );
  return result.rows.map(toRecord);
}

export async function getTransaction(pool: pg.Pool, id: string): Promise<TransactionRecord | undefined> {
  const row = (await withConflictRetry(() => getRow(pool, id))).result;
  return row && toRecord(row);
}

/** Bounds last_error: a reason is a line or two, never an unbounded SDK dump. */
const MAX_ERROR_LENGTH = 1000;

/**
 * Marks the events published, once: only rows still unpublished are touched, so of two marks of the
 * same row (a create and a sweep, or two sweeps) the one that commits first wins and the other, retried
 * after its conflict, finds nothing left to mark. Answers how many rows this call marked.
 */
export async function markPublished(pool: pg.Pool, transactionIds: string[]): Promise<number> {
  if (transactionIds.length === 0) return 0;
  const { result } = await withConflictRetry(() =>
    pool.query({
      // Named like the create (see createStatement): one per create, so parsed once per connection.
      name: 'dsqlctl_mark_published',
      text: `UPDATE ${TABLES.outbox} SET published_at = $2, attempts = attempts + 1
              WHERE transaction_id = ANY($1) AND published_at IS NULL`,
      values: [transactionIds, toUtcWallTime(new Date().toISOString())],
    }),
  );
  return result.rowCount ?? 0;
}

/** Counts a failed attempt and its reason on each event still unpublished (a published one is left as it is). */
export async function markFailed(pool: pg.Pool, failures: Map<string, string>): Promise<void> {
  for (const [transactionId, reason] of failures) {
    await withConflictRetry(() =>
      pool.query(
        `UPDATE ${TABLES.outbox} SET attempts = attempts + 1, last_error = $2
          WHERE transaction_id = $1 AND published_at IS NULL`,
        [transactionId, reason.slice(0, MAX_ERROR_LENGTH)],
      ),
    );
  }
}

export interface UnpublishedEvent {
  transactionId: string;
  detail: string;
  createdAt: string;
}

/** This region's unpublished events created at or before `createdBefore` (ISO-8601), oldest first. */
export async function unpublishedEvents(
  pool: pg.Pool,
  originRegion: string,
  createdBefore: string,
  limit: number,
): Promise<UnpublishedEvent[]> {
  const result = await read<{ transaction_id: string; detail: string; created_at: string }>(
    pool,
    `SELECT transaction_id, detail, created_at FROM ${TABLES.outbox}
      WHERE published_at IS NULL AND origin_region = $1 AND created_at <= $2
      ORDER BY created_at, transaction_id LIMIT $3`,
    [originRegion, toUtcWallTime(createdBefore), limit],
  );
  return result.rows.map((row) => ({
    transactionId: row.transaction_id,
    detail: row.detail,
    createdAt: fromUtcWallTime(row.created_at),
  }));
}

export async function countUnpublished(pool: pg.Pool, originRegion: string): Promise<number> {
  const result = await read<{ count: string }>(
    pool,
    `SELECT count(*) AS count FROM ${TABLES.outbox} WHERE published_at IS NULL AND origin_region = $1`,
    [originRegion],
  );
  return Number(result.rows[0]?.count ?? 0);
}

/** This region's unpublished events: how many, and the oldest one's transaction and age in seconds. */
export async function outboxBacklog(
  pool: pg.Pool,
  originRegion: string,
): Promise<{ unpublished: number; oldestAgeSeconds: number | null; oldestTransactionId: string | null }> {
  const result = await read<{ count: string; oldest_age: string | null; oldest_id: string | null }>(
    pool,
    `SELECT count(*) AS count,
            extract(epoch FROM (now() AT TIME ZONE 'UTC') - min(created_at)) AS oldest_age,
            (SELECT transaction_id FROM ${TABLES.outbox}
              WHERE published_at IS NULL AND origin_region = $1 ORDER BY created_at LIMIT 1) AS oldest_id
       FROM ${TABLES.outbox} WHERE published_at IS NULL AND origin_region = $1`,
    [originRegion],
  );
  const row = result.rows[0];
  return {
    unpublished: Number(row?.count ?? 0),
    oldestAgeSeconds: row?.oldest_age == null ? null : Math.max(0, Number(row.oldest_age)),
    oldestTransactionId: row?.oldest_id ?? null,
  };
}

/**
 * Records a peer region's event once per (transaction, origin region); answers false when it was
 * already recorded (a redelivery, or the same transaction published again under a new event id).
 */
export async function recordReceivedEvent(
  pool: pg.Pool,
  event: PeerEvent & { amount: string },
  receivedRegion: string,
): Promise<boolean> {
  const { result } = await withConflictRetry(() =>
    pool.query(
      `INSERT INTO ${TABLES.receivedEvents}
         (transaction_id, origin_region, received_region, event_id, amount, event_time, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (transaction_id, origin_region) DO NOTHING`,
      [
        event.transactionId,
        event.originRegion,
        receivedRegion,
        event.eventId,
        event.amount,
        event.eventTime && toUtcWallTime(new Date(event.eventTime).toISOString()),
        toUtcWallTime(new Date().toISOString()),
      ],
    ),
  );
  return (result.rowCount ?? 0) > 0;
}

/** The received events recorded for one transaction, by any region's function (oldest first). */
export async function listReceivedEvents(
  pool: pg.Pool,
  transactionId: string,
): Promise<ReceivedEventRecord[]> {
  const result = await read<{
    event_id: string;
    transaction_id: string;
    origin_region: string;
    received_region: string;
    received_at: string;
  }>(
    pool,
    `SELECT event_id, transaction_id, origin_region, received_region, received_at
       FROM ${TABLES.receivedEvents} WHERE transaction_id = $1 ORDER BY received_at, origin_region`,
    [transactionId],
  );
  return result.rows.map((row) => ({
    eventId: row.event_id,
    transactionId: row.transaction_id,
    originRegion: row.origin_region,
    receivedRegion: row.received_region,
    receivedAt: fromUtcWallTime(row.received_at),
  }));
}
