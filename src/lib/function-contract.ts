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
} as const;

export const OPERATIONS = {
  create: ['create', 'write'],
  count: ['read', 'count'],
  list: ['list', 'recent'],
  get: ['get'],
  /** The peer events this region's function recorded for one transaction (`verify events` polls it). */
  received: ['received'],
} as const;

export const TRANSACTION_EVENT = {
  source: 'dsql.application',
  detailType: 'Transaction Created',
} as const;

export const LIST_LIMIT = { default: 10, max: 100 } as const;

/** `error.code` values the function answers with `{ok: false}` (bad input; never a throw). */
export const FunctionErrorCode = {
  invalidPayload: 'InvalidPayload',
  unknownOperation: 'UnknownOperation',
  invalidAmount: 'InvalidAmount',
  invalidTransactionId: 'InvalidTransactionId',
  invalidLimit: 'InvalidLimit',
  invalidEvent: 'InvalidEvent',
  notFound: 'NotFound',
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

export type FunctionFailure = { ok: false; error: { code: FunctionErrorCodeValue; message: string } };
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
  /** True only when EventBridge accepted the event; false for a repeat (`created: false`) or a failure. */
  eventPublished: boolean;
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
  /** False when this event id was already recorded (a redelivery). */
  recorded: boolean;
};
/** A peer region's event as recorded; peered regions share one database, so the row names its recorder. */
export interface ReceivedEventRecord {
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
  | FunctionFailure;
