// IAM and STS (awsQuery) through the real SDK clients over HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateRoleCommand,
  DeleteConflictException,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  GetRolePolicyCommand,
  type IAMClient,
  LimitExceededException,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { FAST, iam, removeHome, startPrivateCloud, sts } from '../../scripts/lib/local-cloud.js';
import type { TestLocalCloud } from '../../src/lib/local-cloud/testing.js';

const trust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const policy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'dsql:DbConnect', Resource: 'arn:aws:dsql:us-east-1:000000000000:cluster/x' },
  ],
});

describe('local cloud: STS and IAM', () => {
  let cloud: TestLocalCloud;
  let client: IAMClient;
  before(async () => {
    cloud = (await startPrivateCloud(FAST)).cloud;
    client = iam(cloud);
  });
  after(async () => {
    await cloud.stop();
    removeHome(cloud.home);
  });

  it('GetCallerIdentity answers the local account in any region', async () => {
    const identity = await sts(cloud, 'eu-west-1').send(new GetCallerIdentityCommand({}));
    assert.equal(identity.Account, '000000000000');
    assert.equal(identity.Arn, 'arn:aws:iam::000000000000:root');
    const logged = cloud.requests().find((e) => e.operation === 'GetCallerIdentity');
    assert.deepEqual([logged?.service, logged?.region, logged?.status], ['sts', 'eu-west-1', 200]);
  });

  it('creates, reads and deletes a role; documents come back URL-encoded', async () => {
    const created = await client.send(
      new CreateRoleCommand({
        RoleName: 'shop-fn',
        AssumeRolePolicyDocument: trust,
        Tags: [{ Key: 'dsqlctl:stack', Value: 'shop' }],
      }),
    );
    assert.equal(created.Role?.Arn, 'arn:aws:iam::000000000000:role/shop-fn');
    assert.match(created.Role?.RoleId ?? '', /^AROA[A-Z2-7]{17}$/);
    assert.ok(created.Role?.CreateDate instanceof Date);

    const got = await client.send(new GetRoleCommand({ RoleName: 'shop-fn' }));
    assert.equal(got.Role?.AssumeRolePolicyDocument, encodeURIComponent(trust));
    assert.deepEqual(
      JSON.parse(decodeURIComponent(got.Role?.AssumeRolePolicyDocument ?? '')),
      JSON.parse(trust),
    );
    assert.deepEqual(got.Role?.Tags, [{ Key: 'dsqlctl:stack', Value: 'shop' }]);

    await assert.rejects(
      client.send(new CreateRoleCommand({ RoleName: 'shop-fn', AssumeRolePolicyDocument: trust })),
      (error: Error) => error instanceof EntityAlreadyExistsException && /already exists/.test(error.message),
    );
    await assert.rejects(
      client.send(new CreateRoleCommand({ RoleName: 'SHOP-FN', AssumeRolePolicyDocument: trust })),
      EntityAlreadyExistsException,
      'role names are unique regardless of case',
    );

    const newTrust = trust.replace('lambda', 'events');
    await client.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'shop-fn', PolicyDocument: newTrust }));
    const updated = await client.send(new GetRoleCommand({ RoleName: 'shop-fn' }));
    assert.equal(decodeURIComponent(updated.Role?.AssumeRolePolicyDocument ?? ''), newTrust);

    await client.send(new DeleteRoleCommand({ RoleName: 'shop-fn' }));
    await assert.rejects(client.send(new GetRoleCommand({ RoleName: 'shop-fn' })), NoSuchEntityException);
    await assert.rejects(client.send(new DeleteRoleCommand({ RoleName: 'shop-fn' })), NoSuchEntityException);
  });

  it('validates names and policy documents as IAM does', async () => {
    await assert.rejects(
      client.send(new CreateRoleCommand({ RoleName: 'x'.repeat(65), AssumeRolePolicyDocument: trust })),
      (error: Error) =>
        error.name === 'ValidationError' && /length less than or equal to 64/.test(error.message),
    );
    await assert.rejects(
      client.send(new CreateRoleCommand({ RoleName: 'bad name!', AssumeRolePolicyDocument: trust })),
      (error: Error) => error.name === 'ValidationError',
    );
    await assert.rejects(
      client.send(new CreateRoleCommand({ RoleName: 'ok', AssumeRolePolicyDocument: '{not json' })),
      (error: Error) =>
        error instanceof MalformedPolicyDocumentException && /invalid Json/.test(error.message),
    );
  });

  it('checks policy grammar, tag patterns and policy sizes as IAM does', async () => {
    const doc = (statement: Record<string, unknown>) =>
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...statement }] });
    const refusedTrust = async (document: string, message: RegExp) =>
      assert.rejects(
        client.send(new CreateRoleCommand({ RoleName: 'grammar', AssumeRolePolicyDocument: document })),
        (error: Error) => error instanceof MalformedPolicyDocumentException && message.test(error.message),
      );
    await refusedTrust(doc({ Action: 'sts:AssumeRole' }), /Missing required field Principal/);
    await refusedTrust(
      doc({ Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole', Resource: '*' }),
      /prohibited field Resource/,
    );
    await refusedTrust(
      doc({ Principal: { Service: 'lambda.amazonaws.com' }, Action: 'AssumeRole' }),
      /prefaced by a vendor/,
    );
    await client.send(new CreateRoleCommand({ RoleName: 'grammar', AssumeRolePolicyDocument: trust }));
    const refusedInline = async (document: string, message: RegExp) =>
      assert.rejects(
        client.send(
          new PutRolePolicyCommand({ RoleName: 'grammar', PolicyName: 'p', PolicyDocument: document }),
        ),
        (error: Error) => error instanceof MalformedPolicyDocumentException && message.test(error.message),
      );
    await refusedInline(doc({ Action: 'events:PutEvents' }), /must contain resources/);
    await refusedInline(doc({ Action: 'events:PutEvents', Resource: 'my-bus' }), /ARN format/);
    await refusedInline(
      doc({ Action: 'events:PutEvents', Resource: '*', Principal: '*' }),
      /should not specify a principal/,
    );
    // Inline policies of a role total at most 10,240 characters (white space not counted).
    const big = doc({
      Action: 'events:PutEvents',
      Resource: Array.from(
        { length: 130 },
        (_, i) => `arn:aws:events:us-east-1:000000000000:event-bus/bus-${i}-${'x'.repeat(40)}`,
      ),
    });
    await assert.rejects(
      client.send(new PutRolePolicyCommand({ RoleName: 'grammar', PolicyName: 'big', PolicyDocument: big })),
      (error: Error) => error instanceof LimitExceededException && /Maximum policy size/.test(error.message),
    );
    // Tag values allow no comma.
    await assert.rejects(
      client.send(new TagRoleCommand({ RoleName: 'grammar', Tags: [{ Key: 'regions', Value: 'a,b' }] })),
      (error: Error) => error.name === 'ValidationError' && /regular expression pattern/.test(error.message),
    );
    await client.send(
      new TagRoleCommand({
        RoleName: 'grammar',
        Tags: [{ Key: 'dsqlctl:regions', Value: 'us-east-1 us-west-2' }],
      }),
    );
    await client.send(new DeleteRoleCommand({ RoleName: 'grammar' }));
  });

  it('tags and untags a role', async () => {
    await client.send(new CreateRoleCommand({ RoleName: 'tagged', AssumeRolePolicyDocument: trust }));
    await client.send(
      new TagRoleCommand({
        RoleName: 'tagged',
        Tags: [
          { Key: 'a', Value: '1' },
          { Key: 'b', Value: '2' },
        ],
      }),
    );
    await client.send(new TagRoleCommand({ RoleName: 'tagged', Tags: [{ Key: 'a', Value: '3' }] }));
    await client.send(new UntagRoleCommand({ RoleName: 'tagged', TagKeys: ['b'] }));
    const { Tags } = await client.send(new ListRoleTagsCommand({ RoleName: 'tagged' }));
    assert.deepEqual(Tags, [{ Key: 'a', Value: '3' }]);
    await assert.rejects(client.send(new ListRoleTagsCommand({ RoleName: 'nope' })), NoSuchEntityException);
    await client.send(new DeleteRoleCommand({ RoleName: 'tagged' }));
  });

  it('stores inline policies; a role with policies cannot be deleted', async () => {
    await client.send(new CreateRoleCommand({ RoleName: 'withpolicy', AssumeRolePolicyDocument: trust }));
    await client.send(
      new PutRolePolicyCommand({ RoleName: 'withpolicy', PolicyName: 'db', PolicyDocument: policy }),
    );
    const got = await client.send(new GetRolePolicyCommand({ RoleName: 'withpolicy', PolicyName: 'db' }));
    assert.equal(decodeURIComponent(got.PolicyDocument ?? ''), policy);
    assert.deepEqual(
      (await client.send(new ListRolePoliciesCommand({ RoleName: 'withpolicy' }))).PolicyNames,
      ['db'],
    );
    await assert.rejects(
      client.send(
        new PutRolePolicyCommand({ RoleName: 'withpolicy', PolicyName: 'bad', PolicyDocument: '[' }),
      ),
      MalformedPolicyDocumentException,
    );
    await assert.rejects(
      client.send(new DeleteRoleCommand({ RoleName: 'withpolicy' })),
      (error: Error) =>
        error instanceof DeleteConflictException && /must delete policies first/.test(error.message),
    );
    await client.send(new DeleteRolePolicyCommand({ RoleName: 'withpolicy', PolicyName: 'db' }));
    await assert.rejects(
      client.send(new GetRolePolicyCommand({ RoleName: 'withpolicy', PolicyName: 'db' })),
      NoSuchEntityException,
    );
    await assert.rejects(
      client.send(new DeleteRolePolicyCommand({ RoleName: 'withpolicy', PolicyName: 'db' })),
      NoSuchEntityException,
    );
    await client.send(new DeleteRoleCommand({ RoleName: 'withpolicy' }));
  });

  it('answers an operation it does not serve with InvalidAction naming it', async () => {
    const { ListOpenIDConnectProvidersCommand } = await import('@aws-sdk/client-iam');
    await assert.rejects(
      client.send(new ListOpenIDConnectProvidersCommand({})),
      (error: Error) =>
        error.name === 'InvalidAction' &&
        /operation ListOpenIDConnectProviders for version/.test(error.message),
    );
  });
});
