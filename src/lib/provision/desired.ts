/**
 * The desired state of a stack: which resources exist, what each depends on (for `up`, and reversed
 * for `down`), and the ARNs that follow from names. Pure: no AWS calls.
 */
import { STACK_TAG, type stackNames, type Topology } from '../stack.js';
import type { ResourceKind, ResourceRef, Runtime } from './types.js';

export type RuleRole = 'forward' | 'deliver';

export const ids = {
  functionRole: 'iam-role:fn',
  functionRolePolicy: 'iam-role-policy:fn',
  eventsRole: 'iam-role:events',
  eventsRolePolicy: 'iam-role-policy:events',
  peering: 'dsql-peering',
  database: 'database',
  cluster: (region: string) => `dsql-cluster:${region}`,
  bus: (region: string) => `event-bus:${region}`,
  rule: (region: string, role: RuleRole) => `event-rule:${region}:${role}`,
  function: (region: string) => `lambda-function:${region}`,
  permission: (region: string) => `lambda-permission:${region}`,
};

export interface DesiredResource extends ResourceRef {
  /** Ids that must be converged before this one, during `up`. */
  upDependsOn: string[];
  /** Ids that must be deleted before this one, during `down`. */
  downDependsOn: string[];
}

export function peerOf(topology: Topology, region: string): string | undefined {
  return topology.regions.find((r) => r !== region);
}

/** Every resource of the stack with its dependencies in both directions. */
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
    upDependsOn: string[],
    downDependsOn: string[],
  ) => {
    list.push({ id, kind, name, region, upDependsOn, downDependsOn });
  };
  const fnAll = regions.map(ids.function);
  const clustersAll = regions.map(ids.cluster);
  const rulesAll = peered ? regions.flatMap((r) => [ids.rule(r, 'forward'), ids.rule(r, 'deliver')]) : [];

  // The function role carries the topology tags, so it is created first and deleted last: an
  // interrupted `up` or `down` can always be found again, and resumed, from `--stack` alone.
  add(
    'iam-role',
    ids.functionRole,
    names.functionRole,
    'global',
    [],
    [ids.functionRolePolicy, ...fnAll, ...clustersAll],
  );
  add(
    'iam-role-policy',
    ids.functionRolePolicy,
    names.functionRolePolicy,
    'global',
    [ids.functionRole, ...clustersAll],
    [ids.database, ...fnAll],
  );
  if (peered) {
    add(
      'iam-role',
      ids.eventsRole,
      names.eventsRole,
      'global',
      [ids.functionRole],
      [ids.eventsRolePolicy, ...rulesAll],
    );
    add(
      'iam-role-policy',
      ids.eventsRolePolicy,
      names.eventsRolePolicy,
      'global',
      [ids.eventsRole],
      rulesAll,
    );
  }
  const primary = regions[0] as string;
  for (const region of regions) {
    // The second cluster is created listing the first as its peer, so it needs the first one's ARN
    // (only its CreateCluster call: the cluster step does not wait for a peered cluster to settle).
    add(
      'dsql-cluster',
      ids.cluster(region),
      `cluster of ${stack}`,
      region,
      region === primary ? [ids.functionRole] : [ids.functionRole, ids.cluster(primary)],
      [ids.database, ...fnAll],
    );
    add(
      'event-bus',
      ids.bus(region),
      names.bus,
      region,
      [ids.functionRole],
      peered ? [ids.rule(region, 'forward'), ids.rule(region, 'deliver')] : [],
    );
    add(
      'lambda-function',
      ids.function(region),
      names.functionName,
      region,
      [ids.functionRole, ids.bus(region), ids.cluster(region)],
      peered ? [ids.permission(region), ids.rule(region, 'deliver')] : [],
    );
    if (peered) {
      const peer = peerOf(topology, region) as string;
      add(
        'event-rule',
        ids.rule(region, 'forward'),
        names.forwardRule,
        region,
        [ids.bus(region), ids.bus(peer), ids.eventsRole, ids.eventsRolePolicy],
        [],
      );
      add(
        'event-rule',
        ids.rule(region, 'deliver'),
        names.deliverRule,
        region,
        [ids.bus(region), ids.function(region)],
        [],
      );
      add(
        'lambda-permission',
        ids.permission(region),
        `${names.functionName}/${names.deliverRule}`,
        region,
        [ids.function(region)],
        [ids.rule(region, 'deliver')],
      );
    }
  }
  if (peered)
    add('dsql-peering', ids.peering, `peering of ${regions.join(' and ')}`, 'global', clustersAll, []);
  add(
    'database',
    ids.database,
    `database of ${stack}`,
    regions[0] as string,
    [peered ? ids.peering : (clustersAll[0] as string), ids.functionRole],
    fnAll,
  );
  return list;
}

/** The ownership tag as a plain object. */
export function ownershipTags(stack: string): Record<string, string> {
  return { [STACK_TAG]: stack };
}

export function busArn(rt: Runtime, region: string): string {
  return `arn:${rt.account.partition}:events:${region}:${rt.account.account}:event-bus/${rt.names.bus}`;
}

export function ruleArn(rt: Runtime, region: string, rule: string): string {
  return `arn:${rt.account.partition}:events:${region}:${rt.account.account}:rule/${rt.names.bus}/${rule}`;
}

export function roleArn(rt: Runtime, roleName: string): string {
  return `arn:${rt.account.partition}:iam::${rt.account.account}:role/${roleName}`;
}
