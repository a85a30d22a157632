// EventBridge (awsJson1_1) through the real SDK client over HTTP: buses, rules, targets, tags and
// PutEvents with their modelled errors, and asynchronous delivery — to a function only with its
// resource-policy permission, to a bus in another region only with a target role, and no second hop.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  type EventBridgeClient,
  InvalidEventPatternException,
  LimitExceededException,
  ListEventBusesCommand,
  ListRulesCommand,
  ListTagsForResourceCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  TagResourceCommand,
  type Target,
  ThrottlingException,
  UntagResourceCommand,
} from '@aws-sdk/client-eventbridge';
import { type IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AddPermissionCommand, type LambdaClient, RemovePermissionCommand } from '@aws-sdk/client-lambda';
import {
  events,
  functionOutputDir,
  iam,
  lambda,
  removeHome,
  startPrivateCloud,
} from '../../scripts/lib/local-cloud.js';

/** Where the sink functions append what they receive. */
const sinks = functionOutputDir();

import { createFunction, createRole, eventually } from '../../scripts/lib/local-lambda.js';
import type { RequestLogEntry } from '../../src/lib/local-cloud/index.js';
import type { TestLocalCloud } from '../../src/lib/local-cloud/testing.js';

const EAST = 'us-east-1';
const WEST = 'us-east-2';
const ACCOUNT = '000000000000';
const busArn = (region: string, name: string) => `arn:aws:events:${region}:${ACCOUNT}:event-bus/${name}`;

// A function that appends every event it receives to $OUT, one JSON line each (slowly: delivery must
// not hold up PutEvents' answer).
const SINK = `import { appendFileSync } from 'node:fs';
export const handler = async (event) => {
  await new Promise((r) => setTimeout(r, Number(process.env.DELAY_MS ?? 0)));
  appendFileSync(process.env.OUT, JSON.stringify(event) + '\\n');
  return { ok: true };
};`;

function received(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/** A rule on the `app` bus matching `pattern`, delivering to one target; its ARN. */
async function route(client: EventBridgeClient, rule: string, pattern: string, target: Target) {
  const { RuleArn } = await client.send(
    new PutRuleCommand({ Name: rule, EventBusName: 'app', EventPattern: pattern }),
  );
  await client.send(new PutTargetsCommand({ Rule: rule, EventBusName: 'app', Targets: [target] }));
  return RuleArn;
}

describe('local cloud: EventBridge', () => {
  let cloud: TestLocalCloud;
  let east: EventBridgeClient;
  let west: EventBridgeClient;
  let lambdaEast: LambdaClient;
  let lambdaWest: LambdaClient;
  let iamClient: IAMClient;
  let fnRole: string;
  before(async () => {
    cloud = (
      await startPrivateCloud({
        timeScale: 0.002,
        failures: [
          { operation: 'events:UntagResource', nth: 1, times: 3, code: 'ThrottlingException', status: 400 },
        ],
      })
    ).cloud;
    east = events(cloud, EAST);
    west = events(cloud, WEST);
    lambdaEast = lambda(cloud, EAST);
    lambdaWest = lambda(cloud, WEST);
    iamClient = iam(cloud);
    fnRole = await createRole(iamClient, 'sink-role');
  });
  after(async () => {
    await cloud.stop();
    removeHome(cloud.home);
  });

  const deliveries = (target: string): RequestLogEntry[] =>
    cloud
      .requests()
      .filter((e) => e.service === 'events' && e.operation === 'Deliver' && e.target === target);

  it('creates, describes, lists and deletes buses; every region has the default bus', async () => {
    const created = await east.send(new CreateEventBusCommand({ Name: 'shop', Description: 'orders' }));
    assert.equal(created.EventBusArn, busArn(EAST, 'shop'));
    await assert.rejects(
      east.send(new CreateEventBusCommand({ Name: 'shop' })),
      ResourceAlreadyExistsException,
    );
    await assert.rejects(
      east.send(new CreateEventBusCommand({ Name: 'default' })),
      ResourceAlreadyExistsException,
    );
    const described = await east.send(new DescribeEventBusCommand({ Name: busArn(EAST, 'shop') }));
    assert.equal(described.Name, 'shop');
    assert.equal(described.Description, 'orders');
    assert.ok(described.CreationTime instanceof Date);
    assert.equal((await west.send(new DescribeEventBusCommand({}))).Arn, busArn(WEST, 'default'));
    await assert.rejects(west.send(new DescribeEventBusCommand({ Name: 'shop' })), ResourceNotFoundException);
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await east.send(new ListEventBusesCommand({ Limit: 1, NextToken: token }));
      names.push(...(page.EventBuses ?? []).map((b) => b.Name ?? ''));
      token = page.NextToken;
    } while (token);
    assert.deepEqual(names, ['default', 'shop']);
    // A bus that still has rules is not deleted (nor are its rules): ValidationException, as AWS.
    await east.send(
      new PutRuleCommand({ Name: 'kept', EventBusName: 'shop', EventPattern: '{"source":["a"]}' }),
    );
    await assert.rejects(
      east.send(new DeleteEventBusCommand({ Name: 'shop' })),
      (e) => (e as Error).name === 'ValidationException' && /since it has rules/.test((e as Error).message),
    );
    assert.equal(
      (await east.send(new DescribeRuleCommand({ Name: 'kept', EventBusName: 'shop' }))).Name,
      'kept',
    );
    await east.send(new DeleteRuleCommand({ Name: 'kept', EventBusName: 'shop' }));
    await east.send(new DeleteEventBusCommand({ Name: 'shop' }));
    await assert.rejects(east.send(new DescribeEventBusCommand({ Name: 'shop' })), ResourceNotFoundException);
    await assert.rejects(
      east.send(new DeleteEventBusCommand({ Name: 'default' })),
      (e) => (e as Error).name === 'ValidationException',
    );
  });

  it('PutRule creates or replaces; rules are described, listed, validated and deleted', async () => {
    await east.send(new CreateEventBusCommand({ Name: 'rules' }));
    const pattern = JSON.stringify({ source: ['a'] });
    const put = await east.send(
      new PutRuleCommand({
        Name: 'r1',
        EventBusName: 'rules',
        EventPattern: pattern,
        Description: 'first',
        Tags: [{ Key: 'dsqlctl:stack', Value: 'shop' }],
      }),
    );
    assert.equal(put.RuleArn, `arn:aws:events:${EAST}:${ACCOUNT}:rule/rules/r1`);
    const onDefault = await east.send(new PutRuleCommand({ Name: 'r0', EventPattern: pattern }));
    assert.equal(onDefault.RuleArn, `arn:aws:events:${EAST}:${ACCOUNT}:rule/r0`);
    const replaced = JSON.stringify({ source: ['b'], detail: { k: [{ prefix: 'x' }] } });
    await east.send(
      new PutRuleCommand({ Name: 'r1', EventBusName: 'rules', EventPattern: replaced, State: 'DISABLED' }),
    );
    const described = await east.send(
      new DescribeRuleCommand({ Name: 'r1', EventBusName: busArn(EAST, 'rules') }),
    );
    assert.equal(described.EventPattern, replaced);
    assert.equal(described.State, 'DISABLED');
    assert.equal(described.Description, undefined, 'omitted fields become empty');
    assert.equal(described.EventBusName, 'rules');
    const tags = await east.send(new ListTagsForResourceCommand({ ResourceARN: put.RuleArn }));
    assert.deepEqual(tags.Tags, [{ Key: 'dsqlctl:stack', Value: 'shop' }], 'tags survive a replace');
    const listed = await east.send(new ListRulesCommand({ EventBusName: 'rules', NamePrefix: 'r' }));
    assert.deepEqual(
      listed.Rules?.map((r) => r.Name),
      ['r1'],
    );
    await assert.rejects(
      east.send(
        new PutRuleCommand({
          Name: 'bad',
          EventBusName: 'rules',
          EventPattern: '{"source":[{"suffix":"x"}]}',
        }),
      ),
      (e) => e instanceof InvalidEventPatternException && /Unsupported operator "suffix"/.test(e.message),
    );
    await assert.rejects(
      east.send(new PutRuleCommand({ Name: 'r', EventBusName: 'nope', EventPattern: pattern })),
      ResourceNotFoundException,
    );
    await assert.rejects(
      east.send(new DescribeRuleCommand({ Name: 'zz', EventBusName: 'rules' })),
      ResourceNotFoundException,
    );
    await east.send(new DeleteRuleCommand({ Name: 'r0' }));
    await assert.rejects(east.send(new DescribeRuleCommand({ Name: 'r0' })), ResourceNotFoundException);
    // Deleting a rule that does not exist succeeds, whatever its name.
    const gone = await east.send(new DeleteRuleCommand({ Name: 'toString', EventBusName: 'rules' }));
    assert.equal(gone.$metadata.httpStatusCode, 200);
  });

  it('PutTargets upserts by id, limits targets per rule, requires a role for another region; RemoveTargets', async () => {
    const fn = `arn:aws:lambda:${EAST}:${ACCOUNT}:function:`;
    await east.send(
      new PutTargetsCommand({ Rule: 'r1', EventBusName: 'rules', Targets: [{ Id: 't', Arn: `${fn}a` }] }),
    );
    const upsert = await east.send(
      new PutTargetsCommand({ Rule: 'r1', EventBusName: 'rules', Targets: [{ Id: 't', Arn: `${fn}b` }] }),
    );
    assert.equal(upsert.FailedEntryCount, 0);
    const listed = await east.send(new ListTargetsByRuleCommand({ Rule: 'r1', EventBusName: 'rules' }));
    assert.deepEqual(listed.Targets, [{ Id: 't', Arn: `${fn}b` }]);
    await assert.rejects(
      east.send(
        new PutTargetsCommand({
          Rule: 'r1',
          EventBusName: 'rules',
          Targets: ['1', '2', '3', '4', '5'].map((id) => ({ Id: id, Arn: `${fn}${id}` })),
        }),
      ),
      LimitExceededException,
    );
    await assert.rejects(
      east.send(
        new PutTargetsCommand({
          Rule: 'r1',
          EventBusName: 'rules',
          Targets: [{ Id: 'x', Arn: busArn(WEST, 'rules') }],
        }),
      ),
      (e) => (e as Error).name === 'ValidationException' && /RoleArn is required/.test((e as Error).message),
    );
    await assert.rejects(
      east.send(
        new PutTargetsCommand({ Rule: 'nope', EventBusName: 'rules', Targets: [{ Id: 'x', Arn: `${fn}a` }] }),
      ),
      ResourceNotFoundException,
    );
    await assert.rejects(
      east.send(new DeleteRuleCommand({ Name: 'r1', EventBusName: 'rules' })),
      (e) => (e as Error).name === 'ValidationException' && /has targets/.test((e as Error).message),
    );
    await east.send(new RemoveTargetsCommand({ Rule: 'r1', EventBusName: 'rules', Ids: ['t'] }));
    assert.deepEqual(
      (await east.send(new ListTargetsByRuleCommand({ Rule: 'r1', EventBusName: 'rules' }))).Targets,
      [],
    );
    await east.send(new DeleteRuleCommand({ Name: 'r1', EventBusName: 'rules' }));
  });

  it('tags and untags buses and rules by ARN; a throttled call throws ThrottlingException after the SDK retries', async () => {
    const arn = busArn(EAST, 'rules');
    await east.send(
      new TagResourceCommand({
        ResourceARN: arn,
        Tags: [
          { Key: 'a', Value: '1' },
          { Key: 'b', Value: '2' },
        ],
      }),
    );
    // The first three UntagResource calls are throttled: the SDK retries twice, then throws the class.
    await assert.rejects(
      east.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['a'] })),
      ThrottlingException,
    );
    await east.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['a'] }));
    assert.deepEqual((await east.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags, [
      { Key: 'b', Value: '2' },
    ]);
    await assert.rejects(
      east.send(new ListTagsForResourceCommand({ ResourceARN: busArn(EAST, 'nope') })),
      ResourceNotFoundException,
    );
    await assert.rejects(
      east.send(
        new TagResourceCommand({
          ResourceARN: `arn:aws:events:${EAST}:${ACCOUNT}:rule/rules/nope`,
          Tags: [],
        }),
      ),
      ResourceNotFoundException,
    );
    // The default bus is taggable before anything was written to it; another region's is not found here.
    const defaultArn = busArn(EAST, 'default');
    await east.send(new TagResourceCommand({ ResourceARN: defaultArn, Tags: [{ Key: 'c', Value: '3' }] }));
    assert.deepEqual((await east.send(new ListTagsForResourceCommand({ ResourceARN: defaultArn }))).Tags, [
      { Key: 'c', Value: '3' },
    ]);
    await assert.rejects(
      east.send(new TagResourceCommand({ ResourceARN: busArn(WEST, 'default'), Tags: [] })),
      ResourceNotFoundException,
    );
    await assert.rejects(
      east.send(
        new ListTagsForResourceCommand({ ResourceARN: `arn:aws:events:${EAST}:${ACCOUNT}:rule/toString` }),
      ),
      ResourceNotFoundException,
    );
  });

  it('PutEvents answers per entry: failures with their own ErrorCode, a missing bus accepted silently', async () => {
    const ok = { Source: 's', DetailType: 'd', Detail: '{"k":1}', EventBusName: 'rules' };
    const out = await east.send(
      new PutEventsCommand({
        Entries: [
          ok,
          { ...ok, Source: undefined },
          { ...ok, DetailType: undefined },
          { ...ok, Detail: undefined },
          { ...ok, Detail: '[1, 2]' },
          { ...ok, Detail: '{not json' },
          { ...ok, EventBusName: 'no-such-bus' },
        ],
      }),
    );
    assert.equal(out.FailedEntryCount, 5);
    const entries = out.Entries ?? [];
    assert.match(entries[0]?.EventId ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(
      entries.slice(1, 6).map((e) => e.ErrorCode),
      ['InvalidArgument', 'InvalidArgument', 'InvalidArgument', 'MalformedDetail', 'MalformedDetail'],
    );
    assert.match(entries[1]?.ErrorMessage ?? '', /Source is a required argument/);
    assert.ok(entries[6]?.EventId, 'an event for a bus that does not exist is accepted');
    await assert.rejects(
      east.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => ok) })),
      (e) => (e as Error).name === 'ValidationException',
    );
  });

  it('delivers to a function only with its resource-policy permission, without holding up PutEvents', async () => {
    const out = join(sinks, 'sink-east.jsonl');
    const sink = await createFunction(lambdaEast, {
      name: 'sink',
      role: fnRole,
      source: SINK,
      env: { OUT: out, DELAY_MS: '1000' },
    });
    await east.send(new CreateEventBusCommand({ Name: 'app' }));
    const RuleArn = await route(east, 'deliver', JSON.stringify({ source: ['shop'] }), {
      Id: 'fn',
      Arn: sink.FunctionArn,
    });
    const put = (detail: object) =>
      east.send(
        new PutEventsCommand({
          Entries: [
            { Source: 'shop', DetailType: 'Order', Detail: JSON.stringify(detail), EventBusName: 'app' },
          ],
        }),
      );

    // No permission: the delivery fails, visibly in the request log, and the function never runs.
    await put({ n: 1 });
    const denied = await eventually(() => deliveries(sink.FunctionArn ?? '')[0], 'the denied delivery');
    assert.deepEqual([denied.status, denied.error, denied.region], [403, 'AccessDeniedException', EAST]);
    // A permission for another rule does not help.
    await lambdaEast.send(
      new AddPermissionCommand({
        FunctionName: 'sink',
        StatementId: 'other-rule',
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: `arn:aws:events:${EAST}:${ACCOUNT}:rule/app/other`,
      }),
    );
    await put({ n: 2 });
    await eventually(
      () => (deliveries(sink.FunctionArn ?? '').length === 2 ? true : undefined),
      'second delivery',
    );
    assert.equal(deliveries(sink.FunctionArn ?? '')[1]?.status, 403);

    await lambdaEast.send(
      new AddPermissionCommand({
        FunctionName: 'sink',
        StatementId: 'deliver-invoke',
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: RuleArn,
      }),
    );
    const started = Date.now();
    const accepted = await put({ n: 3 });
    assert.ok(Date.now() - started < 1000, 'PutEvents answered before the slow function finished');
    const [event] = await eventually(
      () => (received(out).length > 0 ? received(out) : undefined),
      'the event',
      5000,
    );
    assert.equal(event?.id, accepted.Entries?.[0]?.EventId);
    assert.equal(event?.source, 'shop');
    assert.equal(event?.['detail-type'], 'Order');
    assert.equal(event?.region, EAST);
    assert.equal(event?.account, ACCOUNT);
    assert.deepEqual(event?.detail, { n: 3 });
    assert.equal(deliveries(sink.FunctionArn ?? '')[2]?.status, 202);
    assert.equal(received(out).length, 1, 'the denied events never reached the function');

    // A non-matching event is not delivered.
    await east.send(
      new PutEventsCommand({
        Entries: [{ Source: 'elsewhere', DetailType: 'x', Detail: '{}', EventBusName: 'app' }],
      }),
    );
    await lambdaEast.send(new RemovePermissionCommand({ FunctionName: 'sink', StatementId: 'other-rule' }));
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(deliveries(sink.FunctionArn ?? '').length, 3);
  });

  it('forwards to a bus in another region only with a target role, delivers there, and never hops twice', async () => {
    const out = join(sinks, 'sink-west.jsonl');
    const westSink = await createFunction(lambdaWest, {
      name: 'sink',
      role: fnRole,
      source: SINK,
      env: { OUT: out },
    });
    await west.send(new CreateEventBusCommand({ Name: 'app' }));
    const origin = (region: string) =>
      JSON.stringify({ source: ['shop'], detail: { originRegion: [region] } });
    // West: deliver events from the east to its function.
    const westDeliver = await route(west, 'deliver', origin(EAST), { Id: 'fn', Arn: westSink.FunctionArn });
    await lambdaWest.send(
      new AddPermissionCommand({
        FunctionName: 'sink',
        StatementId: 'deliver-invoke',
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: westDeliver,
      }),
    );
    // The events role may put events on both buses.
    const eventsRole = await createRole(iamClient, 'events-forward', 'events.amazonaws.com');
    await iamClient.send(
      new PutRolePolicyCommand({
        RoleName: 'events-forward',
        PolicyName: 'forward',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'events:PutEvents',
              Resource: [busArn(EAST, 'app'), busArn(WEST, 'app')],
            },
          ],
        }),
      }),
    );
    // West also forwards EVERYTHING from shop back to the east: that would be a second hop.
    await route(west, 'back', JSON.stringify({ source: ['shop'] }), {
      Id: 'east',
      Arn: busArn(EAST, 'app'),
      RoleArn: eventsRole,
    });
    // East: forward events that originated in the east, first with a role that cannot put events.
    const weakRole = await createRole(iamClient, 'events-weak', 'events.amazonaws.com');
    await route(east, 'forward', origin(EAST), { Id: 'peer', Arn: busArn(WEST, 'app'), RoleArn: weakRole });
    const put = (n: number) =>
      east.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: 'shop',
              DetailType: 'Order',
              Detail: JSON.stringify({ originRegion: EAST, n }),
              EventBusName: 'app',
            },
          ],
        }),
      );
    const eastSinkBefore = received(join(sinks, 'sink-east.jsonl')).length;
    await put(1);
    const refused = await eventually(() => deliveries(busArn(WEST, 'app'))[0], 'the refused forward');
    assert.deepEqual([refused.status, refused.error], [403, 'AccessDeniedException']);

    await east.send(
      new PutTargetsCommand({
        Rule: 'forward',
        EventBusName: 'app',
        Targets: [{ Id: 'peer', Arn: busArn(WEST, 'app'), RoleArn: eventsRole }],
      }),
    );
    const accepted = await put(2);
    const [event] = await eventually(
      () => (received(out).length > 0 ? received(out) : undefined),
      'the forwarded event',
    );
    assert.equal(event?.id, accepted.Entries?.[0]?.EventId);
    assert.deepEqual(event?.detail, { originRegion: EAST, n: 2 });
    const forwarded = deliveries(busArn(WEST, 'app'))[1];
    assert.deepEqual([forwarded?.status, forwarded?.region], [200, EAST]);
    // West's rule back to the east matched the forwarded event, but a second hop is dropped silently.
    const back = await eventually(() => deliveries(busArn(EAST, 'app'))[0], 'the dropped second hop');
    assert.deepEqual([back.status, back.error, back.region], [204, undefined, WEST]);
    // The east's own deliver rule (source shop) hands put(1) and put(2) to the east function once each;
    // nothing comes back from the west.
    await eventually(
      () => (received(join(sinks, 'sink-east.jsonl')).length >= eastSinkBefore + 2 ? true : undefined),
      'the direct deliveries in the east',
    );
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(
      received(join(sinks, 'sink-east.jsonl')).length,
      eastSinkBefore + 2,
      'nothing came back east',
    );
    assert.equal(received(out).length, 1);
  });

  it('DisableRule: the rule matches nothing and EnableRule does not replay what was put meanwhile; a missing rule is ResourceNotFound', async () => {
    const out = join(sinks, 'sink-toggle.jsonl');
    const sink = await createFunction(lambdaEast, {
      name: 'sink-toggle',
      role: fnRole,
      source: SINK,
      env: { OUT: out },
    });
    await east.send(new CreateEventBusCommand({ Name: 'toggle' }));
    const { RuleArn } = await east.send(
      new PutRuleCommand({
        Name: 'toggle',
        EventBusName: 'toggle',
        EventPattern: JSON.stringify({ source: ['shop'] }),
      }),
    );
    await east.send(
      new PutTargetsCommand({
        Rule: 'toggle',
        EventBusName: 'toggle',
        Targets: [{ Id: 'fn', Arn: sink.FunctionArn }],
      }),
    );
    await lambdaEast.send(
      new AddPermissionCommand({
        FunctionName: 'sink-toggle',
        StatementId: 'toggle-invoke',
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: RuleArn,
      }),
    );
    const put = async (n: number) => {
      const answer = await east.send(
        new PutEventsCommand({
          Entries: [
            { Source: 'shop', DetailType: 'Order', Detail: JSON.stringify({ n }), EventBusName: 'toggle' },
          ],
        }),
      );
      // Accepted either way: PutEvents knows nothing of the rules that will (not) match.
      assert.equal(answer.FailedEntryCount, 0);
    };
    const seen = () => received(out).map((e) => (e.detail as { n: number }).n);

    await put(1);
    await eventually(() => (seen().includes(1) ? true : undefined), 'the event while enabled');
    await east.send(new DisableRuleCommand({ Name: 'toggle', EventBusName: 'toggle' }));
    const disabled = await east.send(new DescribeRuleCommand({ Name: 'toggle', EventBusName: 'toggle' }));
    assert.equal(disabled.State, 'DISABLED');
    await put(2);
    await east.send(new EnableRuleCommand({ Name: 'toggle', EventBusName: 'toggle' }));
    assert.equal(
      (await east.send(new DescribeRuleCommand({ Name: 'toggle', EventBusName: 'toggle' }))).State,
      'ENABLED',
    );
    await put(3);
    await eventually(() => (seen().includes(3) ? true : undefined), 'the event after enabling');
    await new Promise((r) => setTimeout(r, 600));
    assert.deepEqual(
      seen(),
      [1, 3],
      'the event put while disabled was dropped, and not replayed on enabling',
    );

    await assert.rejects(
      east.send(new DisableRuleCommand({ Name: 'no-such-rule', EventBusName: 'toggle' })),
      (error: Error) =>
        error instanceof ResourceNotFoundException && /Rule no-such-rule does not exist/.test(error.message),
    );
    await assert.rejects(
      east.send(new EnableRuleCommand({ Name: 'bad name!' })),
      /failed to satisfy constraint/,
    );
  });
});
