// Fault injection and the request log, through the real SDK clients: latency profiles applied to state
// transitions and responses, throttling the SDK retries, failing the Nth call of an operation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateClusterCommand, GetClusterCommand, ServiceQuotaExceededException } from '@aws-sdk/client-dsql';
import { CreateRoleCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  dsql,
  iam,
  removeHome,
  startPrivateCloud,
  sts,
  waitForStatus,
} from '../../scripts/lib/local-cloud.js';
import type { TestLocalCloud } from '../../src/lib/local-cloud/testing.js';

describe('local cloud: faults and request log', () => {
  let cloud: TestLocalCloud;
  before(async () => {
    cloud = (
      await startPrivateCloud({
        timeScale: 0.01,
        durations: { 'dsql:CreateCluster': 60 },
        delays: { 'sts:GetCallerIdentity': 20 },
        throttle: { rate: 0.5, operations: ['dsql:GetCluster', 'iam:GetRole'] },
        failures: [
          { operation: 'dsql:CreateCluster', nth: 2, code: 'ServiceQuotaExceededException', status: 402 },
        ],
      })
    ).cloud;
  });
  after(async () => {
    await cloud.stop();
    removeHome(cloud.home);
  });

  it('fails exactly the Nth call of the chosen operation with the chosen error', async () => {
    const client = dsql(cloud);
    const first = await client.send(new CreateClusterCommand({ deletionProtectionEnabled: false }));
    await assert.rejects(client.send(new CreateClusterCommand({})), ServiceQuotaExceededException);
    const third = await client.send(new CreateClusterCommand({ deletionProtectionEnabled: false }));
    assert.notEqual(first.identifier, third.identifier);
    const creates = cloud.requests().filter((e) => e.operation === 'CreateCluster');
    assert.deepEqual(
      creates.map((e) => [e.status, e.error]),
      [
        [200, undefined],
        [402, 'ServiceQuotaExceededException'],
        [200, undefined],
      ],
    );
  });

  it('scales a 60 s cluster creation to 0.6 s: CREATING first, ACTIVE after the scaled duration', async () => {
    const client = dsql(cloud);
    const started = Date.now();
    const created = await client.send(new CreateClusterCommand({ deletionProtectionEnabled: false }));
    assert.equal(created.status, 'CREATING');
    await waitForStatus(client, created.identifier ?? '', 'ACTIVE');
    assert.ok(Date.now() - started >= 550, `ACTIVE after ${Date.now() - started} ms, expected ≈ 600`);
  });

  it('throttles a share of calls; the SDK retries them (restJson1 and awsQuery alike)', async () => {
    const client = dsql(cloud);
    const created = await client.send(new CreateClusterCommand({ deletionProtectionEnabled: false }));
    const before = cloud.requests().length;
    for (let i = 0; i < 4; i++) await client.send(new GetClusterCommand({ identifier: created.identifier }));
    const gets = cloud
      .requests()
      .slice(before)
      .filter((e) => e.operation === 'GetCluster');
    assert.ok(gets.filter((e) => e.error === 'ThrottlingException' && e.status === 429).length >= 3);
    assert.equal(gets.filter((e) => e.status === 200).length, 4);

    await iam(cloud).send(
      new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: '{"Statement":[]}' }),
    );
    for (let i = 0; i < 2; i++) {
      assert.equal((await iam(cloud).send(new GetRoleCommand({ RoleName: 'r' }))).Role?.RoleName, 'r');
    }
    const roleGets = cloud.requests().filter((e) => e.operation === 'GetRole');
    assert.ok(roleGets.some((e) => e.error === 'Throttling' && e.status === 400));
    assert.equal(roleGets.filter((e) => e.status === 200).length, 2);
  });

  it('delays answers by the scaled per-operation delay', async () => {
    const started = Date.now();
    await sts(cloud).send(new GetCallerIdentityCommand({}));
    assert.ok(Date.now() - started >= 190, `answered after ${Date.now() - started} ms, expected ≥ 200`);
  });

  it('logs service, region, operation, status and error of every call', async () => {
    await sts(cloud, 'ap-south-1').send(new GetCallerIdentityCommand({}));
    const last = cloud.requests().at(-1);
    assert.equal(last?.service, 'sts');
    assert.equal(last?.region, 'ap-south-1');
    assert.equal(last?.operation, 'GetCallerIdentity');
    assert.equal(last?.status, 200);
    assert.ok(!Number.isNaN(Date.parse(last?.time ?? '')));
  });

  it('answers a service it does not serve with an error naming it', async () => {
    const response = await fetch(cloud.endpoint, {
      method: 'POST',
      headers: {
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request, Signature=x',
      },
    });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('x-amzn-errortype'), 'UnknownServiceException');
    assert.match(((await response.json()) as { message: string }).message, /"kinesis"/);
  });
});
