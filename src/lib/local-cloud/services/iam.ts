/**
 * IAM (awsQuery, global: signed in us-east-1, state shared by every region): roles, their trust
 * policy, tags, and inline role policies. Names and documents are validated as IAM does; documents are
 * stored as sent and returned URL-encoded, as IAM returns them.
 */
import { arn, randomId, ServiceError } from '../aws.js';
import { awsQueryService, type QueryInput } from '../protocols/aws-query.js';
import type { CallContext, LocalService } from '../registry.js';

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

export interface IamState {
  roles: Record<string, RoleRecord>;
}

const NS = 'iam';
const init = (): IamState => ({ roles: {} });
const NAME = /^[\w+=,.@-]+$/;
const MAX_TAGS = 50;

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

/** IAM refuses documents that are not JSON objects with a Statement. */
function validPolicy(document: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw new ServiceError('MalformedPolicyDocument', 'This policy contains invalid Json');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !('Statement' in parsed)) {
    throw new ServiceError('MalformedPolicyDocument', 'Syntax errors in policy.');
  }
  return document;
}

function role(state: IamState, name: string): RoleRecord {
  const found = Object.hasOwn(state.roles, name) ? state.roles[name] : undefined;
  if (!found)
    throw new ServiceError('NoSuchEntity', `The role with name ${name} cannot be found.`, { status: 404 });
  return found;
}

function tagsOf(input: QueryInput): { Key: string; Value: string }[] {
  const tags = (input.Tags as { Key?: string; Value?: string }[] | undefined) ?? [];
  return tags.map((t) => {
    if (!t.Key || t.Key.length > 128) throw validation('Tag keys must be 1 to 128 characters long.');
    if ((t.Value ?? '').length > 256) throw validation('Tag values must be at most 256 characters long.');
    return { Key: t.Key, Value: t.Value ?? '' };
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

const update = <R>(ctx: CallContext, change: (state: IamState) => R) =>
  ctx.cloud.state.update(NS, init, change);

const iamProtocol = awsQueryService({
  signingName: 'iam',
  xmlNamespace: 'https://iam.amazonaws.com/doc/2010-05-08/',
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
      );
      const tags = mergeTags([], tagsOf(input));
      return update(ctx, (state) => {
        if (Object.hasOwn(state.roles, name)) {
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
    GetRole: (input, ctx) => {
      const state = ctx.cloud.state.read(NS, init);
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
      const document = validPolicy(requireString(input, 'PolicyDocument', 'policyDocument'));
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
      const r = role(ctx.cloud.state.read(NS, init), requireString(input, 'RoleName', 'roleName'));
      return { Tags: r.Tags, IsTruncated: false };
    },
    PutRolePolicy: (input, ctx) => {
      const policyName = validName(requireString(input, 'PolicyName', 'policyName'), 'policyName', 128);
      const document = validPolicy(requireString(input, 'PolicyDocument', 'policyDocument'));
      return update(ctx, (state) => {
        role(state, requireString(input, 'RoleName', 'roleName')).policies[policyName] = document;
        return undefined;
      });
    },
    GetRolePolicy: (input, ctx) => {
      const r = role(ctx.cloud.state.read(NS, init), requireString(input, 'RoleName', 'roleName'));
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
    ListRolePolicies: (input, ctx) => {
      const r = role(ctx.cloud.state.read(NS, init), requireString(input, 'RoleName', 'roleName'));
      return { PolicyNames: Object.keys(r.policies).sort(), IsTruncated: false };
    },
  },
});

export const iamService: LocalService = {
  ...iamProtocol,
  counts: (cloud) => ({ global: { roles: Object.keys(cloud.state.read(NS, init).roles).length } }),
};
