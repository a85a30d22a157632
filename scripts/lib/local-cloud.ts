/**
 * The one way tests and benches start a local cloud: a private one in a fresh DSQLCTL_HOME, stopped
 * and removed afterwards, plus SDK clients pointed at it exactly as `--target local` builds them.
 * It lives under scripts/ because benches may not import from test/; tests import it from here.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DSQLClient, GetClusterCommand } from '@aws-sdk/client-dsql';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { STSClient } from '@aws-sdk/client-sts';
import type { FaultConfig, LocalCloudAccess } from '../../src/lib/local-cloud/index.js';
import { startTestLocalCloud, type TestLocalCloud } from '../../src/lib/local-cloud/testing.js';

/**
 * A folder function code may write to (as Lambda's /tmp): world-writable, since a root daemon runs
 * functions as its sandbox user, who cannot write into a home.
 */
export function functionOutputDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dsqlctl-fn-out-'));
  chmodSync(dir, 0o1777);
  return dir;
}

/** A fresh home; 0755 so PostgreSQL's user (when the tests run as root) can reach its data inside. */
export function tempHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'dsqlctl-lc-test-'));
  chmodSync(home, 0o755);
  return home;
}

export function removeHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
}

/** Fast transitions for tests: CreateCluster's 60 s take 120 ms. */
export const FAST: FaultConfig = { timeScale: 0.002 };

/** Environment for a CLI child process using the local cloud of `home`. */
export function localTargetEnv(home: string): NodeJS.ProcessEnv {
  return { DSQLCTL_HOME: home, DSQLCTL_TARGET: 'local' };
}

export interface PrivateCloud {
  home: string;
  /** The daemon: endpoint, pids, request log; its `stop()` keeps the home (for a restart in it). */
  cloud: TestLocalCloud;
  /** Environment for a CLI child process using this cloud. */
  env: NodeJS.ProcessEnv;
  /** Stops the daemon and removes the home. */
  stop(): Promise<void>;
}

/**
 * A local cloud in `home` (default a fresh one) with `faults` (default the daemon's own defaults);
 * `operatorPolicy` (JSON text) makes the operator an IAM user limited to it.
 */
export async function startPrivateCloud(
  faults?: FaultConfig,
  home = tempHome(),
  options: { operatorPolicy?: string } = {},
): Promise<PrivateCloud> {
  const cloud = await startTestLocalCloud({ home, ...(faults ? { faults } : {}), ...options });
  return {
    home,
    cloud,
    env: localTargetEnv(home),
    async stop() {
      await cloud.stop();
      removeHome(home);
    },
  };
}

/** Mutating calls in a request log slice: everything that is not a read. */
export function isMutating(operation: string): boolean {
  return !/^(Get|List|Describe)/.test(operation);
}

export function clientConfig(cloud: LocalCloudAccess, region: string) {
  return { region, endpoint: cloud.endpoint, credentials: cloud.credentials, maxAttempts: 3 };
}

export const dsql = (cloud: LocalCloudAccess, region = 'us-east-1') =>
  new DSQLClient(clientConfig(cloud, region));
export const iam = (cloud: LocalCloudAccess) => new IAMClient(clientConfig(cloud, 'us-east-1'));
export const sts = (cloud: LocalCloudAccess, region = 'us-east-1') =>
  new STSClient(clientConfig(cloud, region));
export const lambda = (cloud: LocalCloudAccess, region = 'us-east-1') =>
  new LambdaClient(clientConfig(cloud, region));
export const events = (cloud: LocalCloudAccess, region = 'us-east-1') =>
  new EventBridgeClient(clientConfig(cloud, region));
export const logs = (cloud: LocalCloudAccess, region = 'us-east-1') =>
  new CloudWatchLogsClient(clientConfig(cloud, region));

/** Polls GetCluster until `done(status)` (bounded); the SDK waiters' 2 s minimum delay is too slow here. */
export async function waitForStatus(
  client: DSQLClient,
  identifier: string,
  wanted: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      last = (await client.send(new GetClusterCommand({ identifier }))).status ?? '';
    } catch (error) {
      last = (error as Error).name;
    }
    if (last === wanted) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`cluster ${identifier} still ${last}, not ${wanted}, after ${timeoutMs} ms`);
}
