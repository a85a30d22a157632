/**
 * The provisioning context one `up`, `down` or `status` hands its resource modules (account, stack,
 * clients, the facts gathered so far), and the per-region summary read back from it.
 */
import { readFile } from 'node:fs/promises';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsClients } from '../aws-clients.js';
import { codeSha256, readFunctionZip } from '../bundle.js';
import { stackNames, type Topology } from '../stack.js';
import type { DatabaseSettings, Target } from '../target.js';
import { ids } from './desired.js';
import { MODULES } from './modules.js';
import type { RegionSummary } from './results.js';
import type { Facts, FunctionCode, ProvisionContext } from './types.js';

/** DSQLCTL_FUNCTION_ZIP deploys another build of the function than lambda-bundle/dist/function.zip. */
export async function loadFunctionCode(): Promise<FunctionCode> {
  const override = process.env.DSQLCTL_FUNCTION_ZIP;
  const zip = override ? new Uint8Array(await readFile(override)) : await readFunctionZip();
  return { zip, sha256: codeSha256(zip) };
}

export async function makeProvisionContext(
  target: Target,
  clients: AwsClients,
  operation: ProvisionContext['operation'],
  stack: string,
  topology: Topology,
  functionCode: FunctionCode | undefined,
  onProgress: (id: string, message: string) => void,
  options: { logRetentionDays?: number } = {},
): Promise<ProvisionContext> {
  const identity = await clients.sts().send(new GetCallerIdentityCommand({}));
  const partition = identity.Arn?.split(':')[1] ?? 'aws';
  const facts = new Map<string, Facts>();
  const databaseSettings = new Map<string, DatabaseSettings>();
  const ctx: ProvisionContext = {
    operation,
    target,
    clients,
    stack,
    topology,
    names: stackNames(stack),
    account: { account: identity.Account as string, partition },
    facts,
    databaseSettings,
    functionCode,
    ...(options.logRetentionDays !== undefined ? { logRetentionDays: options.logRetentionDays } : {}),
    async record(ref, recorded) {
      facts.set(ref.id, { ...facts.get(ref.id), ...recorded });
      await MODULES[ref.kind].recordForOthers?.(ctx, ref, recorded);
    },
    progress: onProgress,
  };
  return ctx;
}

export function regionSummaries(ctx: ProvisionContext): RegionSummary[] {
  return ctx.topology.regions.map((region) => {
    const cluster = ctx.facts.get(ids.cluster(region));
    return {
      region,
      clusterIdentifier: cluster?.identifier,
      clusterEndpoint: cluster?.endpoint ?? ctx.databaseSettings.get(region)?.host,
      functionName: ctx.names.functionName,
    };
  });
}
