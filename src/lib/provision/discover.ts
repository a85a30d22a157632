/**
 * Finding a stack by what it owns, not by one resource: the function role's topology tags when they
 * are there, and in every candidate region the resources tagged `dsqlctl:stack=<stack>` through the
 * Resource Groups Tagging API (IAM roles are not in that API: they are read by name). A stack whose
 * role is gone is still found, and so is anything it leaked.
 */
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { suggest } from '../advice.js';
import type { AwsClients } from '../aws-clients.js';
import { isAwsError } from '../errors.js';
import { DSQL_REGION_SETS, regionSetOf } from '../regions.js';
import { STACK_TAG, stackNames, type Topology } from '../stack.js';
import { readStackTopology } from '../stack-topology.js';
import { roleArn } from './desired.js';
import type { ProvisionContext } from './types.js';

/** One resource the tagging API lists for the stack. */
export interface TaggedResource {
  arn: string;
  region: string;
  /** `service:type` from the ARN: `dsql:cluster`, `lambda:function`, `events:event-bus`, `events:rule`. */
  type: string;
}

export interface Discovery {
  /** From the function role's tags; undefined when the role (or its topology tags) is gone. */
  topology?: Topology;
  /** Every resource tagged for the stack in the candidate regions. */
  tagged: TaggedResource[];
  /**
   * The stack's IAM roles that exist, by name; looked up only when the function role's topology is
   * missing (what they tell is then the topology's only witness), else empty.
   */
  roles: string[];
}

const ALL_DSQL_REGIONS = Object.values(DSQL_REGION_SETS).flat();

/** `arn:aws:events:us-east-1:123:rule/bus/name` → `events:rule`. */
export function resourceTypeOf(arn: string): string {
  const [, , service = '', , , resource = ''] = arn.split(':');
  return `${service}:${resource.split(/[/:]/)[0] ?? ''}`;
}

async function taggedIn(clients: AwsClients, stack: string, region: string): Promise<TaggedResource[]> {
  const found: TaggedResource[] = [];
  let token: string | undefined;
  do {
    const page = await clients.tagging(region).send(
      new GetResourcesCommand({
        TagFilters: [{ Key: STACK_TAG, Values: [stack] }],
        ...(token ? { PaginationToken: token } : {}),
      }),
    );
    for (const r of page.ResourceTagMappingList ?? []) {
      // AWS also lists resources deleted a moment ago ("previously tagged"): those still carrying our
      // tag are kept, and the module that removes them finds them gone.
      if (r.ResourceARN) found.push({ arn: r.ResourceARN, region, type: resourceTypeOf(r.ResourceARN) });
    }
    token = page.PaginationToken || undefined;
  } while (token);
  return found;
}

async function roleExists(clients: AwsClients, name: string): Promise<boolean> {
  try {
    await clients.iam().send(new GetRoleCommand({ RoleName: name }));
    return true;
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntityException', 'NoSuchEntity')) return false;
    throw error;
  }
}

/** Throws OwnershipError when the function role exists but is not ours (as readStackTopology does). */
export async function discoverStack(clients: AwsClients, stack: string): Promise<Discovery> {
  const topology = await readStackTopology(clients.target, stack, clients.iam());
  const names = stackNames(stack);
  const regions = topology?.regions ?? ALL_DSQL_REGIONS;
  const [tagged, roles] = await Promise.all([
    Promise.all(regions.map((region) => taggedIn(clients, stack, region))).then((lists) => lists.flat()),
    topology
      ? []
      : Promise.all(
          [names.functionRole, ...regions.map(names.eventsRole), names.fisRole].map(async (name) =>
            (await roleExists(clients, name)) ? [name] : [],
          ),
        ).then((lists) => lists.flat()),
  ]);
  return { ...(topology ? { topology } : {}), tagged, roles };
}

/**
 * The topology `down` works through when the role's tags are gone: the regions the tagged resources
 * are in, and those an events role names (`<stack>-events-<region>`: the stack was peered, and its
 * peer's resources may all be gone).
 */
export function topologyFromDiscovery(discovery: Discovery, stack: string): Topology | undefined {
  if (discovery.topology) return discovery.topology;
  const names = stackNames(stack);
  const regions = ALL_DSQL_REGIONS.filter(
    (r) => discovery.tagged.some((t) => t.region === r) || discovery.roles.includes(names.eventsRole(r)),
  );
  const peered = ALL_DSQL_REGIONS.some((r) => discovery.roles.includes(names.eventsRole(r)));
  if (regions.length === 0 && discovery.roles.length === 0) return undefined;
  if (regions.length === 0) regions.push(ALL_DSQL_REGIONS[0] as string);
  if (peered && regions.length < 2) {
    const set = DSQL_REGION_SETS[regionSetOf(regions[0] as string) ?? ''] ?? [];
    regions.push(set.find((r) => !regions.includes(r)) as string);
  }
  return { regions: regions.slice(0, 2) };
}

/** A tagged resource no desired resource of the stack matches: a leak, with the command that removes it. */
export interface OrphanedResource extends TaggedResource {
  command: string;
}

/**
 * Tagged resources that are leaks. One no desired resource matches (its ARN is not in the facts of
 * what was observed present) is removed only with the AWS CLI. With `roleGone` (status of a stack
 * whose function role is gone), the matched ones are leaks too, and the stack's own `down` removes them.
 */
export function orphansOf(
  discovery: Discovery,
  ctx: ProvisionContext,
  roleGone: boolean,
): OrphanedResource[] {
  const known = new Set([...ctx.facts.values()].map((f) => f.arn).filter(Boolean));
  const down = suggest(`down --stack ${ctx.stack}`, { target: ctx.target.kind, last: '--yes' });
  const roles = roleGone
    ? discovery.roles.map((name) => ({
        arn: roleArn(ctx, name),
        region: 'global',
        type: 'iam:role',
        command: down,
      }))
    : [];
  return [
    ...roles,
    ...discovery.tagged
      // The drill's FIS resources are not leaks of `up`'s: experiments are FIS's history (they cannot be
      // deleted), and templates are reported and deleted as a drill's leftovers (drill/leftovers.ts).
      .filter((t) => !t.type.startsWith('fis:'))
      .filter((t) => roleGone || !known.has(t.arn))
      .map((t) => ({ ...t, command: known.has(t.arn) ? down : removeCommand(t) })),
  ];
}

/** How to remove a leaked resource dsqlctl's own `down` does not cover (AWS CLI). */
export function removeCommand(resource: TaggedResource): string {
  const at = ` --region ${resource.region}`;
  const resourceName = resource.arn.split(':').slice(5).join(':');
  const last = resourceName.split('/').at(-1) ?? '';
  switch (resource.type) {
    case 'dsql:cluster':
      return `aws dsql update-cluster --identifier ${last} --no-deletion-protection-enabled${at} && aws dsql delete-cluster --identifier ${last}${at}`;
    case 'lambda:function':
      return `aws lambda delete-function --function-name ${resource.arn}${at}`;
    case 'events:event-bus':
      return `aws events delete-event-bus --name ${last}${at}`;
    case 'events:rule': {
      const [, bus, rule] = resourceName.split('/');
      return `aws events remove-targets --rule ${rule} --event-bus-name ${bus} --ids $(aws events list-targets-by-rule --rule ${rule} --event-bus-name ${bus}${at} --query 'Targets[].Id' --output text)${at} && aws events delete-rule --name ${rule} --event-bus-name ${bus}${at}`;
    }
    case 'logs:log-group':
      return `aws logs delete-log-group --log-group-name ${resourceName.slice('log-group:'.length)}${at}`;
    default:
      return `aws resourcegroupstaggingapi get-resources --resource-arn-list ${resource.arn}${at} (then delete it with its service's CLI)`;
  }
}
