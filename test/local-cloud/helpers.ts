// Shared by the local cloud's contract tests: a local cloud in a temp DSQLCTL_HOME, and SDK clients
// pointed at it exactly as `--target local` builds them.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DSQLClient, GetClusterCommand } from '@aws-sdk/client-dsql';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import {
  type FaultConfig,
  LOCAL_CREDENTIALS,
  startTestLocalCloud,
  type TestLocalCloud,
} from '../../src/lib/local-cloud/index.js';

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

export async function startCloud(faults: FaultConfig = FAST, home = tempHome()): Promise<TestLocalCloud> {
  return startTestLocalCloud({ home, faults });
}

export function clientConfig(cloud: { endpoint: string }, region: string) {
  return { region, endpoint: cloud.endpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 };
}

export const dsql = (cloud: { endpoint: string }, region = 'us-east-1') =>
  new DSQLClient(clientConfig(cloud, region));
export const iam = (cloud: { endpoint: string }) => new IAMClient(clientConfig(cloud, 'us-east-1'));
export const sts = (cloud: { endpoint: string }, region = 'us-east-1') =>
  new STSClient(clientConfig(cloud, region));

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

/** A request signed with nothing but a credential scope, which is all the local cloud routes by. */
export function rawRequest(
  cloud: { endpoint: string },
  options: {
    service: string;
    region?: string;
    method?: string;
    path?: string;
    headers?: Record<string, string>;
  },
  body?: string | Buffer,
): Promise<Response> {
  const scope = `AKIDTEST/20260101/${options.region ?? 'us-east-1'}/${options.service}/aws4_request`;
  return fetch(`${cloud.endpoint}${options.path ?? '/'}`, {
    method: options.method ?? 'POST',
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host, Signature=00`,
      ...options.headers,
    },
    ...(body === undefined ? {} : { body }),
  });
}
