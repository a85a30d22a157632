/**
 * Publishing `Transaction Created` events. PutEvents may accept the call and still fail some entries
 * (FailedEntryCount > 0, with an ErrorCode per entry): only those are resent, with jittered backoff, a
 * bounded number of times. Each event's outcome is reported, never assumed, so the caller marks in the
 * outbox exactly the events EventBridge accepted.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { sleepWithJitter } from '../../src/lib/dsql-connection.js';
import { TRANSACTION_EVENT } from '../../src/lib/function-contract.js';

/** One outbox event as published: its transaction, the detail JSON as stored, and the event time. */
export interface OutboxEvent {
  transactionId: string;
  detail: string;
  /** ISO-8601 UTC: the transaction's timestamp. */
  time: string;
}

export interface PublishOutcome {
  /** Transaction ids whose event EventBridge accepted. */
  accepted: string[];
  /** Transaction ids whose event was still refused after the last call, with the last reason. */
  failed: Map<string, string>;
  /** PutEvents calls made (1 when everything was accepted at once). */
  calls: number;
}

export interface PublishPolicy {
  maxCalls: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** PutEvents takes at most 10 entries per call. */
export const MAX_ENTRIES_PER_CALL = 10;

/** Four calls (three resends) with 50 ms doubling full-jitter backoff: under a second in the worst case. */
export const DEFAULT_PUBLISH: PublishPolicy = { maxCalls: 4, baseDelayMs: 50, maxDelayMs: 400 };

export class EventPublisher {
  // The SDK reads AWS_REGION and honours AWS_ENDPOINT_URL(_EVENTBRIDGE) by itself: on the local cloud
  // the same client lands on its loopback endpoint.
  readonly #client: EventBridgeClient;

  constructor(
    readonly busName: string,
    readonly region: string,
    readonly policy: PublishPolicy = DEFAULT_PUBLISH,
  ) {
    this.#client = new EventBridgeClient({ region });
  }

  /** Publishes ≤ 10 events (one PutEvents call's worth); resolves when all are accepted or resends ran out. */
  async publish(events: OutboxEvent[]): Promise<PublishOutcome> {
    if (events.length > MAX_ENTRIES_PER_CALL) {
      throw new Error(`PutEvents takes at most ${MAX_ENTRIES_PER_CALL} entries, not ${events.length}`);
    }
    const accepted: string[] = [];
    const reasons = new Map<string, string>();
    let pending = events;
    let calls = 0;
    while (pending.length > 0 && calls < this.policy.maxCalls) {
      calls++;
      if (calls > 1) await sleepWithJitter(this.policy, calls - 1);
      try {
        const output = await this.#client.send(
          new PutEventsCommand({ Entries: pending.map((event) => this.#entry(event)) }),
        );
        // Entries answer in request order; a failed one carries ErrorCode instead of EventId.
        const results = output.Entries ?? [];
        const still: OutboxEvent[] = [];
        pending.forEach((event, i) => {
          const result = results[i];
          if (result?.EventId && !result.ErrorCode) {
            accepted.push(event.transactionId);
            reasons.delete(event.transactionId);
          } else {
            still.push(event);
            const why = result
              ? `${result.ErrorCode ?? 'no EventId'}: ${result.ErrorMessage ?? ''}`
              : 'no result';
            reasons.set(event.transactionId, why.trim());
          }
        });
        pending = still;
      } catch (error) {
        // The SDK has already retried transient HTTP failures; count this call and go on.
        const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        for (const event of pending) reasons.set(event.transactionId, why);
      }
    }
    const failed = new Map(
      pending.map((e) => [
        e.transactionId,
        `PutEvents failed after ${calls} calls (${reasons.get(e.transactionId)})`,
      ]),
    );
    // Not silent: the outbox keeps the event for the sweep, and CloudWatch Logs keeps the reason.
    for (const [id, why] of failed)
      console.error(`[dsqlctl] event for transaction ${id} not published: ${why}`);
    return { accepted, failed, calls };
  }

  #entry(event: OutboxEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.busName,
      Source: TRANSACTION_EVENT.source,
      DetailType: TRANSACTION_EVENT.detailType,
      Detail: event.detail,
      Time: new Date(event.time),
    };
  }

  destroy(): void {
    this.#client.destroy();
  }
}
