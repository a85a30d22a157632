/**
 * What the deployed function and the CLI agree on: environment variables, operations, and the
 * event it publishes. Imported by lambda-bundle (bundled in) and by the provisioning and txn code.
 */

/** Environment variables the function reads once at cold start. */
export const FunctionEnv = {
  endpoint: 'DSQL_ENDPOINT',
  port: 'DSQL_PORT',
  database: 'DSQL_DATABASE',
  user: 'DSQL_USER',
  busName: 'EVENT_BUS_NAME',
  /**
   * The one region whose `Transaction Created` events this function records (the stack's other
   * region). Optional at cold start; while it is unset, every delivered event is refused.
   */
  peerRegion: 'PEER_REGION',
} as const;

export const OPERATIONS = {
  create: ['create', 'write'],
  count: ['read', 'count'],
  list: ['list', 'recent'],
  get: ['get'],
  /** The peer events this region's function recorded for one transaction (`verify events` polls it). */
  received: ['received'],
  /** Publishes this region's outbox events that are still unpublished (run by the scheduled rule). */
  sweep: ['sweep'],
  /** Read-only: this region's unpublished outbox events and the oldest one's age (verify, status). */
  backlog: ['backlog'],
} as const;

export const TRANSACTION_EVENT = {
  source: 'dsql.application',
  detailType: 'Transaction Created',
} as const;

export const LIST_LIMIT = { default: 10, max: 100 } as const;

/**
 * The sweep's bounds. Events younger than the default threshold may belong to a create still running
 * (the function's timeout is 30 s), which publishes them itself; the batch bounds one invocation's work.
 * The threshold is seconds of AWS time: `up` writes it into the sweep rule's input scaled by the
 * target's time scale (event-rule.ts), so on the local cloud it shrinks with the schedule it runs on.
 */
export const SWEEP = {
  defaultOlderThanSeconds: 30,
  maxOlderThanSeconds: 86_400,
  defaultLimit: 100,
  maxLimit: 1000,
} as const;

/** `error.code` values the function answers with `{ok: false}` (bad input; never a throw). */
export const FunctionErrorCode = {
  invalidPayload: 'InvalidPayload',
  unknownOperation: 'UnknownOperation',
  invalidAmount: 'InvalidAmount',
  invalidTransactionId: 'InvalidTransactionId',
  invalidLimit: 'InvalidLimit',
  invalidEvent: 'InvalidEvent',
  invalidSweep: 'InvalidSweep',
  notFound: 'NotFound',
  /** The id exists with a different amount: the same idempotency key with another payload. */
  idempotencyConflict: 'IdempotencyConflict',
} as const;
export type FunctionErrorCodeValue = (typeof FunctionErrorCode)[keyof typeof FunctionErrorCode];

/** A transaction as the function answers it: amount as an exact decimal string, time as ISO-8601 UTC. */
export interface TransactionRecord {
  id: string;
  amount: string;
  timestamp: string;
  region: string;
  status: string | null;
}

/** The `detail` of a `Transaction Created` event. */
export interface TransactionEventDetail {
  transactionId: string;
  amount: string;
  region: string;
  originRegion: string;
  operation: 'create';
  timestamp: string;
}

export type FunctionFailure = {
  ok: false;
  error: {
    code: FunctionErrorCodeValue;
    message: string;
    /** IdempotencyConflict only: the transaction as stored under that id. */
    stored?: TransactionRecord;
  };
};
interface Answer<Op extends string> {
  ok: true;
  operation: Op;
  region: string;
}
export type CreateAnswer = Answer<'create'> & {
  created: boolean;
  transaction: TransactionRecord;
  /** How many times the transaction ran (1 = no concurrency conflict). */
  attempts: number;
  /**
   * True when this call had EventBridge accept the transaction's event: the create itself, or a repeat
   * (`created: false`) finding it still unpublished in the outbox. False when it was published earlier,
   * when publishing failed (then the outbox keeps it for the sweep), or when the repeat runs in a region
   * other than the one that created it (the event is that region's to send, from its bus, by its sweep).
   */
  eventPublished: boolean;
  /** Present (true) when a repeat published an event an earlier call left unpublished. */
  republished?: true;
  /** Why the event could not be published, when it was attempted and failed. */
  eventError?: string;
};
export type CountAnswer = Answer<'count'> & { count: number };
export type ListAnswer = Answer<'list'> & { limit: number; transactions: TransactionRecord[] };
export type GetAnswer = Answer<'get'> & { transaction: TransactionRecord };
/** Answer to an EventBridge delivery of a peer region's `Transaction Created` event. */
export type EventAnswer = Answer<'event'> & {
  eventId: string;
  transactionId: string;
  originRegion: string;
  /** False when this transaction's event from that origin was already recorded (a redelivery or re-publish). */
  recorded: boolean;
};
/** Answer to a sweep: counts of this region's outbox events. */
export type SweepAnswer = Answer<'sweep'> & {
  /** Events EventBridge accepted in this run, each marked published. */
  published: number;
  /** Events whose PutEvents entry still failed after resends (their attempts and last_error are recorded). */
  failed: number;
  /** This region's unpublished events after the run, of any age. */
  remaining: number;
  /** The last PutEvents failure of this run, when there was one. */
  lastError?: string;
};
/** Answer to a backlog read: this region's outbox events not yet published. */
export type BacklogAnswer = Answer<'backlog'> & {
  unpublished: number;
  /** Seconds since the oldest unpublished event was written (database time); null when none. */
  oldestAgeSeconds: number | null;
  /** The oldest unpublished event's transaction, when there is one. */
  oldestTransactionId: string | null;
};
/** A peer region's event as recorded; peered regions share one database, so the row names its recorder. */
export interface ReceivedEventRecord {
  /** EventBridge's id of the first delivery recorded. */
  eventId: string;
  transactionId: string;
  originRegion: string;
  receivedRegion: string;
  /** ISO-8601 UTC. */
  receivedAt: string;
}
export type ReceivedAnswer = Answer<'received'> & { transactionId: string; events: ReceivedEventRecord[] };
export type FunctionAnswer =
  | CreateAnswer
  | ReceivedAnswer
  | CountAnswer
  | ListAnswer
  | GetAnswer
  | EventAnswer
  | SweepAnswer
  | BacklogAnswer
  | FunctionFailure;
