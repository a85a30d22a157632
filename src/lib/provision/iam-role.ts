/**
 * IAM roles: `<stack>-fn` (assumed by Lambda; carries the stack's topology tags) and, per region of a
 * peered stack, `<stack>-events-<region>` (assumed by EventBridge for that region's forward rule).
 * Trust policy and tags converge exactly. Against the confused deputy (AWS's cross-service guidance),
 * each trust policy requires `aws:SourceAccount` = the stack's account, and the events role also
 * `aws:SourceArn` = its region's forward rule (EventBridge sends both when it assumes a target's role).
 * Lambda sends no `aws:SourceArn` when it assumes an execution role, so the function's trust names only
 * the account.
 * `<stack>-fis` (assumed by FIS for `drill region-outage`) requires the account and an experiment of it.
 */
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  ListRolePoliciesCommand,
  type Role,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { isAwsError } from '../errors.js';
import { isOurs, REGIONS_TAG, tagsFromList, tagsToList, topologyTags, WITNESS_TAG } from '../stack.js';
import { eventsRegionOf, ids, ownershipTags, ruleArn } from './desired.js';
import {
  foreignDetail,
  missingTags,
  ownershipError,
  parsePolicyDocument,
  sameJson,
  updateOrNoop,
} from './support.js';
import type { Facts, Observation, ProvisionContext, ResourceModule, ResourceRef } from './types.js';

export interface ObservedRole {
  arn: string;
  trust: unknown;
  tags: Record<string, string>;
}

/** FIS may assume the drill's role only for this account's experiments (confused-deputy guard). */
function fisTrust(ctx: ProvisionContext) {
  const { partition, account } = ctx.account;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'fis.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:fis:*:${account}:experiment/*` },
        },
      },
    ],
  };
}

function desired(ctx: ProvisionContext, ref: ResourceRef) {
  const isFunctionRole = ref.id === ids.functionRole;
  const isFisRole = ref.id === ids.fisRole;
  const service = isFunctionRole ? 'lambda.amazonaws.com' : 'events.amazonaws.com';
  const region = eventsRegionOf(ref.id);
  const Condition = {
    StringEquals: { 'aws:SourceAccount': ctx.account.account },
    ...(region ? { ArnEquals: { 'aws:SourceArn': ruleArn(ctx, region, ctx.names.forwardRule) } } : {}),
  };
  return {
    trust: isFisRole
      ? fisTrust(ctx)
      : {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole', Condition },
          ],
        },
    tags: { ...ownershipTags(ctx.stack), ...(isFunctionRole ? topologyTags(ctx.topology) : {}) },
    /** Tags we manage and must remove when no longer desired (the witness of a one-region stack). */
    managedTags: isFunctionRole ? [REGIONS_TAG, WITNESS_TAG] : [],
    description: isFunctionRole
      ? `dsqlctl stack ${ctx.stack}: the transaction function's role`
      : isFisRole
        ? `dsqlctl stack ${ctx.stack}: AWS FIS impairing a cluster during drill region-outage`
        : `dsqlctl stack ${ctx.stack}: EventBridge forwarding from ${region} to the peer region's bus`,
  };
}

function facts(role: Role | ObservedRole): Facts {
  return { arn: 'arn' in role ? role.arn : role.Arn };
}

/** Tags to add or change, and managed tags to remove: what both the plan and the update act on. */
function tagChanges(role: ObservedRole, want: ReturnType<typeof desired>) {
  return {
    missing: missingTags(role.tags, want.tags),
    extra: want.managedTags.filter((k) => role.tags[k] !== undefined && want.tags[k] === undefined),
  };
}

function differences(ctx: ProvisionContext, ref: ResourceRef, role: ObservedRole): string[] {
  const want = desired(ctx, ref);
  const out: string[] = [];
  if (!sameJson(role.trust, want.trust)) out.push('trust policy differs');
  const { missing, extra } = tagChanges(role, want);
  const changed = [...Object.keys(missing), ...extra];
  if (changed.length > 0) out.push(`tags differ (${changed.join(', ')})`);
  return out;
}

export const iamRole: ResourceModule<ObservedRole> = {
  observePhase: 'first',
  deletedByDown: true,

  async observe(ctx, ref) {
    try {
      const { Role: role } = await ctx.clients.iam().send(new GetRoleCommand({ RoleName: ref.name }));
      if (!role?.Arn) return { state: 'absent' };
      const tags = tagsFromList(role.Tags);
      if (!isOurs(tags, ctx.stack))
        return { state: 'foreign', detail: foreignDetail(`IAM role ${ref.name}`, ctx.stack, tags) };
      const value = { arn: role.Arn, trust: parsePolicyDocument(role.AssumeRolePolicyDocument), tags };
      return { state: 'present', value, facts: facts(value), status: 'exists' };
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntityException', 'NoSuchEntity')) return { state: 'absent' };
      throw error;
    }
  },

  diff(ctx, ref, observed) {
    if (observed.state !== 'present') return { action: 'create', reason: 'absent' };
    return updateOrNoop(differences(ctx, ref, observed.value));
  },

  async converge(ctx, ref, observed) {
    const iam = ctx.clients.iam();
    const want = desired(ctx, ref);
    let current: Observation<ObservedRole> = observed;
    if (current.state === 'absent') {
      try {
        const { Role: role } = await iam.send(
          new CreateRoleCommand({
            RoleName: ref.name,
            AssumeRolePolicyDocument: JSON.stringify(want.trust),
            Description: want.description,
            Tags: tagsToList(want.tags),
          }),
        );
        return facts(role as Role);
      } catch (error) {
        // A previous, interrupted run created it: adopt it if it is ours.
        if (!isAwsError(error, 'EntityAlreadyExistsException', 'EntityAlreadyExists')) throw error;
        current = await iamRole.observe(ctx, ref);
      }
    }
    if (current.state === 'foreign') throw ownershipError(ref, current.detail, ctx.stack);
    if (current.state !== 'present') throw new Error(`IAM role ${ref.name} vanished while being converged.`);
    const role = current.value;
    if (!sameJson(role.trust, want.trust)) {
      await iam.send(
        new UpdateAssumeRolePolicyCommand({ RoleName: ref.name, PolicyDocument: JSON.stringify(want.trust) }),
      );
    }
    const { missing, extra } = tagChanges(role, want);
    if (Object.keys(missing).length > 0) {
      await iam.send(new TagRoleCommand({ RoleName: ref.name, Tags: tagsToList(missing) }));
    }
    if (extra.length > 0) await iam.send(new UntagRoleCommand({ RoleName: ref.name, TagKeys: extra }));
    return facts(role);
  },

  async remove(ctx, ref, observed) {
    if (observed.state !== 'present') return false;
    const iam = ctx.clients.iam();
    try {
      // The role is ours: every inline policy on it goes too (DeleteRole refuses a role that has any).
      const { PolicyNames = [] } = await iam.send(new ListRolePoliciesCommand({ RoleName: ref.name }));
      for (const PolicyName of PolicyNames) {
        await iam.send(new DeleteRolePolicyCommand({ RoleName: ref.name, PolicyName }));
      }
      await iam.send(new DeleteRoleCommand({ RoleName: ref.name }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntityException', 'NoSuchEntity')) return false;
      throw error;
    }
  },
};
