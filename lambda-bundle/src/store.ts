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

function toRecord(row: TransactionRow): TransactionRecord {
  return { ...row, timestamp: fromUtcWallTime(row.timestamp) };
}

/** "2026-11-27T14:00:00.123Z" → the UTC wall time "2026-11-27 14:00:00.123" for a timestamp column. */
function toUtcWallTime(iso: string): string {
  return iso.replace('T', ' ').replace('Z', '');
}

/** A timestamp column's UTC wall time as read (text, see rowTypes) → ISO-8601 UTC. */
function fromUtcWallTime(wall: string): string {
  return `${wall.replace(' ', 'T')}Z`;
}

export interface CreateInput {
  id: string;
  amount: string;
  region: string;
  timestamp: string;
}

/**
 * Inserts the row unless the id exists; answers the row as stored and whether this call created it.
 * The INSERT is one autocommit statement, so one transaction in one round trip (no BEGIN/COMMIT).
 * A concurrent writer of the same id makes it fail with 40001 (OC000 on DSQL, at commit); the retry
 * then conflicts with the committed row and reads it back, answering created: false.
 */
export async function createTransaction(
  pool: pg.Pool,
  input: CreateInput,
): Promise<{ created: boolean; transaction: TransactionRecord; attempts: number }> {
  const { result, attempts } = await withConflictRetry(async () => {
    // Status is left to the seed's column default ('pending'): the seed gives it no other meaning.
    const inserted = await pool.query<TransactionRow>(
      `INSERT INTO ${TABLES.transactions} (id, amount, "timestamp", region)
       VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
      [input.id, input.amount, toUtcWallTime(input.timestamp), input.region],
    );
    if (inserted.rows[0]) return { created: true, row: inserted.rows[0] };
    // ON CONFLICT saw a committed row with this id: read it (a new statement, a new snapshot).
    const existing = await getRow(pool, input.id);
    if (!existing) throw new Error(`transaction ${input.id} conflicts on insert but cannot be read`);
    return { created: false, row: existing };
  });
  return { created: result.created, transaction: toRecord(result.row), attempts };
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

/** Records a peer region's event once per event id; answers false for a redelivery. */
export async function recordReceivedEvent(
  pool: pg.Pool,
  event: PeerEvent,
  receivedRegion: string,
): Promise<boolean> {
  const { result } = await withConflictRetry(() =>
    pool.query(
      `INSERT INTO ${TABLES.receivedEvents}
         (event_id, transaction_id, origin_region, received_region, amount, event_time, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING`,
      [
        event.eventId,
        event.transactionId,
        event.originRegion,
        receivedRegion,
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
       FROM ${TABLES.receivedEvents} WHERE transaction_id = $1 ORDER BY received_at, event_id`,
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
