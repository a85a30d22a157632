/**
 * Publishing `Transaction Created` after commit. PutEvents may accept the call and still fail some
 * entries (FailedEntryCount > 0, with an ErrorCode per entry): only those are resent, with jittered
 * backoff, a bounded number of times. The outcome is reported, never assumed.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { sleepWithJitter } from '../../src/lib/dsql-connection.js';
import { TRANSACTION_EVENT, type TransactionEventDetail } from '../../src/lib/function-contract.js';

export interface PublishOutcome {
  published: boolean;
  /** PutEvents calls made (1 when everything was accepted at once). */
  calls: number;
  error?: string;
}

export interface PublishPolicy {
  maxCalls: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Four calls (three resends) with 50 ms doubling full-jitter backoff: under a second in the worst case. */
export const DEFAULT_PUBLISH: PublishPolicy = { maxCalls: 4, baseDelayMs: 50, maxDelayMs: 400 };

export class EventPublisher {
  // The SDK reads AWS_REGION and honours AWS_ENDPOINT_URL(_EVENTBRIDGE) by itself: on the local cloud
  // the same client lands on its loopback endpoint.
  readonly #client: EventBridgeClient;

  constructor(
    readonly busName: string,
    region: string,
    readonly policy: PublishPolicy = DEFAULT_PUBLISH,
  ) {
    this.#client = new EventBridgeClient({ region });
  }

  /** Publishes the events (≤ 10, one PutEvents call's worth); resolves when all are accepted or retries ran out. */
  async publish(details: TransactionEventDetail[]): Promise<PublishOutcome> {
    let pending: PutEventsRequestEntry[] = details.map((detail) => ({
      EventBusName: this.busName,
      Source: TRANSACTION_EVENT.source,
      DetailType: TRANSACTION_EVENT.detailType,
      Detail: JSON.stringify(detail),
      Time: new Date(detail.timestamp),
    }));
    let lastError = '';
    for (let call = 1; call <= this.policy.maxCalls; call++) {
      if (call > 1) await sleepWithJitter(this.policy, call - 1);
      try {
        const output = await this.#client.send(new PutEventsCommand({ Entries: pending }));
        if (!output.FailedEntryCount) return { published: true, calls: call };
        // Entries answer in request order; a failed one carries ErrorCode instead of EventId.
        const failed = (output.Entries ?? []).flatMap((entry, i) => (entry.ErrorCode ? [i] : []));
        lastError = (output.Entries ?? [])
          .filter((e) => e.ErrorCode)
          .map((e) => `${e.ErrorCode}: ${e.ErrorMessage ?? ''}`.trim())
          .join('; ');
        pending = failed.length > 0 ? failed.flatMap((i) => pending[i] ?? []) : pending;
      } catch (error) {
        // The SDK has already retried transient HTTP failures; count this call and go on.
        lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    }
    const error = `PutEvents failed after ${this.policy.maxCalls} calls (${lastError})`;
    // Not silent: the caller reports it, and CloudWatch Logs keeps it.
    const ids = details.map((d) => d.transactionId).join(', ');
    console.error(`[dsqlctl] event for transaction ${ids} not published: ${error}`);
    return { published: false, calls: this.policy.maxCalls, error };
  }

  destroy(): void {
    this.#client.destroy();
  }
}
