/**
 * The transaction function: validates the payload, runs one operation against the cluster through a
 * pool that lives as long as the execution environment, and answers a JSON object. Bad input is
 * answered `{ok: false, error}`; only unexpected failures (database unreachable…) throw, which the
 * CLI sees as FunctionError.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { poolConfig } from '../../src/lib/dsql-connection.js';
import { type FunctionAnswer, FunctionErrorCode } from '../../src/lib/function-contract.js';
import type { FunctionConfig } from './config.js';
import { DEFAULT_PUBLISH, EventPublisher, type PublishPolicy } from './events.js';
import { failure, parseRequest, type Request } from './request.js';
import {
  countTransactions,
  createTransaction,
  getTransaction,
  listReceivedEvents,
  listTransactions,
  recordReceivedEvent,
  rowTypes,
} from './store.js';

export interface TransactionFunction {
  handler: (payload: unknown) => Promise<FunctionAnswer>;
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

  async function run(request: Request): Promise<FunctionAnswer> {
    const base = { ok: true as const, region: config.region };
    switch (request.operation) {
      case 'create': {
        const id = request.transactionId ?? randomUUID();
        const { created, transaction, attempts } = await createTransaction(pool, {
          id,
          amount: request.amount,
          region: config.region,
          timestamp: new Date().toISOString(),
        });
        // Only the call that created the row publishes: a repeat never sends a second event.
        if (!created)
          return { ...base, operation: 'create', created, transaction, attempts, eventPublished: false };
        const outcome = await publisher.publish([
          {
            transactionId: transaction.id,
            amount: transaction.amount,
            region: config.region,
            originRegion: config.region,
            operation: 'create',
            timestamp: transaction.timestamp,
          },
        ]);
        return {
          ...base,
          operation: 'create',
          created,
          transaction,
          attempts,
          eventPublished: outcome.published,
          ...(outcome.error ? { eventError: outcome.error } : {}),
        };
      }
      case 'count':
        return { ...base, operation: 'count', count: await countTransactions(pool) };
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
      case 'event': {
        const { event } = request;
        // Only a peer's event proves cross-region delivery; one from this region means a misrouted rule.
        if (event.originRegion === config.region) {
          return failure(
            FunctionErrorCode.invalidEvent,
            `Event ${event.eventId} originated in this region (${config.region}); only peer-region events are recorded.`,
          );
        }
        const recorded = await recordReceivedEvent(pool, event, config.region);
        return {
          ...base,
          operation: 'event',
          eventId: event.eventId,
          transactionId: event.transactionId,
          originRegion: event.originRegion,
          recorded,
        };
      }
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
      try {
        return await run(request);
      } finally {
        lastSettled = performance.now();
      }
    },
    close: async () => {
      publisher.destroy();
      await pool.end();
    },
  };
}
