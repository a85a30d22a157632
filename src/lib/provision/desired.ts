/**
 * The desired state of a stack: which resources exist, what each depends on during `up` (plan.ts
 * reverses it for `down`), and the ARNs that follow from names. Pure: no AWS calls.
 */
import { STACK_TAG, type stackNames, type Topology } from '../stack.js';
import type { ProvisionContext, ResourceKind, ResourceRef } from './types.js';

export type RuleRole = 'forward' | 'deliver' | 'sweep';

export const ids = {
  functionRole: 'iam-role:fn',
  functionRolePolicy: 'iam-role-policy:fn',
  eventsRole: (region: string) => `iam-role:events:${region}`,
  eventsRolePolicy: (region: string) => `iam-role-policy:events:${region}`,
  fisRole: 'iam-role:fis',
  fisRolePolicy: 'iam-role-policy:fis',
  peering: 'dsql-peering',
  database: 'database',
  cluster: (region: string) => `dsql-cluster:${region}`,
  bus: (region: string) => `event-bus:${region}`,
  rule: (region: string, role: RuleRole) => `event-rule:${region}:${role}`,
  function: (region: string) => `lambda-function:${region}`,
  logGroup: (region: string) => `log-group:${region}`,
  /** The deliver rule's permission is `lambda-permission:<region>`; the sweep rule's adds `:sweep`. */
  permission: (region: string, rule: 'deliver' | 'sweep' = 'deliver') =>
    rule === 'deliver' ? `lambda-permission:${region}` : `lambda-permission:${region}:sweep`,
};

export interface DesiredResource extends ResourceRef {
  /** Ids that must be converged before this one during `up`; `down` deletes them after it. */
  dependsOn: string[];
  /**
   * Ids whose facts only its creation reads (the first cluster's ARN, for the second): `up` waits for
   * them, `down` does not reverse them (a peered pair is deleted together).
   */
  createdAfter?: string[];
  /** `down` deletes it after every other resource. */
  deletedLast?: boolean;
  /**
   * Ids `down` deletes as one with it: each waits for what any of them waits for. A peered cluster
   * sits in PENDING_DELETE until its peer is deleted too, so deleting one while the other's region
   * failed would only wait out its limit.
   */
  deletedWith?: string[];
}

/** The resource without its dependencies: what a plan step or a status line names. */
export function refOf({ id, kind, name, region }: DesiredResource): ResourceRef {
  return { id, kind, name, region };
}

export function peerOf(topology: Topology, region: string): string | undefined {
  return topology.regions.find((r) => r !== region);
}

/** Every resource of the stack with what it depends on during `up` (`down` reverses it). */
export function desiredResources(
  stack: string,
  topology: Topology,
  names: ReturnType<typeof stackNames>,
): DesiredResource[] {
  const { regions } = topology;
  const peered = regions.length === 2;
  const list: DesiredResource[] = [];
  const add = (
    kind: ResourceKind,
    id: string,
    name: string,
    region: string,
    dependsOn: string[],
    more: Pick<DesiredResource, 'createdAfter' | 'deletedLast' | 'deletedWith'> = {},
  ) => {
    list.push({ id, kind, name, region, dependsOn, ...more });
  };
  const clustersAll = regions.map(ids.cluster);

  // The function role carries the topology tags, so it is created first and deleted last: an
  // interrupted `up` or `down` can always be found again, and resumed, from `--stack` alone.
  add('iam-role', ids.functionRole, names.functionRole, 'global', [], { deletedLast: true });
  add('iam-role-policy', ids.functionRolePolicy, names.functionRolePolicy, 'global', [
    ids.functionRole,
    ...clustersAll,
  ]);
  if (peered) {
    for (const region of regions) {
      add('iam-role', ids.eventsRole(region), names.eventsRole(region), 'global', [ids.functionRole]);
      add('iam-role-policy', ids.eventsRolePolicy(region), names.eventsRolePolicy(region), 'global', [
        ids.eventsRole(region),
      ]);
    }
    // The drill's FIS role: only a peered stack can be drilled (one region impaired, the other healthy).
    add('iam-role', ids.fisRole, names.fisRole, 'global', [ids.functionRole]);
    add('iam-role-policy', ids.fisRolePolicy, names.fisRolePolicy, 'global', [ids.fisRole, ...clustersAll]);
  }
  const primary = regions[0] as string;
  for (const region of regions) {
    // The second cluster is created listing the first as its peer, so it needs the first one's ARN
    // (only its CreateCluster call: the cluster step does not wait for a peered cluster to settle).
    add('dsql-cluster', ids.cluster(region), `cluster of ${stack}`, region, [ids.functionRole], {
      ...(region === primary ? {} : { createdAfter: [ids.cluster(primary)] }),
      ...(peered ? { deletedWith: clustersAll.filter((c) => c !== ids.cluster(region)) } : {}),
    });
    add('event-bus', ids.bus(region), names.bus, region, [ids.functionRole]);
    // Before the function, so Lambda writes into the stack's group; `down` deletes it after the function.
    add('log-group', ids.logGroup(region), names.logGroup, region, [ids.functionRole]);
    add('lambda-function', ids.function(region), names.functionName, region, [
      ids.functionRole,
      ids.bus(region),
      ids.cluster(region),
      ids.logGroup(region),
    ]);
    if (peered) {
      const peer = peerOf(topology, region) as string;
      add('event-rule', ids.rule(region, 'forward'), names.forwardRule, region, [
        ids.bus(region),
        ids.bus(peer),
        ids.eventsRole(region),
        ids.eventsRolePolicy(region),
      ]);
      add('event-rule', ids.rule(region, 'deliver'), names.deliverRule, region, [
        ids.bus(region),
        ids.function(region),
      ]);
      add('lambda-permission', ids.permission(region), `${names.functionName}/${names.deliverRule}`, region, [
        ids.function(region),
      ]);
    }
    // Every region's outbox needs its sweep, peered or not (the function publishes in both cases).
    add('event-rule', ids.rule(region, 'sweep'), names.sweepRule, region, [ids.function(region)]);
    add(
      'lambda-permission',
      ids.permission(region, 'sweep'),
      `${names.functionName}/${names.sweepRule}`,
      region,
      [ids.function(region)],
    );
  }
  if (peered) add('dsql-peering', ids.peering, `peering of ${regions.join(' and ')}`, 'global', clustersAll);
  add('database', ids.database, `database of ${stack}`, regions[0] as string, [
    peered ? ids.peering : (clustersAll[0] as string),
    ids.functionRole,
  ]);
  return list;
}

/** The ownership tag as a plain object. */
export function ownershipTags(stack: string): Record<string, string> {
  return { [STACK_TAG]: stack };
}

export function busArn(ctx: ProvisionContext, region: string): string {
  return `arn:${ctx.account.partition}:events:${region}:${ctx.account.account}:event-bus/${ctx.names.bus}`;
}

/** A rule on the stack's bus is `rule/<bus>/<name>`; on the default bus (the sweep) `rule/<name>`. */
export function ruleArn(ctx: ProvisionContext, region: string, rule: string): string {
  const path = rule === ctx.names.sweepRule ? rule : `${ctx.names.bus}/${rule}`;
  return `arn:${ctx.account.partition}:events:${region}:${ctx.account.account}:rule/${path}`;
}

/** The region whose forwarding an events role (or its policy) serves, from its id; undefined for the function's. */
export function eventsRegionOf(id: string): string | undefined {
  const match = /^iam-role(?:-policy)?:events:(.+)$/.exec(id);
  return match?.[1];
}

export function functionArn(ctx: ProvisionContext, region: string): string {
  return `arn:${ctx.account.partition}:lambda:${region}:${ctx.account.account}:function:${ctx.names.functionName}`;
}

export function roleArn(ctx: ProvisionContext, roleName: string): string {
  return `arn:${ctx.account.partition}:iam::${ctx.account.account}:role/${roleName}`;
}
