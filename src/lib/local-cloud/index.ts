/**
 * Public face of the local cloud: the only module outside this folder may import.
 *
 * The local cloud is a background process (one per DSQLCTL_HOME, default ~/.dsqlctl) serving the AWS
 * APIs dsqlctl uses on 127.0.0.1, with a PostgreSQL server behind its DSQL clusters. The CLI gets an
 * endpoint URL, static credentials and per-cluster database settings from it, and talks to it with the
 * same SDK v3 clients it uses for AWS.
 */
import {
  daemonStatus,
  type StartOptions,
  type StartResult,
  type StopResult,
  startDaemon,
  stopDaemon,
} from './control.js';
import { faultsFromEnv } from './faults.js';
import type { ClusterDatabaseSettings } from './instance.js';
import { cloudPaths } from './paths.js';
import { type RequestLogEntry, readRequestLogFile } from './request-log.js';

export { LOCAL_CREDENTIALS } from './aws.js';
export type { FailureRule, FaultConfig } from './faults.js';
export { parseFailFlag, readFaults } from './faults.js';
export type { CloudStatus, ClusterDatabaseSettings, DaemonInfo } from './instance.js';
export { dsqlctlHome } from './paths.js';
export { renderStart, renderStatus, renderStop } from './render.js';
export type { RequestLogEntry } from './request-log.js';
export type { StartOptions, StartResult, StopResult };

/** Starts the local cloud when it is not running (faults from DSQLCTL_LOCAL_FAULTS); its endpoint either way. */
export async function ensureLocalCloud(): Promise<{ endpoint: string }> {
  const faults = faultsFromEnv();
  const { info } = await startDaemon(faults ? { faults } : {});
  return { endpoint: info.endpoint };
}

/** How to connect to a cluster's database (served by the local cloud at /_dsqlctl/database-settings). */
export async function fetchDatabaseSettings(
  endpoint: string,
  region: string,
  identifier: string,
): Promise<ClusterDatabaseSettings> {
  const url = new URL('/_dsqlctl/database-settings', endpoint);
  url.searchParams.set('region', region);
  url.searchParams.set('identifier', identifier);
  // Bounded: a daemon that stopped answering must not hang the command that asked.
  const response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  const body = (await response.json()) as ClusterDatabaseSettings & { message?: string };
  if (!response.ok) throw new Error(body.message ?? `The local cloud answered ${response.status}`);
  return body;
}

/** `local start`: starts the daemon, or reports the running one (`alreadyRunning`, options not applied). */
export function startLocalCloud(options: StartOptions = {}): Promise<StartResult> {
  return startDaemon(options);
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
