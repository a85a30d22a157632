/**
 * The one code path that opens SQL connections to a cluster, on AWS and on the local cloud alike:
 * only the DatabaseSettings values differ (the local cloud adds a loopback `hostaddr` and its CA).
 * TLS is always on and verified, with the cluster's host as server name; the password is an IAM token
 * minted by @aws-sdk/dsql-signer for every new connection (pg calls an async `password` function
 * when the server asks, and both DSQL and the local endpoint always ask).
 *
 * pg and the signer are imported lazily so CLI commands that never touch SQL stay fast to start.
 */
import { readFileSync } from 'node:fs';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type pg from 'pg';
import type { DatabaseSettings } from './target.js';

export const ADMIN_USER = 'admin';

/** What a connection needs from DatabaseSettings. */
export type ConnectionSettings = Pick<
  DatabaseSettings,
  'host' | 'hostaddr' | 'port' | 'database' | 'region' | 'caFile'
>;

/** DSQL closes a connection after 60 minutes; recycle ours well before that. */
export const CONNECTION_MAX_LIFETIME_SECONDS = 50 * 60;

type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

/**
 * A function minting a fresh token on each call: the admin token for `admin`
 * (needs dsql:DbConnectAdmin), the ordinary one for any other role (needs dsql:DbConnect).
 */
export function authTokenProvider(
  settings: Pick<ConnectionSettings, 'host' | 'region'>,
  user: string,
  credentials?: Credentials,
  expiresIn?: number,
): () => Promise<string> {
  let signer: Promise<import('@aws-sdk/dsql-signer').DsqlSigner> | undefined;
  return async () => {
    signer ??= import('@aws-sdk/dsql-signer').then(
      ({ DsqlSigner }) =>
        new DsqlSigner({
          hostname: settings.host,
          region: settings.region,
          ...(credentials ? { credentials } : {}),
          ...(expiresIn ? { expiresIn } : {}),
        }),
    );
    const s = await signer;
    return user === ADMIN_USER ? s.getDbConnectAdminAuthToken() : s.getDbConnectAuthToken();
  };
}

/** pg client configuration for one user on one cluster. */
function connectionConfig(
  settings: ConnectionSettings,
  user: string,
  credentials?: Credentials,
): pg.ClientConfig {
  return {
    host: settings.hostaddr ?? settings.host,
    port: settings.port,
    database: settings.database,
    user,
    password: authTokenProvider(settings, user, credentials),
    // DSQL requires TLS; its certificate names the cluster host (Node's CAs on AWS, the local CA here).
    ssl: {
      rejectUnauthorized: true,
      servername: settings.host,
      ...(settings.caFile ? { ca: readFileSync(settings.caFile, 'utf8') } : {}),
    },
    connectionTimeoutMillis: 10_000,
  };
}

/** pg pool configuration: what the function keeps at module scope across invocations. */
export function poolConfig(
  settings: ConnectionSettings,
  user: string,
  options: { max?: number; idleTimeoutMillis?: number; credentials?: Credentials } = {},
): pg.PoolConfig {
  return {
    ...connectionConfig(settings, user, options.credentials),
    max: options.max ?? 4,
    maxLifetimeSeconds: CONNECTION_MAX_LIFETIME_SECONDS,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 5 * 60_000,
  };
}

/** An open client as `admin` (the CLI and provisioning; never the function). Caller ends it. */
export async function connectAsAdmin(
  settings: ConnectionSettings,
  credentials?: Credentials,
): Promise<pg.Client> {
  const { default: pgModule } = await import('pg');
  const client = new pgModule.Client(connectionConfig(settings, ADMIN_USER, credentials));
  // A connection that breaks (the endpoint restarted, the local cloud died) also fails the query in
  // flight or the next one, which reports it with its step; unheard, pg's 'error' event kills the CLI.
  client.on('error', () => {});
  await client.connect();
  return client;
}

/**
 * True for an optimistic-concurrency conflict that a retry of the whole transaction may resolve:
 * PostgreSQL's serialization failure 40001, and DSQL's OC000 (data) / OC001 (schema) codes,
 * which DSQL reports as 40001 with the OC code in the message.
 */
export function isConcurrencyConflict(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code === '40001' || code === 'OC000' || code === 'OC001') return true;
  return typeof message === 'string' && /\bOC00[01]\b/.test(message);
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Six attempts with full-jitter exponential backoff (20 ms doubling, capped at 500 ms): at most
 * about 1.3 s of sleeping, well inside a Lambda timeout, enough for bursts of conflicts.
 */
const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 20, maxDelayMs: 500 };

/**
 * Runs `work` (one whole transaction) until it succeeds, retrying only concurrency conflicts with
 * bounded jittered backoff; answers the result and how many attempts it took.
 */
export async function withConflictRetry<T>(
  work: (attempt: number) => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<{ result: T; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { result: await work(attempt), attempts: attempt };
    } catch (error) {
      if (!isConcurrencyConflict(error) || attempt >= policy.maxAttempts) throw error;
      await sleepWithJitter(policy, attempt);
    }
  }
}

/**
 * Full-jitter exponential backoff before the `retry`-th retry (1-based): a random wait below
 * baseDelayMs·2^(retry−1), capped at maxDelayMs.
 */
export function sleepWithJitter(
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  retry: number,
): Promise<void> {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
