/**
 * The roles' inline policies, converged to exactly the desired document (least privilege):
 *  - `<stack>-fn`: dsql:DbConnect (never DbConnectAdmin) on the stack's cluster ARNs, events:PutEvents
 *    on the stack's buses, logs for its own log group.
 *  - `<stack>-events`: events:PutEvents on the stack's buses (forwarding to the peer).
 *  - `<stack>-fis`: dsql:InjectError for the connection-failure action on the stack's clusters.
 * The function policy names cluster ARNs, so it waits for the clusters.
 */
import { DeleteRolePolicyCommand, GetRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { isAwsError } from '../errors.js';
import { busArn, ids } from './desired.js';
import { parsePolicyDocument, sameJson } from './support.js';
import type { ProvisionContext, ResourceModule, ResourceRef } from './types.js';

function roleNameOf(ctx: ProvisionContext, ref: ResourceRef): string {
  if (ref.id === ids.fisRolePolicy) return ctx.names.fisRole;
  return ref.id === ids.functionRolePolicy ? ctx.names.functionRole : ctx.names.eventsRole;
}

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
  const buses = regions.map((r) => busArn(ctx, r));
  if (ref.id === ids.eventsRolePolicy) {
    return {
      Version: '2012-10-17',
      Statement: [{ Sid: 'ForwardToPeerBus', Effect: 'Allow', Action: 'events:PutEvents', Resource: buses }],
    };
  }
  const clusters = regions.map((r) => ctx.facts.get(ids.cluster(r))?.arn);
  if (clusters.some((arn) => !arn)) return undefined;
  if (ref.id === ids.fisRolePolicy) return fisPolicy(clusters as string[]);
  const { partition, account } = ctx.account;
  // Exactly the stack's groups: CreateLogStream (and CreateLogGroup, should an operator delete one)
  // act on the group's ARN, PutLogEvents on its streams' (`:log-stream:<name>`, new names each cold start).
  const logGroups = regions.flatMap((r) => {
    const group = `arn:${partition}:logs:${r}:${account}:log-group:${ctx.names.logGroup}`;
    return [group, `${group}:log-stream:*`];
  });
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ConnectAsAppRole', Effect: 'Allow', Action: 'dsql:DbConnect', Resource: clusters },
      { Sid: 'PublishTransactionEvents', Effect: 'Allow', Action: 'events:PutEvents', Resource: buses },
      {
        Sid: 'OwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: logGroups,
      },
    ],
  };
}

export const iamRolePolicy: ResourceModule<{ document: unknown }> = {
  observePhase: 'first',
  ownerOf: (ref) =>
    ref.id === ids.fisRolePolicy
      ? ids.fisRole
      : ref.id === ids.functionRolePolicy
        ? ids.functionRole
        : ids.eventsRole,
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
