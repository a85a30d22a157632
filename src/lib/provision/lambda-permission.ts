/**
 * A permission (a statement in the function's resource policy) letting one of the region's rules — the
 * deliver rule or the sweep rule, named after the `/` in the resource's name — invoke the function. It
 * belongs to the function: foreign when the function is.
 */
import { AddPermissionCommand, GetPolicyCommand, RemovePermissionCommand } from '@aws-sdk/client-lambda';
import { isAwsError } from '../errors.js';
import { ids, ruleArn } from './desired.js';
import { deleteRetryingConflicts, retryingConflicts } from './lambda-function.js';
import { ownershipError } from './support.js';
import type { ProvisionContext, ResourceModule, ResourceRef } from './types.js';

const EVENTS_PRINCIPAL = 'events.amazonaws.com';

/** The rule this permission is for: `<function>/<rule>`. */
function ruleOf(ref: ResourceRef): string {
  return ref.name.slice(ref.name.indexOf('/') + 1);
}

function statementId(ref: ResourceRef): string {
  return `${ruleOf(ref)}-invoke`;
}

interface PolicyStatement {
  Sid?: string;
  Principal?: { Service?: string };
  Condition?: { ArnLike?: Record<string, string> };
}

function functionNameOf(ctx: ProvisionContext): string {
  return ctx.names.functionName;
}

export const lambdaPermission: ResourceModule<{ sourceArn?: string; principal?: string }> = {
  observePhase: 'first',
  ownerOf: (ref) => ids.function(ref.region),
  deletedByDown: true,

  async observe(ctx, ref) {
    try {
      const { Policy } = await ctx.clients
        .lambda(ref.region)
        .send(new GetPolicyCommand({ FunctionName: functionNameOf(ctx) }));
      const statements: PolicyStatement[] = Policy ? (JSON.parse(Policy).Statement ?? []) : [];
      const statement = statements.find((s) => s.Sid === statementId(ref));
      if (!statement) return { state: 'absent' };
      const sourceArn = statement.Condition?.ArnLike?.['AWS:SourceArn'];
      return {
        state: 'present',
        value: { sourceArn, principal: statement.Principal?.Service },
        facts: {},
        status: 'exists',
      };
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return { state: 'absent' };
      throw error;
    }
  },

  diff(ctx, ref, observed) {
    if (observed.state !== 'present') return { action: 'create', reason: 'absent' };
    const want = ruleArn(ctx, ref.region, ruleOf(ref));
    return observed.value.sourceArn === want && observed.value.principal === EVENTS_PRINCIPAL
      ? { action: 'noop', reason: 'up to date' }
      : { action: 'update', reason: 'source rule or principal differs' };
  },

  async converge(ctx, ref, observed) {
    if (observed.state === 'foreign') throw ownershipError(ref, observed.detail, ctx.stack);
    const lambda = ctx.clients.lambda(ref.region);
    const sourceArn = ruleArn(ctx, ref.region, ruleOf(ref));
    if (observed.state === 'present') {
      if (observed.value.sourceArn === sourceArn && observed.value.principal === EVENTS_PRINCIPAL) return {};
      await lambdaPermission.remove(ctx, ref, observed);
    }
    await retryingConflicts(
      ctx,
      ref,
      `allowing ${ruleOf(ref)} to invoke ${functionNameOf(ctx)} in ${ref.region}`,
      () =>
        lambda
          .send(
            new AddPermissionCommand({
              FunctionName: functionNameOf(ctx),
              StatementId: statementId(ref),
              Action: 'lambda:InvokeFunction',
              Principal: EVENTS_PRINCIPAL,
              SourceArn: sourceArn,
            }),
          )
          .catch(async (error: unknown) => {
            // Same statement id already there (an interrupted run added it just now): that is the goal.
            if (
              isAwsError(error, 'ResourceConflictException') &&
              /already exists/i.test((error as Error).message)
            ) {
              return undefined;
            }
            throw error;
          }),
    );
    return {};
  },

  async remove(ctx, ref, observed) {
    if (observed.state !== 'present') return false;
    return deleteRetryingConflicts(
      ctx,
      ref,
      `removing the invoke permission of ${functionNameOf(ctx)} in ${ref.region}`,
      () =>
        ctx.clients
          .lambda(ref.region)
          .send(
            new RemovePermissionCommand({ FunctionName: functionNameOf(ctx), StatementId: statementId(ref) }),
          ),
    );
  },
};
