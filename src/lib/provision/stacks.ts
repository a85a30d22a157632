/**
 * `stacks`: every stack on a target, found by what carries the ownership tag: the resources the
 * tagging API lists with the key `dsqlctl:stack` (any value) in each region asked, and the IAM roles
 * named like a stack's (`<stack>-fn`, `<stack>-events`) whose tag names that stack (the tagging API
 * lists no IAM roles; ListRoles returns no tags, so each candidate is read with GetRole).
 * A stack is complete when every tagged resource of its desired set (desired.ts) is there, and
 * partial otherwise: an `up` that died, a `down` cut short, a resource deleted by hand. Read-only.
 */
import { GetRoleCommand, type IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { AwsClients } from '../aws-clients.js';
import { isAwsError } from '../errors.js';
import { STACK_TAG, stackNames, type Topology, tagsFromList, topologyFromTags } from '../stack.js';
import type { Target } from '../target.js';
import { desiredResources } from './desired.js';
import { resourceTypeOf, type TaggedResource } from './discover.js';
import type { ResourceKind } from './types.js';

export interface StackSummary {
  stack: string;
  /** The function role's topology; without the role, the regions its tagged resources are in. */
  regions: string[];
  witness?: string;
  state: 'complete' | 'partial';
  /** Tagged resources found plus the stack's IAM roles. */
  resourceCount: number;
  /** Desired resources not found (ids as `status` and `up` name them: `lambda-function:us-east-1`). */
  missing: string[];
}

export interface StacksResult {
  target: Target['kind'];
  /** The regions whose tagged resources were listed. */
  regions: string[];
  stacks: StackSummary[];
  /** Regions whose tagging API refused or failed (e.g. an opt-in region not enabled); the rest are listed. */
  unreachable: Array<{ region: string; message: string }>;
}

/** The ARN type (resourceTypeOf) of each kind the tagging API lists. */
const TAGGED_TYPES: Partial<Record<ResourceKind, string>> = {
  'dsql-cluster': 'dsql:cluster',
  'event-bus': 'events:event-bus',
  'event-rule': 'events:rule',
  'lambda-function': 'lambda:function',
  'log-group': 'logs:log-group',
};

interface StackTagged extends TaggedResource {
  stack: string;
}

async function taggedIn(clients: AwsClients, region: string): Promise<StackTagged[]> {
  const found: StackTagged[] = [];
  let token: string | undefined;
  do {
    // A filter with a key and no values matches that key with any value (GetResources' TagFilters).
    const page = await clients.tagging(region).send(
      new GetResourcesCommand({
        TagFilters: [{ Key: STACK_TAG }],
        ...(token ? { PaginationToken: token } : {}),
      }),
    );
    for (const mapping of page.ResourceTagMappingList ?? []) {
      const stack = tagsFromList(mapping.Tags)[STACK_TAG];
      // A FIS experiment (a drill's) is FIS's history: it outlives the stack and cannot be deleted.
      if (mapping.ResourceARN && stack && resourceTypeOf(mapping.ResourceARN) !== 'fis:experiment') {
        found.push({ arn: mapping.ResourceARN, region, type: resourceTypeOf(mapping.ResourceARN), stack });
      }
    }
    token = page.PaginationToken || undefined;
  } while (token);
  return found;
}

interface StackRole {
  stack: string;
  name: string;
  topology?: Topology;
}

/** Roles named `<stack>-fn`, `<stack>-events-<region>`, `<stack>-fis` or `<stack>-lock` whose ownership tag names that same stack. */
async function stackRoles(iam: IAMClient): Promise<StackRole[]> {
  const candidates: string[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListRolesCommand({ ...(marker ? { Marker: marker } : {}) }));
    for (const role of page.Roles ?? []) {
      if (role.RoleName && /-(fn|fis|lock)$|-events-[a-z]+-[a-z]+-\d+$/.test(role.RoleName))
        candidates.push(role.RoleName);
    }
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  const roles = await Promise.all(
    candidates.map(async (name): Promise<StackRole[]> => {
      try {
        const { Role } = await iam.send(new GetRoleCommand({ RoleName: name }));
        const tags = tagsFromList(Role?.Tags);
        const stack = tags[STACK_TAG];
        if (!stack) return [];
        const names = stackNames(stack);
        if (name === names.functionRole) {
          const topology = topologyFromTags(tags);
          return [{ stack, name, ...(topology ? { topology } : {}) }];
        }
        const eventsRegion = name.startsWith(`${stack}-events-`) ? name.slice(`${stack}-events-`.length) : '';
        return (eventsRegion && name === names.eventsRole(eventsRegion)) ||
          name === names.fisRole ||
          name === names.lockRole
          ? [{ stack, name }]
          : [];
      } catch (error) {
        // Deleted between the list and the read.
        if (isAwsError(error, 'NoSuchEntityException', 'NoSuchEntity')) return [];
        throw error;
      }
    }),
  );
  return roles.flat();
}

/** The last part of an ARN's resource (`rule/bus/name` → matches `name`; `function:name`; `log-group:/aws/…`). */
function arnNames(arn: string, name: string): boolean {
  const resource = arn.split(':').slice(5).join(':').replace(/:\*$/, '');
  return resource.endsWith(`/${name}`) || resource.endsWith(`:${name}`);
}

function summarize(
  stack: string,
  tagged: StackTagged[],
  roles: StackRole[],
  asked: readonly string[],
): StackSummary {
  const names = stackNames(stack);
  const topology = roles.find((r) => r.name === names.functionRole)?.topology;
  const resourceCount = tagged.length + roles.length;
  if (!topology) {
    // Without the function role (created first, deleted last) the desired set is unknown.
    const regions = [...new Set(tagged.map((t) => t.region))].sort();
    return { stack, regions, state: 'partial', resourceCount, missing: ['iam-role:fn'] };
  }
  const missing = desiredResources(stack, topology, names)
    .filter((desired) => {
      if (desired.kind === 'iam-role') return !roles.some((r) => r.name === desired.name);
      const type = TAGGED_TYPES[desired.kind];
      if (!type || !asked.includes(desired.region)) return false;
      return !tagged.some(
        (t) =>
          t.type === type &&
          t.region === desired.region &&
          // A cluster's identifier is generated: one per region is all its ARN can say.
          (desired.kind === 'dsql-cluster' || arnNames(t.arn, desired.name)),
      );
    })
    .map((desired) => desired.id);
  return {
    stack,
    regions: topology.regions,
    ...(topology.witness ? { witness: topology.witness } : {}),
    state: missing.length === 0 ? 'complete' : 'partial',
    resourceCount,
    missing,
  };
}

export async function listStacks(target: Target, regions: readonly string[]): Promise<StacksResult> {
  const clients = new AwsClients(target);
  try {
    const [perRegion, roles] = await Promise.all([
      Promise.allSettled(regions.map((region) => taggedIn(clients, region))),
      stackRoles(clients.iam()),
    ]);
    const unreachable: StacksResult['unreachable'] = [];
    const tagged: StackTagged[] = [];
    perRegion.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') tagged.push(...outcome.value);
      else unreachable.push({ region: regions[i] as string, message: (outcome.reason as Error).message });
    });
    // Every region failing is not a list of no stacks: the cause (credentials, permission) is the answer.
    const first = perRegion[0];
    if (unreachable.length === regions.length && first?.status === 'rejected') throw first.reason;
    const names = [...new Set([...tagged.map((t) => t.stack), ...roles.map((r) => r.stack)])].sort();
    const stacks = names.map((stack) =>
      summarize(
        stack,
        tagged.filter((t) => t.stack === stack),
        roles.filter((r) => r.stack === stack),
        regions.filter((r) => !unreachable.some((u) => u.region === r)),
      ),
    );
    return { target: target.kind, regions: [...regions], stacks, unreachable };
  } finally {
    clients.destroy();
  }
}
