/**
 * The background worker behind CREATE INDEX ASYNC for one backend database: it moves each job of
 * the system schema's job table submitted → processing → completed | failed. A job is built
 * `buildDelayMs` (time-scaled, on the injected clock) after it began processing, with
 * `CREATE INDEX CONCURRENTLY` run as the table's owner, so writers are not blocked (as on DSQL).
 *
 * All state is in the job table: a new worker picks up what a stopped one left, and a build cut
 * short is redone (an INVALID index it left is dropped first). A failed build leaves an INVALID
 * index behind, as DSQL does (an IF NOT EXISTS re-run would then accept it): never a valid one.
 *
 * The worker does not poll the table: a submission notifies it (LISTEN/NOTIFY on INDEX_JOBS_CHANNEL),
 * and it knows when the next build is due, so `runWhenDue()` costs no SQL while nothing is to be done
 * (polling cost two queries per database every 25 ms, all the time). It works when a submission was
 * notified, a build is due, or at first and after a lost connection (whatever happened meanwhile).
 */
import type pg from 'pg';
import { INDEX_JOBS_CHANNEL, INTERNAL_SCHEMA } from './system-schema.js';

export interface IndexJob {
  jobId: string;
  indexSchema: string;
  indexName: string;
}

export interface IndexJobsOptions {
  /** A superuser connection to the backend database. */
  connect: () => Promise<pg.Client>;
  /** How long a build takes, from the moment the job is processing. */
  buildDelayMs: number;
  /** How often to call `runWhenDue()` by itself; the worker also works on every `runOnce()`. */
  pollMs?: number;
  /** The clock builds are timed on (tests inject one). */
  now?: () => number;
  /** A fault: a message makes this job fail with it (after the build, leaving the index INVALID). */
  failJob?: (job: IndexJob) => string | undefined;
}

export interface IndexJobs {
  /** One pass over the jobs; resolves when it (and any pass already running) is done. */
  runOnce(): Promise<void>;
  /** A pass only when there may be work (see above); resolves at once when there is none. */
  runWhenDue(): Promise<void>;
  stop(): Promise<void>;
}

interface JobRow {
  job_id: string;
  index_schema: string;
  index_name: string;
  build_sql: string;
  owner_name: string;
  processing_since_ms: string;
}

const S = INTERNAL_SCHEMA;

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function startIndexJobs(options: IndexJobsOptions): IndexJobs {
  const now = options.now ?? Date.now;
  let client: pg.Client | undefined;
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;
  /** A submission was notified, or what happened while not listening is unknown (at first, reconnected). */
  let notified = true;
  /** When the earliest job processing now is due to be built (on `now()`), if any. */
  let nextBuildAt: number | undefined;

  const connection = async (): Promise<pg.Client> => {
    if (!client) {
      const opened = await options.connect();
      opened.on('error', () => {
        if (client !== opened) return;
        client = undefined;
        notified = true;
      });
      opened.on('notification', () => {
        notified = true;
      });
      await opened.query(`LISTEN ${INDEX_JOBS_CHANNEL}`);
      client = opened;
    }
    return client;
  };

  const pass = async (): Promise<void> => {
    const db = await connection();
    // Cleared before the queries: a submission notified while this pass runs makes the next one.
    notified = false;
    await db.query(
      `UPDATE ${S}.jobs SET status = 'processing', processing_since_ms = $1, update_time = now()
        WHERE status = 'submitted' OR (status = 'processing' AND processing_since_ms IS NULL)`,
      [now()],
    );
    const due = await db.query<JobRow>(
      `SELECT job_id, index_schema, index_name, build_sql, owner_name, processing_since_ms
         FROM ${S}.jobs WHERE status = 'processing' AND processing_since_ms + $1 <= $2
        ORDER BY start_time`,
      [options.buildDelayMs, now()],
    );
    for (const job of due.rows) await build(db, job);
    const next = await db.query<{ since: string | null }>(
      `SELECT min(processing_since_ms) AS since FROM ${S}.jobs WHERE status = 'processing'`,
    );
    const since = next.rows[0]?.since;
    nextBuildAt = since === null || since === undefined ? undefined : Number(since) + options.buildDelayMs;
  };

  const build = async (db: pg.Client, job: JobRow): Promise<void> => {
    const index = `${quoteIdent(job.index_schema)}.${quoteIdent(job.index_name)}`;
    const fault = options.failJob?.({
      jobId: job.job_id,
      indexSchema: job.index_schema,
      indexName: job.index_name,
    });
    let failure: string | undefined;
    try {
      const existing = await indexState(db, index);
      // A build a stopped worker left half done: PostgreSQL leaves it INVALID; start over.
      if (existing === 'invalid') await db.query(`DROP INDEX CONCURRENTLY IF EXISTS ${index}`);
      if (existing !== 'valid') {
        await db.query(`SET ROLE ${quoteIdent(job.owner_name)}`);
        try {
          await db.query(job.build_sql);
        } finally {
          await db.query('RESET ROLE');
        }
      }
      if (fault) {
        await db.query(
          `UPDATE pg_index SET indisvalid = false WHERE indexrelid = '${index.replaceAll("'", "''")}'::regclass`,
        );
        failure = fault;
      }
    } catch (error) {
      failure = (error as Error).message;
    }
    await db.query(
      `UPDATE ${S}.jobs SET status = $2, details = $3, update_time = now()
        WHERE job_id = $1 AND status = 'processing'`,
      [job.job_id, failure === undefined ? 'completed' : 'failed', failure ?? null],
    );
  };

  const runOnce = (): Promise<void> => {
    const next = chain.then(() => (stopped ? undefined : pass()));
    chain = next.catch(() => {
      // A failed pass (backend restarting, connection lost) is retried on the next one.
      client = undefined;
      notified = true;
    });
    return next;
  };

  const runWhenDue = (): Promise<void> =>
    notified || (nextBuildAt !== undefined && now() >= nextBuildAt) ? runOnce() : Promise.resolve();

  const timer =
    options.pollMs === undefined
      ? undefined
      : setInterval(() => {
          runWhenDue().catch(() => {});
        }, options.pollMs);

  return {
    runOnce,
    runWhenDue,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await chain;
      await client?.end();
      client = undefined;
    },
  };
}

async function indexState(db: pg.Client, index: string): Promise<'absent' | 'valid' | 'invalid'> {
  const result = await db.query<{ valid: boolean }>(
    'SELECT i.indisvalid AS valid FROM pg_index i WHERE i.indexrelid = to_regclass($1)',
    [index],
  );
  const row = result.rows[0];
  if (!row) return 'absent';
  return row.valid ? 'valid' : 'invalid';
}
