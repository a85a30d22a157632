/**
 * Validation at the edge: the raw invocation payload becomes a typed request or a failure answer.
 * Nothing here touches the database, and nothing here throws.
 */
import { parseAmount } from '../../src/lib/amount.js';
import {
  FunctionErrorCode,
  type FunctionErrorCodeValue,
  type FunctionFailure,
  LIST_LIMIT,
  OPERATIONS,
  SWEEP,
  TRANSACTION_EVENT,
} from '../../src/lib/function-contract.js';
import {
  MAX_TRANSACTION_ID_LENGTH,
  parseTransactionId as parseSharedTransactionId,
} from '../../src/lib/transaction-id.js';

export type Request =
  | { operation: 'create'; amount: string; transactionId?: string }
  | { operation: 'count' }
  | { operation: 'backlog' }
  | { operation: 'list'; limit: number }
  | { operation: 'get'; transactionId: string }
  | { operation: 'received'; transactionId: string }
  | { operation: 'sweep'; olderThanSeconds: number; limit: number }
  | { operation: 'event'; event: PeerEvent };

export interface PeerEvent {
  eventId: string;
  transactionId: string;
  originRegion: string;
  amount: string;
  /** The transaction's timestamp as the detail states it (ISO-8601), checked against the stored row. */
  transactionTime: string;
  eventTime: string | null;
}

type Operation = keyof typeof OPERATIONS;

/** Every accepted name (canonical or alias) → the canonical operation. */
const ALIASES = new Map<string, Operation>(
  (Object.entries(OPERATIONS) as Array<[Operation, readonly string[]]>).flatMap(([canonical, names]) =>
    names.map((name) => [name, canonical] as const),
  ),
);

export function failure(code: FunctionErrorCodeValue, message: string): FunctionFailure {
  return { ok: false, error: { code, message } };
}

/**
 * Decisions where the issue is silent: operation names are exact and lowercase ("Create" is
 * unknown); unknown extra fields are ignored; an EventBridge event is recognised by its
 * `detail-type` and `source` fields, whatever other fields it has.
 */
export function parseRequest(payload: unknown): Request | FunctionFailure {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return failure(
      FunctionErrorCode.invalidPayload,
      'The payload must be a JSON object such as {"operation":"count"}.',
    );
  }
  const body = payload as Record<string, unknown>;
  if ('detail-type' in body) return parseEvent(body);

  const name = body.operation;
  if (typeof name !== 'string') {
    return failure(FunctionErrorCode.unknownOperation, `"operation" is required: one of ${operationList()}.`);
  }
  const operation = ALIASES.get(name);
  if (!operation) {
    return failure(
      FunctionErrorCode.unknownOperation,
      `Unknown operation "${name.slice(0, 40)}": use one of ${operationList()}.`,
    );
  }
  switch (operation) {
    case 'create': {
      const amount = parseAmount(body.amount);
      if (!amount.ok) return failure(FunctionErrorCode.invalidAmount, amount.message);
      if (body.transactionId === undefined) return { operation, amount: amount.value };
      const id = parseTransactionId(body.transactionId);
      return typeof id === 'string' ? { operation, amount: amount.value, transactionId: id } : id;
    }
    case 'count':
    case 'backlog':
      return { operation };
    case 'list': {
      const limit = parseLimit(body.limit);
      return typeof limit === 'number' ? { operation, limit } : limit;
    }
    case 'get':
    case 'received': {
      const id = parseTransactionId(body.transactionId);
      return typeof id === 'string' ? { operation, transactionId: id } : id;
    }
    case 'sweep': {
      // Fractional seconds: on the local cloud the threshold is time-scaled (30 s × 0.01 = 0.3 s).
      const olderThanSeconds = parseBounded(
        body.olderThanSeconds,
        'olderThanSeconds',
        0,
        SWEEP.maxOlderThanSeconds,
        SWEEP.defaultOlderThanSeconds,
        false,
      );
      if (typeof olderThanSeconds !== 'number') return olderThanSeconds;
      const limit = parseBounded(body.limit, 'limit', 1, SWEEP.maxLimit, SWEEP.defaultLimit);
      return typeof limit === 'number' ? { operation, olderThanSeconds, limit } : limit;
    }
  }
}

/** A whole JSON number from min to max; absent means the default. */
function parseBounded(
  value: unknown,
  name: string,
  min: number,
  max: number,
  fallback: number,
  whole = true,
): number | FunctionFailure {
  if (value === undefined || value === null) return fallback;
  const valid = typeof value === 'number' && Number.isFinite(value) && (!whole || Number.isInteger(value));
  if (!valid || value < min || value > max) {
    const shown = typeof value === 'string' ? `"${value.slice(0, 20)}"` : String(value).slice(0, 20);
    return failure(
      FunctionErrorCode.invalidSweep,
      `"${name}" must be a ${whole ? 'whole ' : ''}number from ${min} to ${max}, not ${shown}.`,
    );
  }
  return value;
}

function operationList(): string {
  return Object.values(OPERATIONS)
    .flat()
    .map((n) => `"${n}"`)
    .join(', ');
}

/** The shared rule (src/lib/transaction-id.ts), answered as the function's failure shape. */
function parseTransactionId(value: unknown): string | FunctionFailure {
  const id = parseSharedTransactionId(value);
  return id.ok ? id.value : failure(FunctionErrorCode.invalidTransactionId, `"transactionId" ${id.message}.`);
}

/** An integer from 1 to 100; absent means 10. A numeric string such as "5" is refused (JSON number only). */
function parseLimit(value: unknown): number | FunctionFailure {
  if (value === undefined || value === null) return LIST_LIMIT.default;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > LIST_LIMIT.max) {
    const shown = typeof value === 'string' ? `"${value.slice(0, 20)}"` : String(value);
    return failure(
      FunctionErrorCode.invalidLimit,
      `"limit" must be a whole number from 1 to ${LIST_LIMIT.max}, not ${shown}.`,
    );
  }
  return value;
}

/** An EventBridge `Transaction Created` event from another region's function. */
function parseEvent(body: Record<string, unknown>): Request | FunctionFailure {
  const invalid = (why: string) =>
    failure(FunctionErrorCode.invalidEvent, `Not a transaction event: ${why}.`);
  if (body['detail-type'] !== TRANSACTION_EVENT.detailType || body.source !== TRANSACTION_EVENT.source) {
    return invalid(
      `expected source "${TRANSACTION_EVENT.source}" and detail-type "${TRANSACTION_EVENT.detailType}"`,
    );
  }
  if (typeof body.id !== 'string' || body.id === '' || body.id.length > MAX_TRANSACTION_ID_LENGTH)
    return invalid('no event id');
  const detail = body.detail;
  if (!detail || typeof detail !== 'object') return invalid('no detail');
  const { transactionId, originRegion, amount, timestamp } = detail as Record<string, unknown>;
  const id = parseTransactionId(transactionId);
  if (typeof id !== 'string') return invalid(id.error.message);
  if (typeof originRegion !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(originRegion)) {
    return invalid('detail.originRegion is not a region');
  }
  const parsedAmount = parseAmount(amount);
  if (!parsedAmount.ok) return invalid(`detail.amount: ${parsedAmount.message}`);
  if (typeof timestamp !== 'string' || Number.isNaN(Date.parse(timestamp))) {
    return invalid('detail.timestamp is not a time');
  }
  const time = typeof body.time === 'string' && !Number.isNaN(Date.parse(body.time)) ? body.time : null;
  return {
    operation: 'event',
    event: {
      eventId: body.id,
      transactionId: id,
      originRegion,
      amount: parsedAmount.value,
      transactionTime: timestamp,
      eventTime: time,
    },
  };
}
