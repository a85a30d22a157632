/**
 * Public face of the local cloud: the only module outside this folder may import.
 *
 * The local cloud is a background process (one per DSQLCTL_HOME, default ~/.dsqlctl) serving the AWS
 * APIs dsqlctl uses on 127.0.0.1, with a PostgreSQL server behind its DSQL clusters. The CLI gets an
 * endpoint URL, the operator's key (generated per home, read from it) and per-cluster database settings
 * from it, and talks to it with the same SDK v3 clients it uses for AWS.
 */
import { readFileSync } from 'node:fs';
import {
  daemonStatus,
  type StartOptions,
  type StartResult,
  type StopResult,
  startDaemon,
  stopDaemon,
} from './control.js';
import { getControl } from './control-client.js';
import type { FaultConfig } from './fault-config.js';
import { scaledDurationMs, timeScaleOf } from './fault-defaults.js';
import type { ClusterDatabaseSettings } from './instance.js';
import { ensureOperatorKey, type OperatorKey } from './operator-key.js';
import { cloudPaths, dsqlctlHome } from './paths.js';
import { type RequestLogEntry, readRequestLogFile } from './request-log.js';

export type { FailureRule, FaultConfig } from './fault-config.js';

/** The fault schema's readers (`local start --faults`, `--fail`), loaded on demand: they bring zod. */
export const faultConfigReaders = () => import('./fault-config.js');
export type { CloudStatus, ClusterDatabaseSettings, DaemonInfo } from './instance.js';
export type { OperatorKey } from './operator-key.js';
export { renderStart, renderStatus, renderStop } from './render.js';
export type { RequestLogEntry } from './request-log.js';
export type { StartOptions, StartResult, StopResult };
export { dsqlctlHome };

/** How a client reaches the local cloud: its endpoint and the operator's key. */
export interface LocalCloudAccess {
  endpoint: string;
  credentials: OperatorKey;
}

/**
 * The operator's policy document from a file (`local start --operator-policy`,
 * DSQLCTL_LOCAL_OPERATOR_POLICY), checked as the local cloud evaluates it: PolicyDocumentError when bad.
 * The evaluator loads only then: a command that finds the daemon running needs none of it.
 */
export async function readOperatorPolicy(file: string): Promise<string> {
  const { compilePolicy, PolicyDocumentError } = await import('./identity/evaluate.js');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PolicyDocumentError(`Cannot read the operator policy ${file}: ${(error as Error).message}`);
  }
  try {
    compilePolicy(text);
  } catch (error) {
    throw new PolicyDocumentError(
      `The operator policy ${file} is not a policy document: ${(error as Error).message}`,
    );
  }
  return text;
}

/**
 * Starts the local cloud when it is not running (faults from DSQLCTL_LOCAL_FAULTS, the operator's policy
 * from DSQLCTL_LOCAL_OPERATOR_POLICY); its endpoint and the operator's key either way.
 */
export async function ensureLocalCloud(): Promise<
  LocalCloudAccess & { home: string; timeScale: number; lambdaAsyncRetryMs: number }
> {
  // The schema (zod) loads only when there is a configuration to check: most runs have none.
  const faults: FaultConfig | undefined = process.env.DSQLCTL_LOCAL_FAULTS?.trim()
    ? (await import('./fault-config.js')).faultsFromEnv()
    : undefined;
  const policyFile = process.env.DSQLCTL_LOCAL_OPERATOR_POLICY;
  const { info } = await startDaemon({
    ...(faults ? { faults } : {}),
    ...(policyFile ? { operatorPolicy: await readOperatorPolicy(policyFile) } : {}),
  });
  const home = dsqlctlHome();
  return {
    endpoint: info.endpoint,
    credentials: ensureOperatorKey(cloudPaths(home)),
    home,
    // The running daemon's scale and retry wait (its own faults, not this process's DSQLCTL_LOCAL_FAULTS).
    timeScale: timeScaleOf(info.faults),
    lambdaAsyncRetryMs: scaledDurationMs(info.faults, 'lambda:AsyncRetry'),
  };
}

/** How to connect to a cluster's database (served by the local cloud at /_dsqlctl/database-settings). */
export async function fetchDatabaseSettings(
  cloud: LocalCloudAccess,
  region: string,
  identifier: string,
): Promise<ClusterDatabaseSettings> {
  const url = new URL('/_dsqlctl/database-settings', cloud.endpoint);
  url.searchParams.set('region', region);
  url.searchParams.set('identifier', identifier);
  // Bounded: a daemon that stopped answering must not hang the command that asked.
  const { status, body } = await getControl(url, cloud.credentials.secretAccessKey, 15_000);
  const settings = body as (ClusterDatabaseSettings & { message?: string }) | undefined;
  if (status !== 200 || !settings) throw new Error(settings?.message ?? `The local cloud answered ${status}`);
  return settings;
}

/** `local start`: starts the daemon, or reports the running one (`alreadyRunning`, options not applied). */
export function startLocalCloud(options: StartOptions = {}): Promise<StartResult> {
  return startDaemon(options);
}

/** The operator's key of `home` (generated when missing): what `local env` and `local status` print. */
export function localCloudCredentials(options: { home?: string } = {}): OperatorKey {
  return ensureOperatorKey(cloudPaths(options.home));
}

/** `local stop`: stops the daemon and its PostgreSQL (also one orphaned by a kill -9). */
export function stopLocalCloud(options: { home?: string } = {}): Promise<StopResult> {
  return stopDaemon(options);
}

/** `local status`: endpoint, PostgreSQL, uptime, resources per region; undefined when not running. */
export function localCloudStatus(options: { home?: string } = {}) {
  return daemonStatus(options);
}

/** Every AWS call the local cloud of `home` answered (across restarts), oldest first. */
export function readRequestLog(options: { home?: string } = {}): RequestLogEntry[] {
  return readRequestLogFile(cloudPaths(options.home).requests);
}
