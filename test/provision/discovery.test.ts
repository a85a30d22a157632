/**
 * Discovery that cannot be lost: the local cloud's Resource Groups Tagging API, and `down`/`status`
 * finding a stack by its ownership tag — after a failed `down` (the reproduction: DeleteEventBus
 * refused), and when the function role that carries the topology is already gone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateEventBusCommand, DeleteEventBusCommand } from '@aws-sdk/client-eventbridge';
import { DeleteRoleCommand, DeleteRolePolicyCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import {
  GetResourcesCommand,
  type GetResourcesCommandInput,
  ResourceGroupsTaggingAPIClient,
} from '@aws-sdk/client-resource-groups-tagging-api';
import {
  clientConfig,
  events,
  FAST,
  iam,
  type PrivateCloud,
  startPrivateCloud,
} from '../../scripts/lib/local-cloud.js';
import type { FailureReport } from '../../src/lib/errors.js';
import { resourceTypeOf } from '../../src/lib/provision/discover.js';
import type { DownResult, StatusResult } from '../../src/lib/provision/index.js';
import { STACK_TAG } from '../../src/lib/stack.js';
import { runCli } from '../support/cli.js';
import { inventory, nothingLeft } from './inspect.js';

const REGIONS = ['us-east-1', 'us-west-2'];
let cloud: PrivateCloud;

before(async () => {
  cloud = await startPrivateCloud({
    ...FAST,
    // The reproduction: the first down's two DeleteEventBus calls are refused (the first
    // call of all is the orphan test's own clean-up).
    failures: [
      {
        operation: 'events:DeleteEventBus',
        nth: 2,
        times: 2,
        code: 'AccessDeniedException',
        status: 400,
        message: 'User is not authorized to perform: events:DeleteEventBus',
      },
    ],
  });
});
after(() => cloud.stop());

/** A --json run: the envelope, and its `result` as `body`. */
async function cli<T>(args: string[]) {
  const result = await runCli([...args, '--json'], cloud.env);
  const envelope = JSON.parse(result.stdout) as { result: T; error?: FailureReport };
  return { ...result, envelope, body: envelope.result };
}

/** Every ARN GetResources lists for the stack in `region`, page by page. */
async function taggedArns(region: string, stack: string, more: Partial<GetResourcesCommandInput> = {}) {
  const client = new ResourceGroupsTaggingAPIClient(clientConfig(cloud.cloud, region));
  const arns: string[] = [];
  let pages = 0;
  let token: string | undefined;
  try {
    do {
      const page = await client.send(
        new GetResourcesCommand({
          TagFilters: [{ Key: STACK_TAG, Values: [stack] }],
          ...more,
          ...(token ? { PaginationToken: token } : {}),
        }),
      );
      pages++;
      arns.push(...(page.ResourceTagMappingList ?? []).map((r) => r.ResourceARN as string));
      token = page.PaginationToken || undefined;
    } while (token);
  } finally {
    client.destroy();
  }
  return { arns, pages };
}

describe('the tagging API and discovery by tag', () => {
  it('GetResources lists every tagged kind, filters by type and tag, and paginates', async () => {
    const up = await runCli(['up', '--stack', 'orph'], cloud.env);
    assert.equal(up.status, 0, up.stderr);
    const all = await taggedArns('us-east-1', 'orph');
    assert.deepEqual(all.arns.map(resourceTypeOf).sort(), [
      'dsql:cluster',
      'events:event-bus',
      'events:rule',
      'events:rule',
      'events:rule',
      'lambda:function',
      'logs:log-group',
    ]);
    const paged = await taggedArns('us-east-1', 'orph', { ResourcesPerPage: 2 });
    assert.deepEqual(paged.arns, all.arns);
    assert.equal(paged.pages, 4);
    assert.equal(
      (await taggedArns('us-east-1', 'orph', { ResourceTypeFilters: ['events:rule'] })).arns.length,
      3,
    );
    assert.equal((await taggedArns('us-east-1', 'orph', { ResourceTypeFilters: ['events'] })).arns.length, 4);
    assert.deepEqual((await taggedArns('us-east-1', 'someone-else')).arns, []);
    await assert.rejects(taggedArns('us-east-1', 'orph', { ResourcesPerPage: 101 }), {
      name: 'InvalidParameterException',
    });
  });

  it('status reports a tagged resource outside the desired set as orphaned, with its remover', async () => {
    const client = events(cloud.cloud, 'us-west-2');
    await client.send(
      new CreateEventBusCommand({ Name: 'orph-extra', Tags: [{ Key: STACK_TAG, Value: 'orph' }] }),
    );
    const status = await cli<StatusResult>(['status', '--stack', 'orph']);
    assert.equal(status.status, 0, status.stderr);
    assert.equal(status.body.inSync, false);
    assert.deepEqual(
      status.body.orphaned.map((o) => [o.type, o.region, o.command]),
      [['events:event-bus', 'us-west-2', 'aws events delete-event-bus --name orph-extra --region us-west-2']],
    );
    await client.send(new DeleteEventBusCommand({ Name: 'orph-extra' }));
    client.destroy();
  });

  it('the reproduction: down refused on both buses exits 3 with true advice; the second down leaves nothing', async () => {
    const first = await cli<DownResult>(['down', '--stack', 'orph', '--yes']);
    assert.equal(first.status, 3, first.stdout);
    assert.equal(first.body.error?.exitCode, 3);
    // The failure that is the result is also the envelope's error (one report, not two).
    assert.deepEqual(first.envelope.error, first.body.error);
    assert.match(
      first.body.error?.message ?? '',
      /event-bus orph in us-east-1: DeleteEventBus in us-east-1 was refused: AccessDeniedException/,
    );
    assert.match(first.body.error?.message ?? '', /event-bus orph in us-west-2/);
    assert.doesNotMatch(first.body.error?.advice ?? '', /Nothing is lost/);
    assert.match(
      first.body.error?.advice ?? '',
      /may not call DeleteEventBus in us-(east-1|west-2): grant it/,
    );
    // Failure is a result: every step is listed with its outcome; the function role waits for the buses.
    const outcome = (id: string) => first.body.steps.find((s) => s.id === id)?.outcome;
    assert.equal(outcome('event-bus:us-east-1'), 'failed');
    assert.equal(outcome('lambda-function:us-east-1'), 'deleted');
    assert.equal(outcome('iam-role:fn'), 'skipped');

    const second = await cli<DownResult>(['down', '--stack', 'orph', '--yes']);
    assert.equal(second.status, 0, second.stdout);
    assert.deepEqual(await inventory(cloud.cloud, 'orph', REGIONS), nothingLeft(REGIONS));
    for (const region of REGIONS) assert.deepEqual((await taggedArns(region, 'orph')).arns, []);
  });

  it('a stack whose function role is gone: status lists its leftovers as orphaned, down finds and deletes them', async () => {
    const up = await runCli(['up', '--stack', 'lost', '--regions', 'eu-west-1'], cloud.env);
    assert.equal(up.status, 0, up.stderr);
    // The role that carries the topology disappears (an older dsqlctl's down, or a person).
    const client = iam(cloud.cloud);
    const { PolicyNames = [] } = await client.send(new ListRolePoliciesCommand({ RoleName: 'lost-fn' }));
    for (const PolicyName of PolicyNames) {
      await client.send(new DeleteRolePolicyCommand({ RoleName: 'lost-fn', PolicyName }));
    }
    await client.send(new DeleteRoleCommand({ RoleName: 'lost-fn' }));
    client.destroy();

    const status = await cli<StatusResult>(['status', '--stack', 'lost']);
    assert.equal(status.status, 0, status.stderr);
    assert.equal(status.body.exists, false);
    assert.deepEqual(status.body.orphaned.map((o) => `${o.type} ${o.region}`).sort(), [
      'dsql:cluster eu-west-1',
      'events:event-bus eu-west-1',
      'events:rule eu-west-1',
      'lambda:function eu-west-1',
      'logs:log-group eu-west-1',
    ]);
    for (const o of status.body.orphaned)
      assert.equal(o.command, 'dsqlctl down --stack lost --target local --yes');

    const down = await cli<DownResult>(['down', '--stack', 'lost', '--yes']);
    assert.equal(down.status, 0, down.stdout);
    assert.equal(down.body.existed, true);
    assert.deepEqual(await inventory(cloud.cloud, 'lost', ['eu-west-1']), nothingLeft(['eu-west-1']));
    const after = await cli<StatusResult>(['status', '--stack', 'lost']);
    assert.deepEqual([after.body.exists, after.body.orphaned], [false, []]);
  });
});
