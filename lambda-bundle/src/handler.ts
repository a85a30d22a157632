/**
 * The transaction function: validates the payload, runs one operation against the cluster through a
 * pool that lives as long as the execution environment, and answers a JSON object. Bad input is
 * answered `{ok: false, error}`; only unexpected failures (database unreachable…) throw, which the
 * CLI sees as FunctionError.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { poolConfig } from '../../src/lib/dsql-connection.js';
import {
  type CreateAnswer,
  type EventAnswer,
  type FunctionAnswer,
  FunctionEnv,
  FunctionErrorCode,
  type FunctionFailure,
  type SweepAnswer,
  type TransactionEventDetail,
} from '../../src/lib/function-contract.js';
import type { FunctionConfig } from './config.js';
import {
  DEFAULT_PUBLISH,
  EventPublisher,
  MAX_ENTRIES_PER_CALL,
  type PublishOutcome,
  type PublishPolicy,
} from './events.js';
import { failure, type PeerEvent, parseRequest, type Request } from './request.js';
import {
  asStoredTime,
  countTransactions,
  countUnpublished,
  createTransaction,
  getTransaction,
  listReceivedEvents,
  listTransactions,
  markFailed,
  markPublished,
  outboxBacklog,
  recordReceivedEvent,
  rowTypes,
  unpublishedEvents,
} from './store.js';

export interface TransactionFunction {
  handler: (payload: unknown) => Promise<FunctionAnswer>;
  /**
   * Resolves when the outbox marks that creates left running after they answered are written (tests
   * and benches that read the outbox straight after a create; every invocation waits for them too).
   */
  settled: () => Promise<void>;
  /** Ends the pool and the EventBridge client (tests and benches; Lambda just freezes the process). */
  close: () => Promise<void>;
}

export interface FunctionOptions {
  /**
   * Pool size (default: poolConfig's 4). Lambda runs one invocation at a time per environment, so a
   * few connections suffice.
   */
  poolMax?: number;
  /** How long a connection may sit idle in the pool (default: poolConfig's 5 minutes). */
  idleTimeoutMillis?: number;
  publishPolicy?: PublishPolicy;
}

/**
 * An invocation arriving this long after the previous one ended may follow a freeze: Lambda freezes
 * the process between invocations, and timers do not fire while it is frozen.
 */
export const THAW_GAP_MS = 1000;

/** Resolves after the timers already due have run (a zero-delay timer runs after every overdue one). */
function runOverdueTimers(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export function createTransactionFunction(
  config: FunctionConfig,
  options: FunctionOptions = {},
): TransactionFunction {
  // Each new connection gets a fresh IAM token (the pool calls the async password per connect) and
  // is retired before DSQL's one-hour limit (maxLifetimeSeconds).
  const pool = new pg.Pool({
    ...poolConfig(config.connection, config.user, {
      max: options.poolMax,
      idleTimeoutMillis: options.idleTimeoutMillis,
    }),
    types: rowTypes,
  });
  // An idle connection closed by the server must not crash the process; the pool replaces it.
  pool.on('error', (error) => console.error(`[dsqlctl] idle database connection lost: ${error.message}`));
  const publisher = new EventPublisher(
    config.busName,
    config.region,
    options.publishPolicy ?? DEFAULT_PUBLISH,
  );

  let lastSettled = performance.now();

  /**
   * Records a publish outcome in the outbox: accepted events marked published, refused ones counted
   * with their reason. A failed mark is logged, not thrown: the event stays unpublished, the sweep
   * publishes it again, and the receiver records it once.
   */
  async function recordOutcome(outcome: PublishOutcome): Promise<void> {
    try {
      await markPublished(pool, outcome.accepted);
      await markFailed(pool, outcome.failed);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      console.error(`[dsqlctl] outbox not updated after PutEvents (the sweep will publish again): ${why}`);
    }
  }

  /** Marks a create started after it answered; each invocation first waits for them (see handler). */
  const marking = new Set<Promise<void>>();

  /**
   * A create answers as soon as EventBridge has answered, and writes the outcome afterwards: the mark
   * is a second DSQL transaction (a second commit, cross-region on a peered pair), and nothing in the
   * answer depends on it. It only spares the event a second publish: if the mark never lands (Lambda
   * froze the environment for good, the process died), the row stays unpublished, the sweep
   * republishes it once it is older than its threshold, and the receiver records it once — the same
   * path as a create killed before PutEvents. pg writes the UPDATE to the socket at once, so it
   * normally commits while the environment is frozen between invocations.
   */
  function recordInBackground(outcome: PublishOutcome): void {
    const done: Promise<void> = recordOutcome(outcome).finally(() => marking.delete(done));
    marking.add(done);
  }

  async function settled(): Promise<void> {
    while (marking.size > 0) await Promise.all(marking);
  }

  async function create(
    request: Extract<Request, { operation: 'create' }>,
  ): Promise<CreateAnswer | FunctionFailure> {
    const id = request.transactionId ?? randomUUID();
    const timestamp = asStoredTime(new Date().toISOString());
    // Built before the write from the values written: the amount is parseAmount's canonical text and
    // the time as the row reads back, so the detail matches the stored row exactly.
    const { created, transaction, event, attempts } = await createTransaction(pool, {
      id,
      amount: request.amount,
      region: config.region,
      timestamp,
      eventDetail: JSON.stringify({
        transactionId: id,
        amount: request.amount,
        region: config.region,
        originRegion: config.region,
        operation: 'create',
        timestamp,
      } satisfies TransactionEventDetail),
    });
    if (!created && transaction.amount !== request.amount) {
      return {
        ok: false,
        error: {
          code: FunctionErrorCode.idempotencyConflict,
          message:
            `Transaction "${id}" already exists with amount ${transaction.amount} (created in ` +
            `${transaction.region} at ${transaction.timestamp}), not ${request.amount}: a repeated id must ` +
            'repeat the same request; use a new id for a new transaction.',
          stored: transaction,
        },
      };
    }
    const answer = {
      ok: true as const,
      region: config.region,
      operation: 'create' as const,
      created,
      transaction,
      attempts,
    };
    // Published already (or written before the outbox existed): a repeat sends nothing. Nor does a
    // repeat in the region that did not create it: from this bus the event would go back to its own
    // origin, which refuses it, and marking it would hide it from the origin's sweep.
    if (!event || event.publishedAt !== null || transaction.region !== config.region)
      return { ...answer, eventPublished: false };
    const outcome = await publisher.publish([
      { transactionId: transaction.id, detail: event.detail, time: transaction.timestamp },
    ]);
    recordInBackground(outcome);
    const published = outcome.accepted.length === 1;
    const error = outcome.failed.get(transaction.id);
    return {
      ...answer,
      eventPublished: published,
      ...(published && !created ? { republished: true as const } : {}),
      ...(error ? { eventError: error } : {}),
    };
  }

  /** Publishes this region's oldest unpublished events, 10 per PutEvents, and marks each accepted one. */
  async function sweep(request: Extract<Request, { operation: 'sweep' }>): Promise<SweepAnswer> {
    const cutoff = new Date(Date.now() - request.olderThanSeconds * 1000).toISOString();
    const due = await unpublishedEvents(pool, config.region, cutoff, request.limit);
    let published = 0;
    let failed = 0;
    let lastError: string | undefined;
    for (let i = 0; i < due.length; i += MAX_ENTRIES_PER_CALL) {
      const batch = due.slice(i, i + MAX_ENTRIES_PER_CALL).map((row) => ({
        transactionId: row.transactionId,
        detail: row.detail,
        time: (JSON.parse(row.detail) as TransactionEventDetail).timestamp,
      }));
      // Awaited: the sweep answers how many events remain unpublished after its marks.
      const outcome = await publisher.publish(batch);
      await recordOutcome(outcome);
      published += outcome.accepted.length;
      failed += outcome.failed.size;
      lastError = [...outcome.failed.values()].at(-1) ?? lastError;
    }
    return {
      ok: true,
      operation: 'sweep',
      region: config.region,
      published,
      failed,
      remaining: await countUnpublished(pool, config.region),
      ...(lastError ? { lastError } : {}),
    };
  }

  /**
   * Records a peer's event only when it is provably one: from the stack's peer region, about a
   * transaction that exists with that amount, origin and time (DSQL is strongly consistent across the
   * peered pair, so the row is there when its event arrives). Forged or misrouted events are refused.
   */
  async function receive(event: PeerEvent): Promise<EventAnswer | FunctionFailure> {
    if (!config.peerRegion) {
      // Thrown, not answered: EventBridge retries a failed delivery, so the event waits for the fix.
      throw new Error(
        `${FunctionEnv.peerRegion} is not set, so this function cannot tell its peer's events from forged ones and records none; run \`dsqlctl up\` to set it.`,
      );
    }
    const refuse = (why: string) =>
      failure(
        FunctionErrorCode.invalidEvent,
        `Event ${event.eventId} for transaction ${event.transactionId} refused: ${why}.`,
      );
    if (event.originRegion !== config.peerRegion) {
      return refuse(
        `it originated in ${event.originRegion}; only events from the peer region ${config.peerRegion} are recorded`,
      );
    }
    const stored = await getTransaction(pool, event.transactionId);
    if (!stored) return refuse('no such transaction exists');
    if (stored.region !== event.originRegion)
      return refuse(`the transaction was created in ${stored.region}`);
    if (stored.amount !== event.amount)
      return refuse(`the transaction's amount is ${stored.amount}, not ${event.amount}`);
    if (Date.parse(stored.timestamp) !== Date.parse(event.transactionTime)) {
      return refuse(
        `the transaction's timestamp is ${stored.timestamp}, not ${event.transactionTime.slice(0, 40)}`,
      );
    }
    const recorded = await recordReceivedEvent(pool, event, config.region);
    return {
      ok: true,
      region: config.region,
      operation: 'event',
      eventId: event.eventId,
      transactionId: event.transactionId,
      originRegion: event.originRegion,
      recorded,
    };
  }

  async function run(request: Request): Promise<FunctionAnswer> {
    const base = { ok: true as const, region: config.region };
    switch (request.operation) {
      case 'create':
        return create(request);
      case 'sweep':
        return sweep(request);
      case 'event':
        return receive(request.event);
      case 'count':
        return { ...base, operation: 'count', count: await countTransactions(pool) };
      case 'backlog':
        return { ...base, operation: 'backlog', ...(await outboxBacklog(pool, config.region)) };
      case 'list':
        return {
          ...base,
          operation: 'list',
          limit: request.limit,
          transactions: await listTransactions(pool, request.limit),
        };
      case 'get': {
        const transaction = await getTransaction(pool, request.transactionId);
        if (!transaction) {
          return failure(FunctionErrorCode.notFound, `No transaction with id "${request.transactionId}".`);
        }
        return { ...base, operation: 'get', transaction };
      }
      case 'received':
        return {
          ...base,
          operation: 'received',
          transactionId: request.transactionId,
          events: await listReceivedEvents(pool, request.transactionId),
        };
    }
  }

  return {
    handler: async (payload) => {
      const request = parseRequest(payload);
      if ('ok' in request) return request;
      // The pool retires idle connections and those nearing DSQL's hour by timers, which a freeze
      // leaves overdue; on thaw the pool would hand out such a connection (possibly closed by the
      // server meanwhile) before those timers run. Let them run first.
      if (performance.now() - lastSettled > THAW_GAP_MS) await runOverdueTimers();
      // An environment reads its own writes: a repeat create sees the mark of the create before it.
      // Normally long done (it was sent before the previous answer); after a freeze it lands now.
      if (marking.size > 0) await settled();
      try {
        return await run(request);
      } finally {
        lastSettled = performance.now();
      }
    },
    settled,
    close: async () => {
      await settled();
      publisher.destroy();
      await pool.end();
    },
  };
}
