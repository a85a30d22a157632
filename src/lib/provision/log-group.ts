/**
 * The function's CloudWatch Logs group `/aws/lambda/<stack>-txn` in each region, owned by the stack:
 * created before the function (Lambda then writes into it instead of creating an unowned one), with
 * the ownership tag and a retention (14 days when created; `up --log-retention-days N` converges it,
 * an `up` without the flag keeps what is set), deleted by `down` after the function.
 */
import {
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand,
  PutRetentionPolicyCommand,
  TagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { isAwsError } from '../errors.js';
import { isOurs } from '../stack.js';
import { ownershipTags } from './desired.js';
import { foreignDetail, missingTags, ownershipError, updateOrNoop } from './support.js';
import type { ProvisionContext, ResourceModule, ResourceRef } from './types.js';

export const DEFAULT_LOG_RETENTION_DAYS = 14;

interface LogGroupState {
  arn: string;
  retentionInDays?: number;
  tags: Record<string, string>;
}

/** The retention `up` converges to: the flag's, else (only when creating) the default. */
function wantedRetention(ctx: ProvisionContext, observed?: LogGroupState): number | undefined {
  if (ctx.logRetentionDays !== undefined) return ctx.logRetentionDays;
  return observed ? undefined : DEFAULT_LOG_RETENTION_DAYS;
}

function differences(ctx: ProvisionContext, state: LogGroupState): string[] {
  const list: string[] = [];
  const retention = wantedRetention(ctx, state);
  if (retention !== undefined && state.retentionInDays !== retention) {
    list.push(`retention ${state.retentionInDays ?? 'never expire'} → ${retention} days`);
  }
  if (Object.keys(missingTags(state.tags, ownershipTags(ctx.stack))).length > 0) list.push('tags differ');
  return list;
}

async function describe(ctx: ProvisionContext, ref: ResourceRef): Promise<LogGroupState | undefined> {
  const client = ctx.clients.logs(ref.region);
  const { logGroups = [] } = await client.send(
    new DescribeLogGroupsCommand({ logGroupNamePrefix: ref.name }),
  );
  const group = logGroups.find((g) => g.logGroupName === ref.name);
  if (!group) return undefined;
  const arn = group.logGroupArn ?? (group.arn ?? '').replace(/:\*$/, '');
  const { tags = {} } = await client.send(new ListTagsForResourceCommand({ resourceArn: arn }));
  return {
    arn,
    ...(group.retentionInDays !== undefined ? { retentionInDays: group.retentionInDays } : {}),
    tags,
  };
}

export const logGroup: ResourceModule<LogGroupState> = {
  observePhase: 'first',
  deletedByDown: true,

  async observe(ctx, ref) {
    const state = await describe(ctx, ref);
    if (!state) return { state: 'absent' };
    if (!isOurs(state.tags, ctx.stack)) {
      return {
        state: 'foreign',
        detail: foreignDetail(`Log group ${ref.name} in ${ref.region}`, ctx.stack, state.tags),
      };
    }
    const retention = state.retentionInDays === undefined ? 'never expire' : `${state.retentionInDays} days`;
    return {
      state: 'present',
      value: state,
      facts: { arn: state.arn },
      status: `exists, retention ${retention}`,
    };
  },

  diff(ctx, _ref, observed) {
    if (observed.state !== 'present') return { action: 'create', reason: 'absent' };
    return updateOrNoop(differences(ctx, observed.value));
  },

  async converge(ctx, ref, observed) {
    const client = ctx.clients.logs(ref.region);
    let state = observed.state === 'present' ? observed.value : undefined;
    if (!state) {
      try {
        await client.send(
          new CreateLogGroupCommand({ logGroupName: ref.name, tags: ownershipTags(ctx.stack) }),
        );
      } catch (error) {
        // A previous, interrupted run created it: adopt it if it is ours.
        if (!isAwsError(error, 'ResourceAlreadyExistsException')) throw error;
        const again = await logGroup.observe(ctx, ref);
        if (again.state === 'foreign') throw ownershipError(ref, again.detail, ctx.stack);
        if (again.state !== 'present') throw error;
        state = again.value;
      }
    }
    const current = state ?? ((await describe(ctx, ref)) as LogGroupState);
    const missing = missingTags(current.tags, ownershipTags(ctx.stack));
    if (Object.keys(missing).length > 0) {
      await client.send(new TagResourceCommand({ resourceArn: current.arn, tags: missing }));
    }
    const retention = wantedRetention(ctx, state);
    if (retention !== undefined && current.retentionInDays !== retention) {
      await client.send(
        new PutRetentionPolicyCommand({ logGroupName: ref.name, retentionInDays: retention }),
      );
    }
    return { arn: current.arn };
  },

  async remove(ctx, ref, observed) {
    if (observed.state !== 'present') return false;
    try {
      await ctx.clients.logs(ref.region).send(new DeleteLogGroupCommand({ logGroupName: ref.name }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return false;
      throw error;
    }
  },
};
