/**
 * The drill's load: `rate` creates per second, alternating between the two regions' functions. A
 * create that fails in one region is retried at once in the other with the same transaction id (the
 * function's create is idempotent by id), and counted as a failover when that succeeds.
 */
import { randomUUID } from 'node:crypto';
import type { CreateAnswer } from '../function-contract.js';
import { createPayload, randomAmount } from '../txn/index.js';
import type { FunctionInvoker } from '../txn/invoke.js';
import { verifyId } from '../verify/ids.js';

/**
 * One invocation as the caller saw it, timed in ms since the drill started. It counts at `doneAt`,
 * when its answer came: an invocation queued behind busy function workers is answered by the state
 * the cluster is in when it runs, not when it was sent.
 */
export interface Sample {
  at: number;
  doneAt: number;
  region: string;
  ok: boolean;
  latencyMs: number;
  /** The retry of a create that failed in the other region. */
  failover: boolean;
}

export interface Acknowledged {
  id: string;
  /** The region whose function acknowledged the create. */
  region: string;
  /**
   * The region the row was created in, as the answer's stored transaction says: `region`, or the other
   * one when a failed attempt there had committed before its answer was lost (the retry found the
   * row). The event is that region's to send, so it is received by the region that is not `origin`.
   */
  origin: string;
  amount: string;
  /** When the create was sent and answered (ms since the drill started): its event was put in between. */
  at: number;
  doneAt: number;
}

/** Requests in flight at most; a tick finding this many waiting is skipped (and counted). */
const MAX_IN_FLIGHT = 100;

export class DrillLoad {
  readonly samples: Sample[] = [];
  readonly acknowledged: Acknowledged[] = [];
  /** Every id a create was sent for (acknowledged or not: a failed create may still have committed). */
  readonly attempted: string[] = [];
  failovers = 0;
  skippedTicks = 0;
  firstError?: string;
  readonly #inFlight = new Set<Promise<void>>();
  #timer?: NodeJS.Timeout;
  #sent = 0;

  constructor(
    readonly invoker: FunctionInvoker,
    readonly regions: readonly [string, string],
    readonly rate: number,
    readonly origin: number,
  ) {}

  start(): void {
    const startedAt = performance.now();
    // Ticks are scheduled against the clock, not chained delays, so slow answers do not lower the rate.
    const tick = () => {
      const due = Math.floor(((performance.now() - startedAt) / 1000) * this.rate) + 1;
      while (this.#sent < due) {
        const region = this.regions[this.#sent % 2] as string;
        this.#sent++;
        if (this.#inFlight.size >= MAX_IN_FLIGHT) {
          this.skippedTicks++;
          continue;
        }
        const work = this.#create(region).finally(() => this.#inFlight.delete(work));
        this.#inFlight.add(work);
      }
      this.#timer = setTimeout(tick, Math.max(5, 1000 / this.rate / 2));
    };
    tick();
  }

  /** Stops sending and waits for the creates in flight. */
  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await Promise.all([...this.#inFlight]);
  }

  /** The first success in `region` answered at or after `since` (ms since the drill started). */
  firstSuccessIn(region: string, since: number): Sample | undefined {
    return this.samples
      .filter((s) => s.region === region && s.ok && s.doneAt >= since)
      .sort((a, b) => a.doneAt - b.doneAt)[0];
  }

  async #create(region: string): Promise<void> {
    const id = verifyId('drill', randomUUID());
    const amount = randomAmount(999);
    this.attempted.push(id);
    if (await this.#attempt(region, id, amount, false)) return;
    const other = this.regions.find((r) => r !== region) as string;
    if (await this.#attempt(other, id, amount, true)) this.failovers++;
  }

  #record(at: number, region: string, ok: boolean, failover: boolean): number {
    const doneAt = performance.now() - this.origin;
    this.samples.push({ at, doneAt, region, ok, latencyMs: doneAt - at, failover });
    return doneAt;
  }

  async #attempt(region: string, id: string, amount: string, failover: boolean): Promise<boolean> {
    const at = performance.now() - this.origin;
    try {
      const { answer } = await this.invoker.invoke<CreateAnswer>(region, createPayload(amount, id));
      const doneAt = this.#record(at, region, true, failover);
      this.acknowledged.push({ id, region, origin: answer.transaction.region, amount, at, doneAt });
      return true;
    } catch (error) {
      this.firstError ??= (error as Error).message;
      this.#record(at, region, false, failover);
      return false;
    }
  }
}
