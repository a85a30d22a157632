// Shared by the Lambda and EventBridge contract tests and the Lambda bench: zips built in the test, roles, functions, and
// polling helpers (the SDK waiters' 1 s minimum delay is slower than the scaled transitions here).
import { readdirSync, readFileSync } from 'node:fs';
import { CreateClusterCommand } from '@aws-sdk/client-dsql';
import { CreateEventBusCommand } from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, type IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, GetFunctionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { strToU8, zipSync } from 'fflate';
import { FUNCTION_HANDLER, FUNCTION_RUNTIME, readFunctionZip } from '../../src/lib/bundle.js';
import { connectAsAdmin } from '../../src/lib/dsql-connection.js';
import { FunctionEnv } from '../../src/lib/function-contract.js';
import { fetchDatabaseSettings, type LocalCloudAccess } from '../../src/lib/local-cloud/index.js';
import { applyMigrations, ensureFunctionRole } from '../../src/lib/schema.js';
import type { DatabaseSettings } from '../../src/lib/target.js';
import { dsql, events, iam, lambda, waitForStatus } from './local-cloud.js';

/** A zip of `index.mjs` with `source` (plus extra files). */
export function handlerZip(source: string, extra: Record<string, string> = {}): Uint8Array {
  const files: Record<string, Uint8Array> = { 'index.mjs': strToU8(source) };
  for (const [name, text] of Object.entries(extra)) files[name] = strToU8(text);
  return zipSync(files);
}

export function trustPolicy(service: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });
}

export async function createRole(
  iam: IAMClient,
  name: string,
  service = 'lambda.amazonaws.com',
): Promise<string> {
  const { Role } = await iam.send(
    new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trustPolicy(service) }),
  );
  return Role?.Arn ?? '';
}

/** Creates a nodejs22.x function from `source` and waits until it is Active. */
export async function createFunction(
  client: LambdaClient,
  options: { name: string; role: string; source: string; timeout?: number; env?: Record<string, string> },
) {
  const created = await client.send(
    new CreateFunctionCommand({
      FunctionName: options.name,
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: options.role,
      Code: { ZipFile: handlerZip(options.source) },
      Timeout: options.timeout ?? 10,
      ...(options.env ? { Environment: { Variables: options.env } } : {}),
    }),
  );
  await waitForFunction(client, options.name, (c) => c.State === 'Active');
  return created;
}

/** Polls GetFunction until `done(configuration)` (bounded). */
export async function waitForFunction(
  client: LambdaClient,
  name: string,
  done: (c: { State?: string; LastUpdateStatus?: string }) => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const { Configuration = {} } = await client.send(new GetFunctionCommand({ FunctionName: name }));
    last = Configuration;
    if (done(Configuration)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`function ${name} did not reach the wanted state: ${JSON.stringify(last)}`);
}

export async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Direct children of `pid` (Linux /proc): the daemon's Lambda workers and PostgreSQL. */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may contain spaces, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

/** The command line of a process (empty when it is gone). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

export const decode = (payload: Uint8Array | undefined) =>
  JSON.parse(new TextDecoder().decode(payload ?? new Uint8Array())) as Record<string, unknown>;

/**
 * The real function zip deployed as `up` deploys it: a cluster (its database migrated, the function's
 * database role granted), an event bus, an IAM role, and the function with the contract's environment.
 */
export async function deployTransactionFunction(
  cloud: LocalCloudAccess,
  options: { region: string; name: string; dbRole: string; bus: string },
): Promise<{ settings: DatabaseSettings; env: Record<string, string>; client: LambdaClient }> {
  const { region, name, dbRole, bus } = options;
  const dsqlClient = dsql(cloud, region);
  const { identifier = '' } = await dsqlClient.send(
    new CreateClusterCommand({ deletionProtectionEnabled: false }),
  );
  await waitForStatus(dsqlClient, identifier, 'ACTIVE');
  const settings = await fetchDatabaseSettings(cloud, region, identifier);
  const role = await createRole(iam(cloud), `${name}-fn`);
  // The local cloud evaluates the role's policy: the function may connect to its cluster and put on its bus.
  const account = role.split(':')[4];
  await iam(cloud).send(
    new PutRolePolicyCommand({
      RoleName: `${name}-fn`,
      PolicyName: 'function',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'dsql:DbConnect',
            Resource: `arn:aws:dsql:${region}:${account}:cluster/${identifier}`,
          },
          {
            Effect: 'Allow',
            Action: 'events:PutEvents',
            Resource: `arn:aws:events:${region}:${account}:event-bus/${bus}`,
          },
        ],
      }),
    }),
  );
  const admin = await connectAsAdmin(settings, cloud.credentials);
  try {
    await applyMigrations(admin);
    await ensureFunctionRole(admin, { roleName: dbRole, iamRoleArn: role });
  } finally {
    await admin.end();
  }
  await events(cloud, region).send(new CreateEventBusCommand({ Name: bus }));
  const env = {
    [FunctionEnv.endpoint]: settings.host,
    [FunctionEnv.port]: String(settings.port),
    [FunctionEnv.database]: settings.database,
    [FunctionEnv.user]: dbRole,
    [FunctionEnv.busName]: bus,
  };
  const client = lambda(cloud, region);
  await client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: FUNCTION_RUNTIME,
      Handler: FUNCTION_HANDLER,
      Role: role,
      Timeout: 30,
      MemorySize: 512,
      Code: { ZipFile: await readFunctionZip() },
      Environment: { Variables: env },
    }),
  );
  await waitForFunction(client, name, (c) => c.State === 'Active');
  return { settings, env, client };
}
