/**
 * The drill's proof, read through both regions after the outage: every acknowledged create is
 * present, once, in each region with the amount it was written with; the regions count the same
 * rows, and the rows added during the drill are exactly the creates it sent that committed (none
 * twice: a failover reuses the id, so a duplicate would be a row the ids do not explain — another
 * writer on the stack during the drill shows up here too); and every acknowledged create's event
 * reached the other region (the outbox, EventBridge's forwarding and retries), within a bound.
 */
import { FunctionErrorCode, type ReceivedAnswer } from '../function-contract.js';
import type { CountAnswer, GetAnswer } from '../txn/index.js';
import { type FunctionInvoker, FunctionRefusedError } from '../txn/invoke.js';
import type { Acknowledged } from './load.js';

const READ_CONCURRENCY = 16;
const EVENT_POLL_MS = 250;

export interface Proof {
  acknowledged: number;
  /** Per region: acknowledged creates found there with their amount. */
  found: Record<string, number>;
  /** Acknowledged ids missing (or wrong) in some region, the first few. */
  lost: string[];
  lostCount: number;
  /** Rows added beyond the creates sent (duplicates or another writer). */
  duplicated: number;
  /** Creates that failed in both regions but had committed anyway (found by id). */
  committedUnacknowledged: number;
  counts: Record<string, number>;
  countsAgree: boolean;
  events: {
    expected: number;
    delivered: number;
    missing: string[];
    /** Of the missing, events put while `--events` had the forwarding rule disabled (dropped by it). */
    missingWhileRuleDisabled: number;
    waitedMs: number;
  };
}

async function pool<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, items.length) }, worker));
}

async function amountIn(invoker: FunctionInvoker, region: string, id: string): Promise<string | undefined> {
  try {
    const { answer } = await invoker.invoke<GetAnswer>(region, { operation: 'get', transactionId: id });
    return answer.transaction.amount;
  } catch (error) {
    if (error instanceof FunctionRefusedError && error.code === FunctionErrorCode.notFound) return undefined;
    throw error;
  }
}

export async function countIn(invoker: FunctionInvoker, region: string): Promise<number> {
  const { answer } = await invoker.invoke<CountAnswer>(region, { operation: 'count' });
  return answer.count;
}

export async function prove(
  invoker: FunctionInvoker,
  regions: readonly string[],
  run: {
    acknowledged: Acknowledged[];
    attempted: string[];
    countsBefore: Record<string, number>;
    eventTimeoutMs: number;
    /** True for a create whose event was put while the forwarding rule was disabled (`--events`). */
    putWhileRuleDisabled?: (a: Acknowledged) => boolean;
  },
): Promise<Proof> {
  const acked = new Map(run.acknowledged.map((a) => [a.id, a]));
  const found: Record<string, number> = Object.fromEntries(regions.map((r) => [r, 0]));
  const lost = new Set<string>();
  let committedUnacknowledged = 0;
  await pool(run.attempted, async (id) => {
    const amounts = await Promise.all(regions.map((r) => amountIn(invoker, r, id)));
    const ack = acked.get(id);
    if (!ack) {
      if (amounts.some((a) => a !== undefined)) committedUnacknowledged++;
      return;
    }
    amounts.forEach((amount, i) => {
      if (amount === ack.amount) found[regions[i] as string] = (found[regions[i] as string] ?? 0) + 1;
      else lost.add(id);
    });
  });
  const counts = Object.fromEntries(
    await Promise.all(regions.map(async (r) => [r, await countIn(invoker, r)] as const)),
  );
  const added = Math.max(...regions.map((r) => (counts[r] ?? 0) - (run.countsBefore[r] ?? 0)));
  const duplicated = Math.max(0, added - (run.acknowledged.length - lost.size + committedUnacknowledged));
  return {
    acknowledged: run.acknowledged.length,
    found,
    lost: [...lost].slice(0, 10),
    lostCount: lost.size,
    duplicated,
    committedUnacknowledged,
    counts,
    countsAgree: new Set(Object.values(counts)).size === 1,
    events: await eventsDelivered(
      invoker,
      regions,
      run.acknowledged,
      run.eventTimeoutMs,
      run.putWhileRuleDisabled ?? (() => false),
    ),
  };
}

/**
 * Polls (bounded) until each acknowledged create's event is recorded by the region other than the one
 * its row was created in (its `origin`, which a failover can make the other region than the acknowledger).
 */
export async function eventsDelivered(
  invoker: FunctionInvoker,
  regions: readonly string[],
  acknowledged: Acknowledged[],
  timeoutMs: number,
  putWhileRuleDisabled: (a: Acknowledged) => boolean,
): Promise<Proof['events']> {
  const started = performance.now();
  let pending = acknowledged;
  for (;;) {
    const still: Acknowledged[] = [];
    await pool(pending, async (a) => {
      const destination = regions.find((r) => r !== a.origin) as string;
      // Peered regions share one database: the recorded row names the region that received it.
      const { answer } = await invoker.invoke<ReceivedAnswer>(a.region, {
        operation: 'received',
        transactionId: a.id,
      });
      const ok = answer.events.some((e) => e.originRegion === a.origin && e.receivedRegion === destination);
      if (!ok) still.push(a);
    });
    pending = still;
    const waitedMs = performance.now() - started;
    if (pending.length === 0 || waitedMs >= timeoutMs) {
      return {
        expected: acknowledged.length,
        delivered: acknowledged.length - pending.length,
        missing: pending.slice(0, 10).map((a) => a.id),
        missingWhileRuleDisabled: pending.filter(putWhileRuleDisabled).length,
        waitedMs: Math.round(waitedMs),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, EVENT_POLL_MS));
  }
}
