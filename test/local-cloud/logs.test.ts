// CloudWatch Logs (awsJson1_1) through the real SDK client: groups, retention (time-scaled expiry), tags,
// streams, PutLogEvents' checks, GetLogEvents, FilterLogEvents (patterns, time bounds, pagination), and
// Lambda's own lines for each invocation (START/END/REPORT, one stream per worker, LogResult).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  InvalidParameterException,
  ListTagsForResourceCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  TagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { iam, lambda, logs, type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { createFunction, createRole, eventually } from '../../scripts/lib/local-lambda.js';

// Time scale 0.00001: one day of retention lasts 864 ms.
const TIME_SCALE = 0.00001;

describe('local cloud: CloudWatch Logs', () => {
  let pc: PrivateCloud;
  let client: CloudWatchLogsClient;
  let fnClient: LambdaClient;
  let role: string;
  before(async () => {
    pc = await startPrivateCloud({ timeScale: TIME_SCALE });
    client = logs(pc.cloud);
    fnClient = lambda(pc.cloud);
    role = await createRole(iam(pc.cloud), 'logs-test-fn');
    // Lambda writes a function's lines only when its role may (as AWS's AWSLambdaBasicExecutionRole grants).
    await iam(pc.cloud).send(
      new PutRolePolicyCommand({
        RoleName: 'logs-test-fn',
        PolicyName: 'logs',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' },
          ],
        }),
      }),
    );
  });
  after(async () => {
    client.destroy();
    fnClient.destroy();
    await pc.stop();
  });

  it('creates, describes, tags and deletes log groups with AWS errors', async () => {
    await client.send(new CreateLogGroupCommand({ logGroupName: '/app/one', tags: { team: 'a' } }));
    await assert.rejects(
      client.send(new CreateLogGroupCommand({ logGroupName: '/app/one' })),
      ResourceAlreadyExistsException,
    );
    await assert.rejects(
      client.send(new CreateLogGroupCommand({ logGroupName: 'bad:name' })),
      InvalidParameterException,
    );
    await client.send(new PutRetentionPolicyCommand({ logGroupName: '/app/one', retentionInDays: 14 }));
    await assert.rejects(
      client.send(new PutRetentionPolicyCommand({ logGroupName: '/app/one', retentionInDays: 2 })),
      InvalidParameterException,
    );
    const { logGroups = [] } = await client.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: '/app/' }),
    );
    assert.equal(logGroups.length, 1);
    assert.equal(logGroups[0]?.retentionInDays, 14);
    const arn = 'arn:aws:logs:us-east-1:000000000000:log-group:/app/one';
    assert.equal(logGroups[0]?.logGroupArn, arn);
    assert.equal(logGroups[0]?.arn, `${arn}:*`);
    await client.send(new TagResourceCommand({ resourceArn: arn, tags: { owner: 'me' } }));
    const { tags } = await client.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    assert.deepEqual(tags, { team: 'a', owner: 'me' });
    // Another region has its own groups.
    const west = logs(pc.cloud, 'us-west-2');
    assert.equal((await west.send(new DescribeLogGroupsCommand({}))).logGroups?.length, 0);
    west.destroy();
    await client.send(new DeleteLogGroupCommand({ logGroupName: '/app/one' }));
    await assert.rejects(
      client.send(new DeleteLogGroupCommand({ logGroupName: '/app/one' })),
      ResourceNotFoundException,
    );
  });

  it('stores events per stream and filters them by pattern, time and stream, page by page', async () => {
    const group = '/app/events';
    await client.send(new CreateLogGroupCommand({ logGroupName: group }));
    await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'a' }));
    await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'b' }));
    await assert.rejects(
      client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'a' })),
      ResourceAlreadyExistsException,
    );
    await assert.rejects(
      client.send(
        new PutLogEventsCommand({
          logGroupName: group,
          logStreamName: 'zz',
          logEvents: [{ timestamp: 1, message: 'x' }],
        }),
      ),
      ResourceNotFoundException,
    );
    const t0 = Date.now() - 10_000;
    await assert.rejects(
      client.send(
        new PutLogEventsCommand({
          logGroupName: group,
          logStreamName: 'a',
          logEvents: [
            { timestamp: t0 + 5, message: 'later' },
            { timestamp: t0, message: 'earlier' },
          ],
        }),
      ),
      InvalidParameterException,
    );
    const messages = [
      'ERROR database unreachable',
      'INFO all good',
      'WARN slow query',
      JSON.stringify({ level: 'ERROR', operation: 'create', attempts: 3 }),
      JSON.stringify({ level: 'INFO', operation: 'read', attempts: 1 }),
      'ERROR retrying "the call"',
    ];
    await client.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: 'a',
        logEvents: messages.slice(0, 3).map((message, i) => ({ timestamp: t0 + i * 1000, message })),
      }),
    );
    await client.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: 'b',
        logEvents: messages.slice(3).map((message, i) => ({ timestamp: t0 + 500 + i * 1000, message })),
      }),
    );
    const filter = async (input: Record<string, unknown>) =>
      ((await client.send(new FilterLogEventsCommand({ logGroupName: group, ...input }))).events ?? []).map(
        (e) => e.message,
      );
    assert.deepEqual(await filter({}), [
      messages[0],
      messages[3],
      messages[1],
      messages[4],
      messages[2],
      messages[5],
    ]);
    assert.deepEqual(await filter({ filterPattern: 'ERROR' }), [messages[0], messages[3], messages[5]]);
    assert.deepEqual(await filter({ filterPattern: 'ERROR -retrying' }), [messages[0], messages[3]]);
    assert.deepEqual(await filter({ filterPattern: '?WARN ?INFO' }), [messages[1], messages[4], messages[2]]);
    assert.deepEqual(await filter({ filterPattern: '"all good"' }), [messages[1]]);
    assert.deepEqual(await filter({ filterPattern: '{ $.level = "ERROR" }' }), [messages[3]]);
    assert.deepEqual(await filter({ filterPattern: '{ $.attempts > 1 }' }), [messages[3]]);
    assert.deepEqual(await filter({ filterPattern: 'ERROR', logStreamNames: ['a'] }), [messages[0]]);
    assert.deepEqual(await filter({ startTime: t0 + 1000, endTime: t0 + 2000 }), [
      messages[1],
      messages[4],
      messages[2],
    ]);
    await assert.rejects(
      client.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: '[ip, user]' })),
      (error: Error) => error instanceof InvalidParameterException && error.message.includes('[ip, user]'),
    );
    // Pagination by nextToken: two at a time, the same events in the same order.
    const paged: (string | undefined)[] = [];
    let nextToken: string | undefined;
    do {
      const out = await client.send(new FilterLogEventsCommand({ logGroupName: group, limit: 2, nextToken }));
      paged.push(...(out.events ?? []).map((e) => e.message));
      nextToken = out.nextToken;
    } while (nextToken);
    assert.deepEqual(paged, await filter({}));
    const { events = [] } = await client.send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: 'a', startFromHead: true }),
    );
    assert.deepEqual(
      events.map((e) => e.message),
      messages.slice(0, 3),
    );
    const { logStreams = [] } = await client.send(new DescribeLogStreamsCommand({ logGroupName: group }));
    assert.deepEqual(
      logStreams.map((s) => [s.logStreamName, s.lastEventTimestamp]),
      [
        ['a', t0 + 2000],
        ['b', t0 + 2500],
      ],
    );
  });

  it('expires events older than the retention (time-scaled)', async () => {
    const group = '/app/retained';
    await client.send(new CreateLogGroupCommand({ logGroupName: group }));
    await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 's' }));
    await client.send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: 1 }));
    const put = (message: string) =>
      client.send(
        new PutLogEventsCommand({
          logGroupName: group,
          logStreamName: 's',
          logEvents: [{ timestamp: Date.now(), message }],
        }),
      );
    await put('old');
    const messages = async () =>
      ((await client.send(new FilterLogEventsCommand({ logGroupName: group }))).events ?? []).map(
        (e) => e.message,
      );
    assert.deepEqual(await messages(), ['old']);
    // One day of retention is 864 ms at this time scale.
    await new Promise((r) => setTimeout(r, 1000));
    await put('new');
    assert.deepEqual(await messages(), ['new']);
  });

  it("writes Lambda's lines per invocation to /aws/lambda/<fn> and answers LogType Tail with its own", async () => {
    await createFunction(fnClient, {
      name: 'talker',
      role,
      source: `export const handler = async (event, context) => {
  console.log('hello', event.n);
  process.stdout.write(JSON.stringify({ level: event.fail ? 'ERROR' : 'INFO', n: event.n }) + '\\n');
  if (event.fail) throw new Error('boom ' + event.n);
  return { n: event.n };
};`,
    });
    const invoke = async (event: object) => {
      const out = await fnClient.send(
        new InvokeCommand({ FunctionName: 'talker', LogType: 'Tail', Payload: JSON.stringify(event) }),
      );
      return Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    };
    const first = await invoke({ n: 1 });
    const second = await invoke({ n: 2, fail: true });
    const requestId = (tail: string) => /START RequestId: (\S+) Version: \$LATEST/.exec(tail)?.[1] ?? '';
    const id1 = requestId(first);
    assert.ok(id1);
    assert.match(first, /\tINFO\thello 1\n/);
    assert.match(first, /^\{"level":"INFO","n":1\}$/m);
    assert.match(first, new RegExp(`END RequestId: ${id1}\\n`));
    assert.match(
      first,
      new RegExp(
        `REPORT RequestId: ${id1}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: [\\d.]+ ms`,
      ),
    );
    assert.doesNotMatch(second, /hello 1/, 'LogResult holds only its own invocation');
    assert.doesNotMatch(second, /Init Duration/, 'a warm start has no Init Duration');
    assert.match(second, /\tERROR\tInvoke Error \t\{"errorType":"Error","errorMessage":"boom 2"/);
    const group = '/aws/lambda/talker';
    const { logStreams = [] } = await client.send(new DescribeLogStreamsCommand({ logGroupName: group }));
    assert.equal(logStreams.length, 1, 'one worker, one stream');
    assert.match(logStreams[0]?.logStreamName ?? '', /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    const errors = await eventually(async () => {
      const { events = [] } = await client.send(
        new FilterLogEventsCommand({ logGroupName: group, filterPattern: '{ $.level = "ERROR" }' }),
      );
      return events.length > 0 ? events : undefined;
    }, 'the ERROR line');
    assert.deepEqual(
      errors.map((e) => e.message),
      ['{"level":"ERROR","n":2}\n'],
    );
    // A deleted group is created again by the next invocation, as Lambda does.
    await client.send(new DeleteLogGroupCommand({ logGroupName: group }));
    await invoke({ n: 3 });
    const { events = [] } = await client.send(
      new FilterLogEventsCommand({ logGroupName: group, filterPattern: 'hello' }),
    );
    assert.deepEqual(
      events.map((e) => /hello \d/.exec(e.message ?? '')?.[0]),
      ['hello 3'],
    );
  });

  it("writes Lambda's timeout line", async () => {
    await createFunction(fnClient, {
      name: 'sleeper',
      role,
      timeout: 1,
      source: 'export const handler = () => new Promise((r) => setTimeout(r, 5000));',
    });
    const out = await fnClient.send(new InvokeCommand({ FunctionName: 'sleeper', LogType: 'Tail' }));
    const tail = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    assert.match(tail, /^\d{4}-\d{2}-\d{2}T\S+Z \S+ Task timed out after 1\.00 seconds$/m);
    assert.match(tail, /REPORT RequestId: .*Status: timeout/);
  });
});
