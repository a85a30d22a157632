/**
 * A region's outbox backlog, read from its function's read-only `backlog` operation: the events it
 * committed but EventBridge has not accepted yet (the sweep publishes them). `verify events` fails on
 * an old one; `status` shows them.
 */
import type { BacklogAnswer } from '../function-contract.js';
import type { FunctionInvoker } from './invoke.js';

/** A region's outbox events not yet published (the sweep publishes them every minute). */
export interface OutboxBacklog {
  region: string;
  unpublished: number;
  /** Seconds since the oldest unpublished event was written (database time); null when none. */
  oldestAgeSeconds: number | null;
  oldestTransactionId: string | null;
}

export async function readBacklog(invoker: FunctionInvoker, region: string): Promise<OutboxBacklog> {
  const { answer } = await invoker.invoke<BacklogAnswer>(region, { operation: 'backlog' });
  return {
    region,
    unpublished: answer.unpublished,
    oldestAgeSeconds: answer.oldestAgeSeconds,
    oldestTransactionId: answer.oldestTransactionId,
  };
}
