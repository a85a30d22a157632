// AWS FIS (restJson1) through the real SDK client: the one action served, what is refused and how,
// the experiment's states, and the role FIS must be able to assume and use (dsql:InjectError with its
// condition keys); a running experiment refuses connections to its cluster's endpoint, the peer's stays up.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateClusterCommand, type DSQLClient } from '@aws-sdk/client-dsql';
import {
  CreateExperimentTemplateCommand,
  type CreateExperimentTemplateCommandInput,
  DeleteExperimentTemplateCommand,
  FisClient,
  GetExperimentCommand,
  GetExperimentTemplateCommand,
  ListExperimentsCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  StartExperimentCommand,
  StopExperimentCommand,
  ValidationException,
} from '@aws-sdk/client-fis';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { dsql, iam, removeHome, startPrivateCloud, waitForStatus } from '../../scripts/lib/local-cloud.js';
import { connectAsAdmin } from '../../src/lib/dsql-connection.js';
import { fetchDatabaseSettings } from '../../src/lib/local-cloud/index.js';
import type { TestLocalCloud } from '../../src/lib/local-cloud/testing.js';

const REGION = 'us-east-1';

describe('local cloud: FIS', () => {
  let cloud: TestLocalCloud;
  let fis: FisClient;
  let east: DSQLClient;
  let clusterArn: string;
  let clusterId: string;
  const roleArn = (name: string) => `arn:aws:iam::000000000000:role/${name}`;

  async function role(name: string, policy?: object, service = 'fis.amazonaws.com') {
    await iam(cloud).send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    if (policy) {
      await iam(cloud).send(
        new PutRolePolicyCommand({
          RoleName: name,
          PolicyName: name,
          PolicyDocument: JSON.stringify(policy),
        }),
      );
    }
  }

  const injectOn = (clusters: string[]) => ({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'dsql:InjectError',
        Resource: '*',
        Condition: {
          'ForAllValues:ArnEquals': { 'dsql:FisTargetArns': clusters },
          Null: { 'dsql:FisTargetArns': 'false' },
        },
      },
    ],
  });

  const template = (role: string, over: Partial<CreateExperimentTemplateCommandInput> = {}) =>
    new CreateExperimentTemplateCommand({
      description: 'test',
      roleArn: roleArn(role),
      stopConditions: [{ source: 'none' }],
      targets: {
        Cluster: { resourceType: 'aws:dsql:cluster', resourceArns: [clusterArn], selectionMode: 'ALL' },
      },
      actions: {
        Fail: {
          actionId: 'aws:dsql:cluster-connection-failure',
          parameters: { duration: 'PT30S', percentage: '100' },
          targets: { Clusters: 'Cluster' },
        },
      },
      tags: { 'dsqlctl:stack': 'fis-test' },
      ...over,
    });

  before(async () => {
    cloud = (await startPrivateCloud({ timeScale: 0.002 })).cloud;
    fis = new FisClient({ region: REGION, endpoint: cloud.endpoint, credentials: cloud.credentials });
    east = dsql(cloud, REGION);
    const created = await east.send(new CreateClusterCommand({ deletionProtectionEnabled: false }));
    clusterArn = created.arn ?? '';
    clusterId = created.identifier ?? '';
    await waitForStatus(east, clusterId, 'ACTIVE');
    await role('fis-ok', injectOn([clusterArn]));
    await role('fis-other', injectOn(['arn:aws:dsql:us-east-1:000000000000:cluster/other']));
    await role('fis-untrusted', injectOn([clusterArn]), 'lambda.amazonaws.com');
  });
  after(async () => {
    fis?.destroy();
    await cloud.stop();
    removeHome(cloud.home);
  });

  it('refuses what it does not model with a ValidationException naming the limitation', async () => {
    const refusals: [Partial<CreateExperimentTemplateCommandInput>, RegExp][] = [
      [
        { actions: { A: { actionId: 'aws:ec2:stop-instances', targets: { Instances: 'Cluster' } } } },
        /does not model the action aws:ec2:stop-instances; it serves only aws:dsql:cluster-connection-failure/,
      ],
      [
        {
          targets: {
            Cluster: { resourceType: 'aws:dsql:cluster', resourceTags: { a: 'b' }, selectionMode: 'ALL' },
          },
        },
        /does not model target selection by resourceTags/,
      ],
      [
        { stopConditions: [{ source: 'aws:cloudwatch:alarm', value: 'arn:x' }] },
        /stop condition source aws:cloudwatch:alarm/,
      ],
      [
        {
          actions: {
            Fail: {
              actionId: 'aws:dsql:cluster-connection-failure',
              parameters: { duration: '30s' },
              targets: { Clusters: 'Cluster' },
            },
          },
        },
        /duration must be an ISO-8601 duration such as PT1M/,
      ],
      [
        {
          actions: {
            Fail: {
              actionId: 'aws:dsql:cluster-connection-failure',
              parameters: { duration: 'PT1M', percentage: '0' },
              targets: { Clusters: 'Cluster' },
            },
          },
        },
        /percentage must be an integer from 1 to 100/,
      ],
    ];
    for (const [over, message] of refusals) {
      await assert.rejects(fis.send(template('fis-ok', over)), (error: Error) => {
        assert.ok(error instanceof ValidationException, error.name);
        assert.match(error.message, message);
        return true;
      });
    }
    await assert.rejects(fis.send(new GetExperimentCommand({ id: 'EXPnope' })), ResourceNotFoundException);
  });

  it('a running experiment refuses connections to its cluster until it is stopped: initiating, running, stopping, stopped', async () => {
    const { experimentTemplate } = await fis.send(template('fis-ok'));
    assert.match(experimentTemplate?.id ?? '', /^EXT[A-Za-z0-9]+$/);
    const got = await fis.send(new GetExperimentTemplateCommand({ id: experimentTemplate?.id }));
    assert.equal(got.experimentTemplate?.actions?.Fail?.parameters?.duration, 'PT30S');
    const { experiment } = await fis.send(
      new StartExperimentCommand({ experimentTemplateId: experimentTemplate?.id, tags: { run: '1' } }),
    );
    assert.equal(experiment?.state?.status, 'initiating');
    const id = experiment?.id ?? '';
    let status = '';
    for (let i = 0; i < 100 && status !== 'running'; i++) {
      status = (await fis.send(new GetExperimentCommand({ id }))).experiment?.state?.status ?? '';
      if (status !== 'running') await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, 'running');
    const settings = await fetchDatabaseSettings(cloud, REGION, clusterId);
    await assert.rejects(
      connectAsAdmin(settings, cloud.credentials),
      /connection failure .* injected by an AWS FIS experiment/,
    );
    const listed = await fis.send(new ListExperimentsCommand({}));
    assert.deepEqual(listed.experiments?.find((e) => e.id === id)?.tags, { run: '1' });
    const tags = await fis.send(
      new ListTagsForResourceCommand({ resourceArn: `arn:aws:fis:${REGION}:000000000000:experiment/${id}` }),
    );
    assert.deepEqual(tags.tags, { run: '1' });

    const stopped = await fis.send(new StopExperimentCommand({ id }));
    assert.equal(stopped.experiment?.state?.status, 'stopping');
    const client = await connectAsAdmin(settings, cloud.credentials);
    await client.end();
    for (let i = 0; i < 100 && status !== 'stopped'; i++) {
      status = (await fis.send(new GetExperimentCommand({ id }))).experiment?.state?.status ?? '';
      if (status !== 'stopped') await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, 'stopped');
    await fis.send(new DeleteExperimentTemplateCommand({ id: experimentTemplate?.id }));
    await assert.rejects(
      fis.send(new GetExperimentTemplateCommand({ id: experimentTemplate?.id })),
      ResourceNotFoundException,
    );
  });

  it('fails the experiment, impairing nothing, when FIS cannot assume the role or it may not inject into the cluster', async () => {
    for (const [name, reason] of [
      ['fis-untrusted', /Unable to assume the experiment role/],
      ['fis-other', /not authorized to perform: dsql:InjectError/],
    ] as const) {
      const { experimentTemplate } = await fis.send(template(name));
      const { experiment } = await fis.send(
        new StartExperimentCommand({ experimentTemplateId: experimentTemplate?.id }),
      );
      assert.equal(experiment?.state?.status, 'failed', name);
      assert.match(experiment?.state?.reason ?? '', reason);
    }
    const client = await connectAsAdmin(
      await fetchDatabaseSettings(cloud, REGION, clusterId),
      cloud.credentials,
    );
    await client.end();
  });
});
