/**
 * The few IAM decisions Lambda and EventBridge make locally: does a role exist and trust a service
 * (Lambda assuming a function's role, EventBridge assuming a target's role), does a role's inline policy
 * allow an action on a resource, and does a function's resource policy let a service principal invoke it
 * from a given source ARN. Only Allow statements with `*` wildcards are evaluated (no Deny, no
 * conditions other than ArnLike/ArnEquals on AWS:SourceArn): that is all dsqlctl writes.
 */
import { LOCAL_ACCOUNT_ID } from '../../aws.js';
import type { Cloud } from '../../service.js';
import { iamState, type RoleRecord } from './index.js';

export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Principal?: string | { Service?: string | string[]; AWS?: string | string[] };
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** IAM's `*` and `?` wildcards, case-sensitive. */
function globMatches(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(value);
}

/** `service:Action` against a statement's actions (`*`, `lambda:*`, case-insensitive as in IAM). */
function actionMatches(statement: PolicyStatement, action: string): boolean {
  return list(statement.Action).some((a) => globMatches(a.toLowerCase(), action.toLowerCase()));
}

/** Does the statement's Principal take in the service principal (`*`, or `{ Service }` naming it)? */
function principalIncludes(statement: PolicyStatement, service: string): boolean {
  const principal = statement.Principal;
  return principal === '*' || (typeof principal === 'object' && list(principal.Service).includes(service));
}

function statementsOf(document: string): PolicyStatement[] {
  try {
    const parsed = JSON.parse(document) as { Statement?: PolicyStatement | PolicyStatement[] };
    return Array.isArray(parsed.Statement) ? parsed.Statement : parsed.Statement ? [parsed.Statement] : [];
  } catch {
    return [];
  }
}

/** The role an ARN names (`arn:aws:iam::<account>:role/<path/>name`), when it exists. */
export function roleByArn(cloud: Cloud, roleArn: string): RoleRecord | undefined {
  const match = /^arn:aws:iam::\d{12}:role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(roleArn);
  if (!match) return undefined;
  const { roles } = iamState(cloud);
  const role = Object.hasOwn(roles, match[1] ?? '') ? roles[match[1] ?? ''] : undefined;
  return role?.Arn === roleArn ? role : undefined;
}

/** Does the role's trust policy let `service` (lambda.amazonaws.com, events.amazonaws.com) assume it? */
export function roleTrusts(role: RoleRecord, service: string): boolean {
  return statementsOf(role.AssumeRolePolicyDocument).some((s) => {
    return s.Effect === 'Allow' && actionMatches(s, 'sts:AssumeRole') && principalIncludes(s, service);
  });
}

/** Does one of the role's inline policies allow `action` on `resource`? */
export function roleAllows(role: RoleRecord, action: string, resource: string): boolean {
  return Object.values(role.policies).some((document) =>
    statementsOf(document).some(
      (s) =>
        s.Effect === 'Allow' &&
        actionMatches(s, action) &&
        list(s.Resource).some((r) => globMatches(r, resource)),
    ),
  );
}

/** Does a function's resource policy let `service` invoke it on behalf of `sourceArn`? */
export function resourcePolicyAllows(
  statements: PolicyStatement[],
  service: string,
  sourceArn: string,
): boolean {
  return statements.some((s) => {
    if (s.Effect !== 'Allow' || !actionMatches(s, 'lambda:InvokeFunction')) return false;
    if (!principalIncludes(s, service)) return false;
    const conditions = s.Condition ?? {};
    return Object.entries(conditions).every(([operator, values]) => {
      const wanted = list(values['AWS:SourceArn']);
      if (operator === 'ArnLike') return wanted.some((w) => globMatches(w, sourceArn));
      if (operator === 'ArnEquals') return wanted.includes(sourceArn);
      if (operator === 'StringEquals') return list(values['AWS:SourceAccount']).includes(LOCAL_ACCOUNT_ID);
      return false;
    });
  });
}
