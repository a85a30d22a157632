/**
 * Where dsqlctl talks to: real AWS, or the embedded local cloud. Everything above this module uses the
 * same SDK v3 clients either way; only the client configuration and the database settings differ.
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { AuthError, UsageError } from './errors.js';
import { type RetryConfig, sdkRetryConfig } from './sdk-retry.js';

type TargetKind = 'aws' | 'local';
export const TARGET_KINDS: readonly TargetKind[] = ['aws', 'local'];

/** The part of an SDK v3 client configuration a target decides (retries: sdk-retry.ts). */
export interface ClientConfig extends RetryConfig {
  region: string;
  endpoint?: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/** How to open a SQL connection to a cluster: the one code path (dsql-connection.ts) takes these values. */
export interface DatabaseSettings {
  /** The cluster's endpoint host: what the token is signed for and the TLS certificate must name. */
  host: string;
  /** Where to connect when `host` does not resolve there (libpq's hostaddr): the local cloud's loopback. */
  hostaddr?: string;
  port: number;
  database: string;
  /** Region used to sign the IAM token (the cluster's region). */
  region: string;
  /** The CA the server certificate is verified against (the local cloud's); Node's own CAs when absent. */
  caFile?: string;
}

export interface Target {
  readonly kind: TargetKind;
  /**
   * Real seconds per second of AWS time: 1 on AWS; the local cloud's time scale (0.01 by default),
   * by which it shortens schedules and transitions. Thresholds `up` writes into resources follow it.
   */
  readonly timeScale: number;
  /**
   * Real milliseconds Lambda waits before it retries a failed asynchronous invocation (an EventBridge
   * delivery) the first time; the second retry waits twice that. On AWS one minute, then two ("Lambda
   * attempts to run it two more times, with a one-minute wait between the first two attempts, and two
   * minutes between the second and third": Lambda's asynchronous invocation guide); the local cloud's
   * `lambda:AsyncRetry`, time-scaled.
   */
  readonly lambdaAsyncRetryMs: number;
  clientConfig(region: string): ClientConfig;
  /** Connection settings for a cluster, from its identifier and (on AWS) its endpoint. */
  databaseSettings(cluster: {
    identifier: string;
    region: string;
    endpoint?: string;
  }): Promise<DatabaseSettings>;
}

/**
 * Throttling is absorbed by the SDK's adaptive retry (client-side rate limiting plus backoff).
 * 8 attempts rides out a burst of ThrottlingException without hiding a persistent failure for minutes.
 */
const SDK_MAX_ATTEMPTS = 8;

export function parseTargetKind(value: string | undefined): TargetKind {
  const kind = value ?? process.env.DSQLCTL_TARGET ?? 'aws';
  if (!(TARGET_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`Unknown target "${kind}": use one of ${TARGET_KINDS.join(', ')}.`);
  }
  return kind as TargetKind;
}

interface TargetOptions {
  kind: TargetKind;
  profile?: string;
}

export async function resolveTarget(options: TargetOptions): Promise<Target> {
  return options.kind === 'local' ? localTarget() : awsTarget(options.profile);
}

async function awsTarget(profile: string | undefined): Promise<Target> {
  const retry = await sdkRetryConfig(SDK_MAX_ATTEMPTS);
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  const provider = defaultProvider(profile ? { profile } : {});
  // Fail fast (exit 3) before any service call when no credential source answers.
  const credentials = await provider().catch((error: unknown) => {
    throw new AuthError(
      'No AWS credentials found. Tried: environment variables (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), ' +
        `the shared config and credentials files (profile "${profile ?? process.env.AWS_PROFILE ?? 'default'}"), ` +
        'SSO, web identity, the ECS container and EC2 instance metadata.',
      {
        cause: error,
        advice:
          'Configure credentials (aws configure / aws sso login, or --profile), or try dsqlctl without an account: --target local',
      },
    );
  });
  const memo: AwsCredentialIdentityProvider = async () => credentials;
  return {
    kind: 'aws',
    timeScale: 1,
    lambdaAsyncRetryMs: 60_000,
    clientConfig: (region) => ({
      region,
      credentials: credentials.expiration ? provider : memo,
      ...retry(),
      // AWS_ENDPOINT_URL is honoured by the SDK itself when no endpoint is set here.
    }),
    databaseSettings: async ({ identifier, region, endpoint }) => ({
      host: endpoint ?? `${identifier}.dsql.${region}.on.aws`,
      port: 5432,
      database: 'postgres',
      region,
    }),
  };
}

async function localTarget(): Promise<Target> {
  const retry = await sdkRetryConfig(SDK_MAX_ATTEMPTS);
  const { ensureLocalCloud, fetchDatabaseSettings } = await import('./local-cloud/index.js');
  // The operator's key is the home's own (generated once, 0600): only its owner gets in.
  const cloud = await ensureLocalCloud();
  const { endpoint, credentials, timeScale, lambdaAsyncRetryMs } = cloud;
  return {
    kind: 'local',
    timeScale,
    lambdaAsyncRetryMs,
    clientConfig: (region) => ({
      region,
      endpoint,
      credentials,
      ...retry(),
    }),
    databaseSettings: ({ identifier, region }) => fetchDatabaseSettings(cloud, region, identifier),
  };
}
