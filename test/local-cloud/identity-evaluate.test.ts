// Policy evaluation, table-driven against AWS's documented logic (IAM User Guide: "Policy evaluation
// logic", "Policy evaluation for requests within a single account", "IAM JSON policy elements: Condition
// operators").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ApplicablePolicies,
  type AuthorizationRequest,
  authorize,
  type Caller,
  compilePolicy,
  type PolicyDocument,
  PolicyDocumentError,
  type PolicyStatement,
} from '../../src/lib/local-cloud/testing.js';

const ACCOUNT = '000000000000';
const OTHER = '111111111111';
const CLUSTER = `arn:aws:dsql:us-east-1:${ACCOUNT}:cluster/abc`;
const FUNCTION = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:shop-txn`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/shop-fn`;
const user: Caller = { kind: 'user', accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/operator` };
const root: Caller = { kind: 'root', accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root` };
const session: Caller = {
  kind: 'role-session',
  accountId: ACCOUNT,
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/shop-fn/s1`,
  roleArn: ROLE,
};
const outsider: Caller = { kind: 'user', accountId: OTHER, arn: `arn:aws:iam::${OTHER}:user/x` };
const events: Caller = { kind: 'service', service: 'events.amazonaws.com' };

const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const allow = (
  Action: string | string[],
  Resource: string | string[] = '*',
  extra: Partial<PolicyStatement> = {},
) => ({ Effect: 'Allow', Action, Resource, ...extra }) as PolicyStatement;
const deny = (
  Action: string | string[],
  Resource: string | string[] = '*',
  extra: Partial<PolicyStatement> = {},
) => ({ Effect: 'Deny', Action, Resource, ...extra }) as PolicyStatement;

type Row = [
  string,
  Omit<AuthorizationRequest, 'caller'> & { caller?: Caller },
  Omit<ApplicablePolicies, 'resourceAccount'>,
  string,
];

const outcome = (row: Row) => {
  const [, request, policies] = row;
  const d = authorize({ caller: user, ...request }, { resourceAccount: ACCOUNT, ...policies });
  if (d.effect === 'Allow') return 'Allow';
  return d.explicit ? `ExplicitDeny(${d.policy})` : `ImplicitDeny(${d.missing})`;
};

describe('policy evaluation', () => {
  const get = { action: 'dsql:GetCluster', resource: CLUSTER };
  const rows: Row[] = [
    ['no policy: implicit deny', get, {}, 'ImplicitDeny(identity)'],
    [
      'an Allow on the action and resource',
      get,
      { identity: [doc(allow('dsql:GetCluster', CLUSTER))] },
      'Allow',
    ],
    [
      'action names are case-insensitive',
      get,
      { identity: [doc(allow('DSQL:getcluster', CLUSTER))] },
      'Allow',
    ],
    ['action wildcard', get, { identity: [doc(allow('dsql:Get*', CLUSTER))] }, 'Allow'],
    ['action ? wildcard', get, { identity: [doc(allow('dsql:?etCluster', CLUSTER))] }, 'Allow'],
    [
      'another action',
      get,
      { identity: [doc(allow('dsql:DeleteCluster', CLUSTER))] },
      'ImplicitDeny(identity)',
    ],
    [
      'resource wildcard in the id',
      get,
      { identity: [doc(allow('dsql:GetCluster', 'arn:aws:dsql:*:000000000000:cluster/*'))] },
      'Allow',
    ],
    [
      'resource of another region',
      get,
      { identity: [doc(allow('dsql:GetCluster', 'arn:aws:dsql:us-west-2:000000000000:cluster/*'))] },
      'ImplicitDeny(identity)',
    ],
    [
      'resource ARNs are case-sensitive',
      get,
      { identity: [doc(allow('dsql:GetCluster', CLUSTER.toUpperCase()))] },
      'ImplicitDeny(identity)',
    ],
    [
      'a region wildcard cannot swallow the account',
      get,
      { identity: [doc(allow('dsql:GetCluster', 'arn:aws:dsql:*:cluster/abc'))] },
      'ImplicitDeny(identity)',
    ],
    [
      'explicit deny beats allow',
      get,
      { identity: [doc(allow('dsql:*'), deny('dsql:GetCluster', CLUSTER))] },
      'ExplicitDeny(identity)',
    ],
    [
      'explicit deny in another policy of the principal',
      get,
      { identity: [doc(allow('*')), doc(deny('dsql:*'))] },
      'ExplicitDeny(identity)',
    ],
    [
      'NotAction allows everything else',
      get,
      { identity: [doc({ Effect: 'Allow', NotAction: 'dsql:DeleteCluster', Resource: '*' })] },
      'Allow',
    ],
    [
      'NotAction excludes its own action',
      { ...get, action: 'dsql:DeleteCluster' },
      { identity: [doc({ Effect: 'Allow', NotAction: 'dsql:DeleteCluster', Resource: '*' })] },
      'ImplicitDeny(identity)',
    ],
    [
      'NotResource excludes its resource',
      get,
      { identity: [doc({ Effect: 'Allow', Action: 'dsql:*', NotResource: CLUSTER })] },
      'ImplicitDeny(identity)',
    ],
    [
      'NotResource allows other resources',
      get,
      { identity: [doc({ Effect: 'Allow', Action: 'dsql:*', NotResource: `${CLUSTER}x` })] },
      'Allow',
    ],
    ['the account root is allowed without policies', { ...get, caller: root }, {}, 'Allow'],
    [
      'the account root is still bound by an explicit deny',
      { ...get, caller: root },
      { resource: doc(deny('dsql:*', '*', { Principal: '*' })) },
      'ExplicitDeny(resource)',
    ],
    // Same account: identity OR resource policy.
    [
      'a resource policy naming the caller allows alone',
      { action: 'lambda:InvokeFunction', resource: FUNCTION },
      {
        resource: doc(
          allow('lambda:InvokeFunction', FUNCTION, {
            Principal: { AWS: user.kind === 'user' ? user.arn : '' },
          }),
        ),
      },
      'Allow',
    ],
    [
      'a resource policy naming a role covers its sessions',
      { action: 'lambda:InvokeFunction', resource: FUNCTION, caller: session },
      { resource: doc(allow('lambda:InvokeFunction', FUNCTION, { Principal: { AWS: ROLE } })) },
      'Allow',
    ],
    [
      'a resource policy naming only the account delegates to IAM',
      { action: 'lambda:InvokeFunction', resource: FUNCTION },
      { resource: doc(allow('lambda:InvokeFunction', FUNCTION, { Principal: { AWS: ACCOUNT } })) },
      'ImplicitDeny(identity)',
    ],
    [
      'a deny in the resource policy beats the identity allow',
      { action: 'lambda:InvokeFunction', resource: FUNCTION },
      { identity: [doc(allow('lambda:*'))], resource: doc(deny('lambda:*', '*', { Principal: '*' })) },
      'ExplicitDeny(resource)',
    ],
    // Cross account: both sides.
    [
      'cross-account: identity alone is not enough',
      { ...get, caller: outsider },
      { identity: [doc(allow('dsql:*'))] },
      'ImplicitDeny(resource)',
    ],
    [
      'cross-account: resource alone is not enough',
      { ...get, caller: outsider },
      { resource: doc(allow('dsql:*', '*', { Principal: { AWS: OTHER } })) },
      'ImplicitDeny(identity)',
    ],
    [
      'cross-account: both allow',
      { ...get, caller: outsider },
      {
        identity: [doc(allow('dsql:*'))],
        resource: doc(allow('dsql:*', '*', { Principal: { AWS: `arn:aws:iam::${OTHER}:root` } })),
      },
      'Allow',
    ],
    // Service principals.
    [
      'a service allowed by the function policy with its SourceArn',
      {
        action: 'lambda:InvokeFunction',
        resource: FUNCTION,
        caller: events,
        context: { 'aws:SourceArn': `arn:aws:events:us-east-1:${ACCOUNT}:rule/shop/fwd` },
      },
      {
        resource: doc(
          allow('lambda:InvokeFunction', FUNCTION, {
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnLike: { 'AWS:SourceArn': `arn:aws:events:us-east-1:${ACCOUNT}:rule/shop/*` } },
          }),
        ),
      },
      'Allow',
    ],
    [
      'a service from another rule',
      {
        action: 'lambda:InvokeFunction',
        resource: FUNCTION,
        caller: events,
        context: { 'aws:SourceArn': `arn:aws:events:us-east-1:${ACCOUNT}:rule/other/fwd` },
      },
      {
        resource: doc(
          allow('lambda:InvokeFunction', FUNCTION, {
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:events:us-east-1:${ACCOUNT}:rule/shop/*` } },
          }),
        ),
      },
      'ImplicitDeny(resource)',
    ],
    [
      'a service is not allowed by identity policies',
      { action: 'lambda:InvokeFunction', resource: FUNCTION, caller: events },
      { identity: [doc(allow('*'))] },
      'ImplicitDeny(resource)',
    ],
    [
      'another service principal',
      {
        action: 'lambda:InvokeFunction',
        resource: FUNCTION,
        caller: { kind: 'service', service: 'fis.amazonaws.com' },
      },
      {
        resource: doc(
          allow('lambda:InvokeFunction', FUNCTION, { Principal: { Service: ['events.amazonaws.com'] } }),
        ),
      },
      'ImplicitDeny(resource)',
    ],
    [
      'NotPrincipal',
      { action: 'lambda:InvokeFunction', resource: FUNCTION },
      { identity: [doc(allow('*'))], resource: doc(deny('*', '*', { NotPrincipal: { AWS: ROLE } })) },
      'ExplicitDeny(resource)',
    ],
  ];
  for (const row of rows) {
    it(row[0], () => assert.equal(outcome(row), row[3]));
  }
});

describe('condition operators', () => {
  const pass = (Condition: PolicyStatement['Condition'], context: AuthorizationRequest['context']) =>
    outcome([
      '',
      { action: 'iam:PassRole', resource: ROLE, context },
      { identity: [doc(allow('iam:PassRole', ROLE, { Condition }))] },
      '',
    ]) === 'Allow';
  const rows: [string, PolicyStatement['Condition'], AuthorizationRequest['context'], boolean][] = [
    [
      'StringEquals matches',
      { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
      { 'iam:PassedToService': 'lambda.amazonaws.com' },
      true,
    ],
    [
      'StringEquals is case-sensitive in values',
      { StringEquals: { 'iam:PassedToService': 'Lambda.amazonaws.com' } },
      { 'iam:PassedToService': 'lambda.amazonaws.com' },
      false,
    ],
    [
      'keys are case-insensitive',
      { StringEquals: { 'IAM:passedtoservice': 'lambda.amazonaws.com' } },
      { 'iam:PassedToService': 'lambda.amazonaws.com' },
      true,
    ],
    [
      'any listed value',
      { StringEquals: { 'aws:RequestedRegion': ['us-east-1', 'us-west-2'] } },
      { 'aws:RequestedRegion': 'us-west-2' },
      true,
    ],
    [
      'every key must hold',
      { StringEquals: { 'aws:RequestedRegion': 'us-east-1', 'dsql:WitnessRegion': 'us-east-2' } },
      { 'aws:RequestedRegion': 'us-east-1', 'dsql:WitnessRegion': 'eu-west-1' },
      false,
    ],
    [
      'every operator must hold',
      { StringEquals: { 'aws:RequestedRegion': 'us-east-1' }, StringLike: { 'dsql:WitnessRegion': 'us-*' } },
      { 'aws:RequestedRegion': 'us-east-1', 'dsql:WitnessRegion': 'us-east-2' },
      true,
    ],
    [
      'a missing key fails a positive operator',
      { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      {},
      false,
    ],
    [
      'a missing key passes a negated operator',
      { StringNotEquals: { 'aws:SourceAccount': OTHER } },
      {},
      true,
    ],
    ['a missing key passes IfExists', { StringEqualsIfExists: { 'aws:SourceAccount': ACCOUNT } }, {}, true],
    [
      'IfExists checks a present key',
      { StringEqualsIfExists: { 'aws:SourceAccount': ACCOUNT } },
      { 'aws:SourceAccount': OTHER },
      false,
    ],
    [
      'StringNotEquals with a matching value',
      { StringNotEquals: { 'aws:SourceAccount': ACCOUNT } },
      { 'aws:SourceAccount': ACCOUNT },
      false,
    ],
    [
      'StringLike wildcards',
      { StringLike: { 'aws:SourceArn': 'arn:aws:events:*:000000000000:rule/shop-*' } },
      { 'aws:SourceArn': 'arn:aws:events:us-east-1:000000000000:rule/shop-bus/x' },
      true,
    ],
    [
      'StringNotLike',
      { StringNotLike: { 'aws:SourceArn': '*:rule/shop*' } },
      { 'aws:SourceArn': 'arn:aws:events:us-east-1:000000000000:rule/shop' },
      false,
    ],
    [
      'ArnEquals exact',
      { ArnEquals: { 'aws:SourceArn': `arn:aws:events:us-east-1:${ACCOUNT}:rule/shop/fwd` } },
      { 'aws:SourceArn': `arn:aws:events:us-east-1:${ACCOUNT}:rule/shop/fwd` },
      true,
    ],
    [
      'ArnLike per segment',
      { ArnLike: { 'aws:SourceArn': 'arn:aws:events:*:*:rule/*' } },
      { 'aws:SourceArn': `arn:aws:events:us-east-1:${ACCOUNT}:rule/shop/fwd` },
      true,
    ],
    [
      'ArnLike does not cross a segment',
      { ArnLike: { 'aws:SourceArn': 'arn:aws:events:*:rule/*' } },
      { 'aws:SourceArn': `arn:aws:events:us-east-1:${ACCOUNT}:rule/shop/fwd` },
      false,
    ],
    [
      'ArnNotLike',
      { ArnNotLike: { 'aws:SourceArn': 'arn:aws:events:*:*:rule/*' } },
      { 'aws:SourceArn': `arn:aws:events:us-east-1:${ACCOUNT}:rule/x` },
      false,
    ],
    ['Null true: key missing', { Null: { 'dsql:WitnessRegion': 'true' } }, {}, true],
    [
      'Null false: key present',
      { Null: { 'dsql:WitnessRegion': 'false' } },
      { 'dsql:WitnessRegion': 'us-east-2' },
      true,
    ],
    ['Bool', { Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': 'false' }, false],
  ];
  for (const [label, condition, context, expected] of rows) {
    it(label, () => assert.equal(pass(condition, context), expected));
  }

  it('an unknown operator is refused when the document is compiled', () => {
    assert.throws(
      () => compilePolicy(doc(allow('*', '*', { Condition: { DateLessThan: { 'aws:CurrentTime': 'x' } } }))),
      PolicyDocumentError,
    );
    assert.throws(() => compilePolicy('{not json'), PolicyDocumentError);
  });

  it('compiles a document once, by its text and by its object', () => {
    const text = JSON.stringify(doc(allow('dsql:GetCluster', CLUSTER)));
    assert.equal(compilePolicy(text), compilePolicy(text));
    const object = doc(allow('dsql:GetCluster', CLUSTER));
    assert.equal(compilePolicy(object), compilePolicy(object));
  });
});
