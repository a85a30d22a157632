/**
 * IAM (awsQuery, global: signed in us-east-1, state shared by every region): roles, their trust
 * policy, tags, and inline role policies. Names and documents are validated as IAM does; documents are
 * stored as sent and returned URL-encoded, as IAM returns them.
 */
import { arn, randomId, ServiceError } from '../../aws.js';
import { awsQueryService, type QueryInput } from '../../protocols/aws-query.js';
import type { CallContext, Cloud, LocalService } from '../../service.js';
import { iamConstraints } from './constraints.js';
import { simulatePrincipalPolicy } from './simulate.js';

export interface RoleRecord {
  RoleName: string;
  RoleId: string;
  Arn: string;
  Path: string;
  /** ISO 8601. */
  CreateDate: string;
  AssumeRolePolicyDocument: string;
  Description?: string;
  MaxSessionDuration: number;
  Tags: { Key: string; Value: string }[];
  /** Inline policies by name → document as sent. */
  policies: Record<string, string>;
}

interface IamState {
  roles: Record<string, RoleRecord>;
}

const NS = 'iam';
const init = (): IamState => ({ roles: {} });
const iamState = (cloud: Cloud): IamState => cloud.state.read(NS, init);

/** The role an ARN names (`arn:aws:iam::<account>:role/<path/>name`), when it exists. */
export function roleByArn(cloud: Cloud, roleArn: string): RoleRecord | undefined {
  const name = roleArn.slice(roleArn.lastIndexOf('/') + 1);
  const { roles } = iamState(cloud);
  const role = Object.hasOwn(roles, name) ? roles[name] : undefined;
  return role?.Arn === roleArn ? role : undefined;
}
const NAME = /^[\w+=,.@-]+$/;
const MAX_TAGS = 50;
/** IAM's tag key and value pattern: letters, digits, spaces and `_.:/=+-@` (no comma, for one). */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

function validation(message: string): ServiceError {
  return new ServiceError('ValidationError', message);
}

function requireString(input: QueryInput, member: string, field: string): string {
  const value = input[member];
  if (typeof value !== 'string' || value.length === 0) {
    throw validation(
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function validName(value: string, field: string, max: number): string {
  if (value.length > max) {
    throw validation(
      `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  }
  if (!NAME.test(value)) {
    throw validation(
      `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
    );
  }
  return value;
}

function malformed(message: string): ServiceError {
  return new ServiceError('MalformedPolicyDocument', message);
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/**
 * IAM's grammar checks, with its messages: a trust policy (`trust`) names a Principal and no Resource;
 * an identity policy (an inline role policy) names a Resource and no Principal. Either needs an Effect
 * and actions of the form `service:action`, and resources that are ARNs or `*`.
 */
function validPolicy(document: string, kind: 'trust' | 'identity'): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw malformed('This policy contains invalid Json');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !('Statement' in parsed)) {
    throw malformed('Syntax errors in policy.');
  }
  const policy = parsed as { Version?: unknown; Statement: unknown };
  if (policy.Version !== undefined && policy.Version !== '2012-10-17' && policy.Version !== '2008-10-17') {
    throw malformed('The policy failed legacy parsing');
  }
  for (const statement of asList(policy.Statement)) {
    if (!statement || typeof statement !== 'object' || Array.isArray(statement)) {
      throw malformed('Syntax errors in policy.');
    }
    const s = statement as Record<string, unknown>;
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw malformed('Syntax errors in policy.');
    const actions = s.Action ?? s.NotAction;
    if (actions === undefined) throw malformed('Policy statement must contain actions.');
    for (const action of asList(actions)) {
      if (typeof action !== 'string' || (action !== '*' && !/^[a-zA-Z0-9-]+:[\w*?-]+$/.test(action))) {
        throw malformed('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
      }
    }
    const resources = s.Resource ?? s.NotResource;
    if (kind === 'trust') {
      if (resources !== undefined) throw malformed('Has prohibited field Resource');
      if (s.Principal === undefined && s.NotPrincipal === undefined) {
        throw malformed('Missing required field Principal');
      }
      continue;
    }
    if (s.Principal !== undefined || s.NotPrincipal !== undefined) {
      throw malformed('Policy document should not specify a principal.');
    }
    if (resources === undefined) throw malformed('Policy statement must contain resources.');
    for (const resource of asList(resources)) {
      if (typeof resource !== 'string' || (resource !== '*' && !/^arn:[^:]+:[^:]*:/.test(resource))) {
        throw malformed(`Resource ${String(resource)} must be in ARN format or "*".`);
      }
    }
  }
  return document;
}

/** IAM's size quotas count characters other than white space. */
const policySize = (document: string) => document.replace(/\s/g, '').length;
const MAX_TRUST_POLICY = 2048;
const MAX_INLINE_POLICIES_PER_ROLE = 10240;

function checkTrustSize(document: string): void {
  if (policySize(document) > MAX_TRUST_POLICY) {
    throw new ServiceError('LimitExceeded', `Cannot exceed quota for ACLSizePerRole: ${MAX_TRUST_POLICY}`, {
      status: 409,
    });
  }
}

function role(state: IamState, name: string): RoleRecord {
  const found = Object.hasOwn(state.roles, name) ? state.roles[name] : undefined;
  if (!found)
    throw new ServiceError('NoSuchEntity', `The role with name ${name} cannot be found.`, { status: 404 });
  return found;
}

function tagsOf(input: QueryInput): { Key: string; Value: string }[] {
  const tags = (input.Tags as { Key?: string; Value?: string }[] | undefined) ?? [];
  return tags.map((t, i) => {
    const value = t.Value ?? '';
    const fail = (member: string, text: string, constraint: string) =>
      validation(
        `1 validation error detected: Value '${text}' at 'tags.${i + 1}.member.${member}' failed to satisfy constraint: ${constraint}`,
      );
    if (!t.Key || t.Key.length > 128)
      throw fail('key', t.Key ?? '', 'Member must have length between 1 and 128');
    if (!TAG_TEXT.test(t.Key))
      throw fail('key', t.Key, `Member must satisfy regular expression pattern: ${TAG_TEXT.source}`);
    if (t.Key.toLowerCase().startsWith('aws:'))
      throw validation('Tag keys cannot start with the reserved prefix aws:.');
    if (value.length > 256) throw fail('value', value, 'Member must have length less than or equal to 256');
    if (!TAG_TEXT.test(value))
      throw fail('value', value, `Member must satisfy regular expression pattern: ${TAG_TEXT.source}`);
    return { Key: t.Key, Value: value };
  });
}

function mergeTags(existing: RoleRecord['Tags'], added: RoleRecord['Tags']): RoleRecord['Tags'] {
  const merged = new Map(existing.map((t) => [t.Key, t.Value]));
  for (const t of added) merged.set(t.Key, t.Value);
  if (merged.size > MAX_TAGS) {
    throw new ServiceError('LimitExceeded', `Cannot exceed quota for TagsPerRole: ${MAX_TAGS}.`, {
      status: 409,
    });
  }
  return [...merged].map(([Key, Value]) => ({ Key, Value }));
}

/** The Role shape IAM answers, documents URL-encoded. */
function roleView(r: RoleRecord): Record<string, unknown> {
  return {
    Path: r.Path,
    RoleName: r.RoleName,
    RoleId: r.RoleId,
    Arn: r.Arn,
    CreateDate: r.CreateDate,
    AssumeRolePolicyDocument: encodeURIComponent(r.AssumeRolePolicyDocument),
    Description: r.Description,
    MaxSessionDuration: r.MaxSessionDuration,
    Tags: r.Tags.length > 0 ? r.Tags : undefined,
  };
}

/** ListRoles' page: after the role named by the Marker (base64url of its name), MaxItems roles (default 100). */
function listRoles(input: QueryInput, state: IamState): Record<string, unknown> {
  const prefix = typeof input.PathPrefix === 'string' ? input.PathPrefix : '/';
  const maxItems = typeof input.MaxItems === 'number' ? input.MaxItems : 100;
  const after = typeof input.Marker === 'string' ? Buffer.from(input.Marker, 'base64url').toString() : '';
  const roles = Object.values(state.roles)
    .filter((r) => r.Path.startsWith(prefix) && r.RoleName > after)
    .sort((a, b) => (a.RoleName < b.RoleName ? -1 : 1));
  const page = roles.slice(0, maxItems);
  const last = page.at(-1);
  const truncated = roles.length > maxItems && last !== undefined;
  // ListRoles leaves out Tags, PermissionsBoundary and RoleLastUsed (IAM API reference); GetRole has them.
  return {
    Roles: page.map((r) => ({ ...roleView(r), Tags: undefined })),
    IsTruncated: truncated,
    ...(truncated ? { Marker: Buffer.from(last.RoleName).toString('base64url') } : {}),
  };
}

const update = <R>(ctx: CallContext, change: (state: IamState) => R) =>
  ctx.cloud.state.update(NS, init, change);

const iamProtocol = awsQueryService({
  signingName: 'iam',
  xmlNamespace: 'https://iam.amazonaws.com/doc/2010-05-08/',
  model: async () => ({ schemas: await import('@aws-sdk/client-iam'), constraints: iamConstraints }),
  operations: {
    CreateRole: (input, ctx) => {
      const name = validName(requireString(input, 'RoleName', 'roleName'), 'roleName', 64);
      const path = (input.Path as string | undefined) ?? '/';
      if (!/^(\/|\/[\u0021-\u007E]+\/)$/.test(path) || path.length > 512) {
        throw validation(
          `The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`,
        );
      }
      const document = validPolicy(
        requireString(input, 'AssumeRolePolicyDocument', 'assumeRolePolicyDocument'),
        'trust',
      );
      checkTrustSize(document);
      const tags = mergeTags([], tagsOf(input));
      return update(ctx, (state) => {
        // IAM names are unique regardless of case: `Shop-fn` collides with `shop-fn`.
        if (Object.keys(state.roles).some((existing) => existing.toLowerCase() === name.toLowerCase())) {
          throw new ServiceError('EntityAlreadyExists', `Role with name ${name} already exists.`, {
            status: 409,
          });
        }
        const record: RoleRecord = {
          RoleName: name,
          RoleId: `AROA${randomId(17, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
          Arn: arn('iam', '', `role${path}${name}`),
          Path: path,
          CreateDate: new Date(ctx.cloud.now()).toISOString(),
          AssumeRolePolicyDocument: document,
          MaxSessionDuration: Number(input.MaxSessionDuration ?? 3600),
          Tags: tags,
          policies: {},
        };
        if (typeof input.Description === 'string') record.Description = input.Description;
        state.roles[name] = record;
        return { Role: roleView(record) };
      });
    },
    ListRoles: (input, ctx) => listRoles(input, iamState(ctx.cloud)),
    GetRole: (input, ctx) => {
      const state = iamState(ctx.cloud);
      return { Role: roleView(role(state, requireString(input, 'RoleName', 'roleName'))) };
    },
    DeleteRole: (input, ctx) =>
      update(ctx, (state) => {
        const r = role(state, requireString(input, 'RoleName', 'roleName'));
        if (Object.keys(r.policies).length > 0) {
          throw new ServiceError('DeleteConflict', 'Cannot delete entity, must delete policies first.', {
            status: 409,
          });
        }
        delete state.roles[r.RoleName];
        return undefined;
      }),
    UpdateAssumeRolePolicy: (input, ctx) => {
      const document = validPolicy(requireString(input, 'PolicyDocument', 'policyDocument'), 'trust');
      checkTrustSize(document);
      return update(ctx, (state) => {
        role(state, requireString(input, 'RoleName', 'roleName')).AssumeRolePolicyDocument = document;
        return undefined;
      });
    },
    TagRole: (input, ctx) => {
      const tags = tagsOf(input);
      return update(ctx, (state) => {
        const r = role(state, requireString(input, 'RoleName', 'roleName'));
        r.Tags = mergeTags(r.Tags, tags);
        return undefined;
      });
    },
    UntagRole: (input, ctx) =>
      update(ctx, (state) => {
        const r = role(state, requireString(input, 'RoleName', 'roleName'));
        const keys = new Set((input.TagKeys as string[] | undefined) ?? []);
        r.Tags = r.Tags.filter((t) => !keys.has(t.Key));
        return undefined;
      }),
    ListRoleTags: (input, ctx) => {
      const r = role(iamState(ctx.cloud), requireString(input, 'RoleName', 'roleName'));
      return { Tags: r.Tags, IsTruncated: false };
    },
    PutRolePolicy: (input, ctx) => {
      const policyName = validName(requireString(input, 'PolicyName', 'policyName'), 'policyName', 128);
      const document = validPolicy(requireString(input, 'PolicyDocument', 'policyDocument'), 'identity');
      return update(ctx, (state) => {
        const r = role(state, requireString(input, 'RoleName', 'roleName'));
        const others = Object.entries(r.policies).filter(([name]) => name !== policyName);
        const total = others.reduce((sum, [, text]) => sum + policySize(text), policySize(document));
        if (total > MAX_INLINE_POLICIES_PER_ROLE) {
          throw new ServiceError(
            'LimitExceeded',
            `Maximum policy size of ${MAX_INLINE_POLICIES_PER_ROLE} bytes exceeded for role ${r.RoleName}`,
            { status: 409 },
          );
        }
        r.policies[policyName] = document;
        return undefined;
      });
    },
    GetRolePolicy: (input, ctx) => {
      const r = role(iamState(ctx.cloud), requireString(input, 'RoleName', 'roleName'));
      const policyName = requireString(input, 'PolicyName', 'policyName');
      const document = Object.hasOwn(r.policies, policyName) ? r.policies[policyName] : undefined;
      if (document === undefined) {
        throw new ServiceError('NoSuchEntity', `The role policy with name ${policyName} cannot be found.`, {
          status: 404,
        });
      }
      return { RoleName: r.RoleName, PolicyName: policyName, PolicyDocument: encodeURIComponent(document) };
    },
    DeleteRolePolicy: (input, ctx) =>
      update(ctx, (state) => {
        const r = role(state, requireString(input, 'RoleName', 'roleName'));
        const policyName = requireString(input, 'PolicyName', 'policyName');
        if (!Object.hasOwn(r.policies, policyName)) {
          throw new ServiceError('NoSuchEntity', `The role policy with name ${policyName} cannot be found.`, {
            status: 404,
          });
        }
        delete r.policies[policyName];
        return undefined;
      }),
    SimulatePrincipalPolicy: (input, ctx) =>
      simulatePrincipalPolicy(input, ctx, (roleArn) => roleByArn(ctx.cloud, roleArn)),
    ListRolePolicies: (input, ctx) => {
      const r = role(iamState(ctx.cloud), requireString(input, 'RoleName', 'roleName'));
      return { PolicyNames: Object.keys(r.policies).sort(), IsTruncated: false };
    },
  },
});

export const iamService: LocalService = {
  ...iamProtocol,
  counts: (cloud) => ({ global: { roles: Object.keys(iamState(cloud).roles).length } }),
};
