/**
 * IAM SimulatePrincipalPolicy from the local cloud's own evaluator (identity/evaluate.ts): the identity
 * policies of a user (the operator limited by `--operator-policy`) or a role (its inline policies),
 * against each action on the given resources, with the given context keys.
 *
 * The answer follows the IAM API reference as of 2026: one EvaluationResult per action whatever the
 * number of resources, its EvalDecision the most restrictive across them (explicitDeny, then
 * implicitDeny, then allowed), each resource's own decision in ResourceSpecificResults. An
 * assumed-role session ARN (what GetCallerIdentity answers inside a role) stands for its role.
 */
import { ServiceError } from '../../aws.js';
import { authorize, type Caller, type Decision, type RequestContext } from '../../identity/evaluate.js';
import type { QueryInput } from '../../protocols/aws-query.js';
import type { CallContext } from '../../service.js';

/** A role's ARN and inline policy documents, when the role exists. */
export type RoleLookup = (roleArn: string) => { Arn: string; policies: Record<string, string> } | undefined;

type EvalDecision = 'allowed' | 'explicitDeny' | 'implicitDeny';

const RANK: Record<EvalDecision, number> = { allowed: 0, implicitDeny: 1, explicitDeny: 2 };

const decisionOf = (decision: Decision): EvalDecision =>
  decision.effect === 'Allow' ? 'allowed' : decision.explicit ? 'explicitDeny' : 'implicitDeny';

function invalidInput(message: string): ServiceError {
  return new ServiceError('InvalidInput', message, { status: 400 });
}

function noSuchEntity(message: string): ServiceError {
  return new ServiceError('NoSuchEntity', message, { status: 404 });
}

/** The principal an ARN names and its identity policies. */
function principalOf(
  ctx: CallContext,
  sourceArn: string,
  findRole: RoleLookup,
): { caller: Caller; policies: string[] } {
  const { accountId } = ctx;
  const operator = ctx.cloud.identity.credentials.operator;
  const user = /^arn:aws:iam::(\d{12}):user\/(?:.*\/)?([\w+=,.@-]+)$/.exec(sourceArn);
  if (user) {
    if (user[1] !== accountId || operator.user?.name !== user[2])
      throw noSuchEntity(`The user with name ${user[2]} cannot be found.`);
    return { caller: { kind: 'user', accountId, arn: sourceArn }, policies: [operator.user.policy] };
  }
  const session = /^arn:aws:sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/[\w+=,.@-]+$/.exec(sourceArn);
  const roleArn = session ? `arn:aws:iam::${session[1]}:role/${session[2]}` : sourceArn;
  if (/^arn:aws:iam::\d{12}:role\//.test(roleArn)) {
    const role = findRole(roleArn);
    if (!role)
      throw noSuchEntity(
        `The role with name ${roleArn.slice(roleArn.lastIndexOf('/') + 1)} cannot be found.`,
      );
    return {
      caller: { kind: 'role-session', accountId, arn: sourceArn, roleArn: role.Arn },
      policies: Object.values(role.policies),
    };
  }
  throw invalidInput(`Invalid ARN: ${sourceArn} is not a user, group or role.`);
}

const strings = (value: unknown): string[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String);

function contextOf(input: QueryInput): RequestContext {
  const entries = Array.isArray(input.ContextEntries) ? input.ContextEntries : [];
  const context: RequestContext = {};
  for (const entry of entries as { ContextKeyName?: unknown; ContextKeyValues?: unknown }[]) {
    if (!entry || typeof entry.ContextKeyName !== 'string') continue;
    context[entry.ContextKeyName] = strings(entry.ContextKeyValues);
  }
  return context;
}

export function simulatePrincipalPolicy(
  input: QueryInput,
  ctx: CallContext,
  findRole: RoleLookup,
): Record<string, unknown> {
  const sourceArn = typeof input.PolicySourceArn === 'string' ? input.PolicySourceArn : '';
  if (!sourceArn) throw invalidInput('PolicySourceArn is required.');
  const actions = strings(input.ActionNames);
  if (actions.length === 0) throw invalidInput('ActionNames must name at least one action.');
  const resources = strings(input.ResourceArns);
  const { caller, policies } = principalOf(ctx, sourceArn, findRole);
  const context = contextOf(input);
  const results = actions.map((action) => {
    const perResource = (resources.length > 0 ? resources : ['*']).map((resource) => ({
      EvalResourceName: resource,
      EvalResourceDecision: decisionOf(
        authorize(
          { caller, action, resource, context: { 'aws:RequestedRegion': ctx.region, ...context } },
          { identity: policies, resourceAccount: ctx.accountId },
        ),
      ),
    }));
    const worst = perResource.reduce<EvalDecision>(
      (acc, r) => (RANK[r.EvalResourceDecision] > RANK[acc] ? r.EvalResourceDecision : acc),
      'allowed',
    );
    return {
      EvalActionName: action,
      ...(perResource.length === 1 ? { EvalResourceName: perResource[0]?.EvalResourceName } : {}),
      EvalDecision: worst,
      MatchedStatements: [],
      MissingContextValues: [],
      ...(resources.length > 0 ? { ResourceSpecificResults: perResource } : {}),
    };
  });
  return { EvaluationResults: results, IsTruncated: false };
}
