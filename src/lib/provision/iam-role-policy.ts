/**
 * The roles' inline policies, converged to exactly the desired document (least privilege):
 *  - `<stack>-fn`: dsql:DbConnect (never DbConnectAdmin) on the stack's cluster ARNs, events:PutEvents
 *    on the stack's buses, logs for its own log group.
 *  - `<stack>-events`: events:PutEvents on the stack's buses (forwarding to the peer).
 * The function policy names cluster ARNs, so it waits for the clusters.
 */
import { DeleteRolePolicyCommand, GetRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { isAwsError } from '../errors.js';
import { busArn, ids } from './desired.js';
import { parsePolicyDocument, sameJson } from './support.js';
import type { ResourceModule, ResourceRef, Runtime } from './types.js';

function roleNameOf(rt: Runtime, ref: ResourceRef): string {
  return ref.id === ids.functionRolePolicy ? rt.names.functionRole : rt.names.eventsRole;
}

/** The desired document, or undefined while a cluster it must name does not exist yet. */
export function desiredPolicy(rt: Runtime, ref: ResourceRef): object | undefined {
  const { regions } = rt.topology;
  const buses = regions.map((r) => busArn(rt, r));
  if (ref.id === ids.eventsRolePolicy) {
    return {
      Version: '2012-10-17',
      Statement: [{ Sid: 'ForwardToPeerBus', Effect: 'Allow', Action: 'events:PutEvents', Resource: buses }],
    };
  }
  const clusters = regions.map((r) => rt.facts.get(ids.cluster(r))?.arn);
  if (clusters.some((arn) => !arn)) return undefined;
  const { partition, account } = rt.account;
  const logGroups = regions.flatMap((r) => {
    const group = `arn:${partition}:logs:${r}:${account}:log-group:${rt.names.logGroup}`;
    return [group, `${group}:*`];
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
  async observe(rt, ref) {
    try {
      const { PolicyDocument } = await rt.clients
        .iam()
        .send(new GetRolePolicyCommand({ RoleName: roleNameOf(rt, ref), PolicyName: ref.name }));
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

  diff(rt, ref, observed) {
    if (observed.state !== 'present') return { action: 'create', reason: 'absent' };
    const want = desiredPolicy(rt, ref);
    if (!want) return { action: 'update', reason: 'will name the clusters about to be created' };
    return sameJson(observed.value.document, want)
      ? { action: 'noop', reason: 'up to date' }
      : { action: 'update', reason: 'policy document differs' };
  },

  async converge(rt, ref, observed) {
    const want = desiredPolicy(rt, ref);
    if (!want) throw new Error(`Cannot write ${ref.name}: a cluster ARN is unknown.`);
    if (observed.state === 'present' && sameJson(observed.value.document, want)) return {};
    await rt.clients.iam().send(
      new PutRolePolicyCommand({
        RoleName: roleNameOf(rt, ref),
        PolicyName: ref.name,
        PolicyDocument: JSON.stringify(want),
      }),
    );
    return {};
  },

  async remove(rt, ref, observed) {
    if (observed.state !== 'present') return false;
    try {
      await rt.clients
        .iam()
        .send(new DeleteRolePolicyCommand({ RoleName: roleNameOf(rt, ref), PolicyName: ref.name }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntityException', 'NoSuchEntity')) return false;
      throw error;
    }
  },
};
