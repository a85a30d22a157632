/** Reads a stack's resources straight from the (local) cloud with the SDK, to check what `up`/`down` left. */
import { DSQLClient, GetClusterCommand, ListClustersCommand } from '@aws-sdk/client-dsql';
import { DescribeEventBusCommand, EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { LocalCloudAccess } from '../../src/lib/local-cloud/index.js';
import { STACK_TAG } from '../../src/lib/stack.js';

export interface StackInventory {
  /** Live (not deleting) clusters tagged for the stack, per region. */
  clusters: Record<string, number>;
  functions: Record<string, boolean>;
  buses: Record<string, boolean>;
  /** The rules on the stack's bus, and the stack's rules on the default bus (its sweep), per region. */
  rules: Record<string, string[]>;
  roles: string[];
}

/** What `inventory` finds once a stack in `regions` is entirely gone. */
export function nothingLeft(regions: string[]): StackInventory {
  const each = <T>(value: T) => Object.fromEntries(regions.map((r) => [r, value]));
  return { clusters: each(0), functions: each(false), buses: each(false), rules: each([]), roles: [] };
}

const config = (cloud: LocalCloudAccess, region: string) => ({
  region,
  endpoint: cloud.endpoint,
  credentials: cloud.credentials,
});

const exists = (p: Promise<unknown>) =>
  p.then(
    () => true,
    (e: Error) => {
      if (/NotFound|NoSuchEntity/.test(e.name)) return false;
      throw e;
    },
  );

export async function inventory(
  cloud: LocalCloudAccess,
  stack: string,
  regions: string[],
): Promise<StackInventory> {
  const result: StackInventory = { clusters: {}, functions: {}, buses: {}, rules: {}, roles: [] };
  const iam = new IAMClient(config(cloud, 'us-east-1'));
  for (const role of [`${stack}-fn`, ...regions.map((r) => `${stack}-events-${r}`)]) {
    if (await exists(iam.send(new GetRoleCommand({ RoleName: role })))) result.roles.push(role);
  }
  iam.destroy();
  for (const region of regions) {
    const dsql = new DSQLClient(config(cloud, region));
    const { clusters = [] } = await dsql.send(new ListClustersCommand({}));
    // A cluster listed a moment ago may be gone by its GetCluster (another stack's down, in parallel).
    const details = (
      await Promise.all(
        clusters.map((c) =>
          dsql.send(new GetClusterCommand({ identifier: c.identifier })).catch((e: Error) => {
            if (e.name === 'ResourceNotFoundException') return undefined;
            throw e;
          }),
        ),
      )
    ).filter((c) => c !== undefined);
    result.clusters[region] = details.filter(
      (c) =>
        c.tags?.[STACK_TAG] === stack && !['DELETING', 'DELETED', 'PENDING_DELETE'].includes(c.status ?? ''),
    ).length;
    dsql.destroy();
    const lambda = new LambdaClient(config(cloud, region));
    result.functions[region] = await exists(
      lambda.send(new GetFunctionCommand({ FunctionName: `${stack}-txn` })),
    );
    lambda.destroy();
    const events = new EventBridgeClient(config(cloud, region));
    result.buses[region] = await exists(events.send(new DescribeEventBusCommand({ Name: stack })));
    const onBus = result.buses[region]
      ? ((await events.send(new ListRulesCommand({ EventBusName: stack }))).Rules ?? [])
      : [];
    const onDefault = (await events.send(new ListRulesCommand({ NamePrefix: `${stack}-` }))).Rules ?? [];
    result.rules[region] = [...onBus, ...onDefault].map((r) => r.Name as string).sort();
    events.destroy();
  }
  return result;
}
