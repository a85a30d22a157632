/**
 * The SDK clients' retry configuration: by default the SDK's adaptive retry (client-side rate limiting
 * plus backoff). DSQLCTL_RETRY_BASE_DELAY_MS switches to the SDK's standard retry strategy with one
 * backoff base for every retryable error (instead of 1,000 ms for throttling and 50 ms otherwise), with
 * the same full jitter, 20 s cap and attempt limit, and without the adaptive rate limiter (which, after a
 * throttle, spaces a client's requests by up to seconds). Tests that inject throttling set it, so
 * their retries cost milliseconds, not a minute of sleeping.
 */
import type { StandardRetryStrategy } from '@smithy/core/retry';
import { UsageError } from './errors.js';

const MAX_DELAY_MS = 20_000;

export interface RetryConfig {
  retryMode: 'adaptive';
  maxAttempts: number;
  retryStrategy?: StandardRetryStrategy;
}

/**
 * A maker of each new client's retry configuration: a strategy per client, as the SDK's own is, so one
 * client's retries do not spend another's retry capacity.
 */
export async function sdkRetryConfig(maxAttempts: number): Promise<() => RetryConfig> {
  const text = process.env.DSQLCTL_RETRY_BASE_DELAY_MS;
  if (text === undefined || text === '') return () => ({ retryMode: 'adaptive', maxAttempts });
  const base = Number(text);
  if (!Number.isInteger(base) || base < 0 || base > MAX_DELAY_MS) {
    throw new UsageError(
      `DSQLCTL_RETRY_BASE_DELAY_MS must be a whole number of milliseconds from 0 to ${MAX_DELAY_MS} (got "${text}").`,
    );
  }
  // Loaded only here: the retry module is not needed when the SDK's own configuration is used.
  const { StandardRetryStrategy } = await import('@smithy/core/retry');
  const backoff = {
    // The SDK sets its own base per error type before each retry; ours applies to all of them.
    setDelayBase() {},
    computeNextBackoffDelay: (retries: number) =>
      Math.floor(Math.random() * Math.min(base * 2 ** retries, MAX_DELAY_MS)),
  };
  return () => ({
    retryMode: 'adaptive',
    maxAttempts,
    retryStrategy: new StandardRetryStrategy({ maxAttempts, backoff, baseDelay: base }),
  });
}
