/**
 * Bounded waiting and bounded retrying. Every loop here has a deadline and ends in WaitTimeoutError
 * (exit 4) naming what it waited for and the last state it saw.
 */
import { DsqlctlError, WaitTimeoutError } from '../errors.js';
import { sleepUnlessInterrupted, throwIfInterrupted } from '../interrupt.js';

/**
 * Something a wait was waiting on disappeared (another command deleted it): a failure at once, not
 * "not ready yet" until the limit.
 */
export class GoneWhileWaitingError extends DsqlctlError {}

export function goneWhileWaiting(what: string, cause?: unknown): GoneWhileWaitingError {
  return new GoneWhileWaitingError(
    `${what} was deleted while dsqlctl waited for it (another dsqlctl down, or a person?).`,
    {
      cause,
      advice:
        'Once the other command has finished, run the same command again: it recreates what is missing.',
    },
  );
}

/** Wait limits in seconds; DSQLCTL_WAIT_TIMEOUT_SECONDS caps them all (tests, impatient operators). */
const WAIT_LIMITS = {
  cluster: 30 * 60,
  function: 5 * 60,
  iamPropagation: 2 * 60,
  conflict: 3 * 60,
  /** Another up or down of the same stack, until it releases the stack's lock. */
  lock: 30 * 60,
  /** A cluster CreateCluster just named, until GetCluster shows it (else it is a replay of a deleted one). */
  readable: 30,
} as const;

export function waitLimitSeconds(kind: keyof typeof WAIT_LIMITS): number {
  const cap = Number(process.env.DSQLCTL_WAIT_TIMEOUT_SECONDS);
  return Number.isFinite(cap) && cap > 0 ? Math.min(cap, WAIT_LIMITS[kind]) : WAIT_LIMITS[kind];
}

const MIN_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;
const DELAY_FRACTION = 0.025;

/**
 * Polls `read` until `done` holds. The delay between reads is 2.5 % of the time waited so far (at least
 * 0.1 s, at most 5 s): a wait ends at most ~2.5 % after the state changed, whether it lasts a second on
 * the local cloud or minutes on AWS, with ~150 reads for a minute's wait. (At 5 % the peering's 12 s
 * wait in the provision bench ended ~0.55 s late, the reads' phase landing just before the change.)
 * `describe` turns a reading into the progress message; each change of message is reported once.
 */
export async function pollUntil<T>(options: {
  what: string;
  limitSeconds: number;
  read: () => Promise<T>;
  done: (value: T) => boolean;
  describe: (value: T) => string;
  /** True when the reading shows the thing waited for is gone: fail at once (goneWhileWaiting). */
  gone?: (value: T) => boolean;
  onProgress?: (message: string) => void;
}): Promise<T> {
  const started = Date.now();
  const deadline = started + options.limitSeconds * 1000;
  let last = '';
  for (;;) {
    const value = await options.read();
    if (options.done(value)) return value;
    throwIfInterrupted();
    if (options.gone?.(value)) throw goneWhileWaiting(options.what);
    const message = options.describe(value);
    if (message !== last) options.onProgress?.(message);
    last = message;
    const delay = Math.min(MAX_DELAY_MS, Math.max(MIN_DELAY_MS, (Date.now() - started) * DELAY_FRACTION));
    if (Date.now() + delay > deadline) {
      throw new WaitTimeoutError(
        `Timed out after ${options.limitSeconds} s waiting for ${options.what} (last seen: ${message}).`,
        { advice: 'Run the same command again: it resumes where it stopped.' },
      );
    }
    await sleepUnlessInterrupted(delay);
    throwIfInterrupted();
  }
}

/**
 * Runs `work`, retrying while `retryable(error)` returns a message (shown to the operator) and the
 * deadline allows; any other error is thrown at once.
 */
export async function retryWhile<T>(options: {
  what: string;
  limitSeconds: number;
  work: () => Promise<T>;
  retryable: (error: unknown) => string | undefined;
  onProgress?: (message: string) => void;
  /** Runs before each retry; throws when retrying cannot help (what was waited for is gone). */
  beforeRetry?: () => Promise<void>;
}): Promise<T> {
  const deadline = Date.now() + options.limitSeconds * 1000;
  let delay = 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await options.work();
    } catch (error) {
      const why = options.retryable(error);
      if (!why) throw error;
      throwIfInterrupted();
      if (Date.now() + delay > deadline) {
        throw new WaitTimeoutError(`Gave up on ${options.what} after ${options.limitSeconds} s: ${why}`, {
          cause: error,
          advice: 'Run the same command again: it resumes where it stopped.',
        });
      }
      options.onProgress?.(`${why}; retrying (attempt ${attempt + 1})`);
      // Jitter spreads parallel retries (both regions' functions often wait on the same role).
      await sleepUnlessInterrupted(delay * (0.75 + Math.random() * 0.5));
      throwIfInterrupted();
      delay = Math.min(MAX_DELAY_MS, delay * 2);
      await options.beforeRetry?.();
    }
  }
}
