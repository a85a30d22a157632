/**
 * The roles' inline policies, converged to exactly the desired document (least privilege, each
 * statement proven necessary by test/exercise/roles.e2e.test.ts):
 *  - `<stack>-fn`, shared by both regions' functions: per region, dsql:DbConnect (never DbConnectAdmin)
 *    on that region's cluster, events:PutEvents on that region's bus, and writing that region's log
 *    group, each only for that region's function (`lambda:SourceFunctionArn`, which Lambda puts in the
 *    context of every call made with the function's credentials, and of its own log writes), so one
 *    region's function cannot reach the other's cluster or bus.
 *  - `<stack>-events-<region>`: events:PutEvents on the peer's bus only.
 * No logs:CreateLogGroup: `up` creates the group before the function (log-group.ts).
 *  - `<stack>-fis`: dsql:InjectError for the connection-failure action on the stack's clusters.
 * The function policy names cluster ARNs, so it waits for the clusters.
 */
import { DeleteRolePolicyCommand, GetRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { isAwsError } from '../errors.js';
import { busArn, eventsRegionOf, functionArn, ids, peerOf } from './desired.js';
import { parsePolicyDocument, sameJson } from './support.js';
import type { ProvisionContext, ResourceModule, ResourceRef } from './types.js';

function roleNameOf(ctx: ProvisionContext, ref: ResourceRef): string {
  if (ref.id === ids.fisRolePolicy) return ctx.names.fisRole;
  const region = eventsRegionOf(ref.id);
  return region ? ctx.names.eventsRole(region) : ctx.names.functionRole;
}

/** `us-east-1` → `UsEast1`: a Sid holds only letters and digits. */
const sidOf = (region: string) =>
  region
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

/**
 * `<stack>-fis`: dsql:InjectError, which has no resource type (Service Authorization Reference), so
 * `*` narrowed by its condition keys to the DSQL connection-failure action on the stack's clusters.
 */
function fisPolicy(clusters: string[]): object {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'InjectConnectionFailuresIntoStackClusters',
        Effect: 'Allow',
        Action: 'dsql:InjectError',
        Resource: '*',
        Condition: {
          StringEquals: { 'dsql:FisActionId': 'aws:dsql:cluster-connection-failure' },
          'ForAllValues:ArnEquals': { 'dsql:FisTargetArns': clusters },
          Null: { 'dsql:FisTargetArns': 'false' },
        },
      },
    ],
  };
}

/** The desired document, or undefined while a cluster it must name does not exist yet. */
export function desiredPolicy(ctx: ProvisionContext, ref: ResourceRef): object | undefined {
  const { regions } = ctx.topology;
  const eventsRegion = eventsRegionOf(ref.id);
  if (eventsRegion) {
    const peer = peerOf(ctx.topology, eventsRegion) as string;
    return {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'ForwardToPeerBus', Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn(ctx, peer) },
      ],
    };
  }
  const clusters = regions.map((r) => ctx.facts.get(ids.cluster(r))?.arn);
  if (clusters.some((arn) => !arn)) return undefined;
  if (ref.id === ids.fisRolePolicy) return fisPolicy(clusters as string[]);
  const { partition, account } = ctx.account;
  return {
    Version: '2012-10-17',
    Statement: regions.flatMap((region, i) => {
      const Condition = { ArnEquals: { 'lambda:SourceFunctionArn': functionArn(ctx, region) } };
      const group = `arn:${partition}:logs:${region}:${account}:log-group:${ctx.names.logGroup}`;
      const sid = sidOf(region);
      return [
        { Sid: `Connect${sid}`, Effect: 'Allow', Action: 'dsql:DbConnect', Resource: clusters[i], Condition },
        {
          Sid: `Publish${sid}`,
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: busArn(ctx, region),
          Condition,
        },
        // CreateLogStream acts on the group's ARN, PutLogEvents on its streams' (new names each cold start).
        {
          Sid: `Logs${sid}`,
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: [group, `${group}:log-stream:*`],
          Condition,
        },
      ];
    }),
  };
}

export const iamRolePolicy: ResourceModule<{ document: unknown }> = {
  observePhase: 'first',
  ownerOf: (ref) => {
    if (ref.id === ids.fisRolePolicy) return ids.fisRole;
    const region = eventsRegionOf(ref.id);
    return region ? ids.eventsRole(region) : ids.functionRole;
  },
  deletedByDown: true,

  async observe(ctx, ref) {
    try {
      const { PolicyDocument } = await ctx.clients
        .iam()
        .send(new GetRolePolicyCommand({ RoleName: roleNameOf(ctx, ref), PolicyName: ref.name }));
      return {
        state: 'present',
        value: { document: parsePolicyDocument(PolicyDocument) },
        facts: {},
        status: 'exists',
      };
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntityException', 'NoSuchEntity')) return { state: 'absent' };
      throw error;
    }
  },

  diff(ctx, ref, observed) {
    if (observed.state !== 'present') return { action: 'create', reason: 'absent' };
    const want = desiredPolicy(ctx, ref);
    if (!want) return { action: 'update', reason: 'will name the clusters about to be created' };
    return sameJson(observed.value.document, want)
      ? { action: 'noop', reason: 'up to date' }
      : { action: 'update', reason: 'policy document differs' };
  },

  async converge(ctx, ref, observed) {
    const want = desiredPolicy(ctx, ref);
    if (!want) throw new Error(`Cannot write ${ref.name}: a cluster ARN is unknown.`);
    if (observed.state === 'present' && sameJson(observed.value.document, want)) return {};
    await ctx.clients.iam().send(
      new PutRolePolicyCommand({
        RoleName: roleNameOf(ctx, ref),
        PolicyName: ref.name,
        PolicyDocument: JSON.stringify(want),
      }),
    );
    return {};
  },

  async remove(ctx, ref, observed) {
    if (observed.state !== 'present') return false;
    try {
      await ctx.clients
        .iam()
        .send(new DeleteRolePolicyCommand({ RoleName: roleNameOf(ctx, ref), PolicyName: ref.name }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntityException', 'NoSuchEntity')) return false;
      throw error;
    }
  },
};
