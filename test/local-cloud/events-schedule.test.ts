// EventBridge's scheduled rules and retries in the local cloud, through the real SDK client: schedule
// expressions validated as AWS does, time-scaled firing with the target's Input, failed deliveries
// retried within the target's RetryPolicy (429/5xx only), and both surviving a restart.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateEventBusCommand,
  DeleteRuleCommand,
  DescribeRuleCommand,
  type EventBridgeClient,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { AddPermissionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  events,
  functionOutputDir,
  iam,
  lambda,
  type PrivateCloud,
  removeHome,
  startPrivateCloud,
  tempHome,
} from '../../scripts/lib/local-cloud.js';
import { createFunction, createRole, eventually } from '../../scripts/lib/local-lambda.js';
import type { FaultConfig, RequestLogEntry } from '../../src/lib/local-cloud/index.js';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const ruleArnOf = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:rule/${name}`;

const SINK = `import { appendFileSync } from 'node:fs';
export const handler = async (event) => { appendFileSync(process.env.OUT, JSON.stringify(event) + '\\n'); return { ok: true }; };`;

function received(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

const isValidation = (e: unknown) => (e as Error).name === 'ValidationException';

describe('local cloud: EventBridge schedules and retries', () => {
  const home = tempHome();
  const out = join(functionOutputDir(), 'sink.jsonl');
  // Rule ARNs whose deliveries fail as Lambda's 500 (retried) before the first success.
  const failing = ruleArnOf('flaky');
  const dropped = ruleArnOf('dropped');
  const faults: FaultConfig = {
    timeScale: 0.002,
    failures: [
      {
        operation: 'events:Deliver',
        resource: failing,
        nth: 1,
        times: 3,
        code: 'ServiceException',
        status: 500,
      },
      {
        operation: 'events:Deliver',
        resource: dropped,
        nth: 1,
        times: 5,
        code: 'ServiceException',
        status: 500,
      },
    ],
  };
  let cloud: PrivateCloud;
  let eb: EventBridgeClient;
  let fn: LambdaClient;
  let sinkArn: string;

  const requests = (rule: string): RequestLogEntry[] =>
    cloud.cloud.requests().filter((e) => e.operation === 'Deliver' && e.rule === rule);

  async function connect(config: FaultConfig) {
    cloud = await startPrivateCloud(config, home);
    eb = events(cloud.cloud, REGION);
    fn = lambda(cloud.cloud, REGION);
  }

  /** A pattern rule on the default bus delivering `source` events to the sink, with its permission. */
  async function patternRule(
    name: string,
    retry?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number },
  ) {
    const { RuleArn } = await eb.send(
      new PutRuleCommand({ Name: name, EventPattern: JSON.stringify({ source: [name] }) }),
    );
    await eb.send(
      new PutTargetsCommand({
        Rule: name,
        Targets: [{ Id: 'sink', Arn: sinkArn, ...(retry ? { RetryPolicy: retry } : {}) }],
      }),
    );
    await fn.send(
      new AddPermissionCommand({
        FunctionName: 'sink',
        StatementId: `${name}-invoke`,
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: RuleArn,
      }),
    );
  }

  const put = (source: string) =>
    eb.send(
      new PutEventsCommand({
        Entries: [{ Source: source, DetailType: 't', Detail: JSON.stringify({ source }) }],
      }),
    );
  const sunk = (source: string) =>
    received(out).filter((e) => (e.detail as { source?: string })?.source === source);

  before(async () => {
    await connect(faults);
    const role = await createRole(iam(cloud.cloud), 'sink-role');
    sinkArn = (await createFunction(fn, { name: 'sink', role, source: SINK, env: { OUT: out } }))
      .FunctionArn as string;
  });
  after(async () => {
    await cloud.cloud.stop();
    removeHome(home);
  });

  it('refuses invalid schedule expressions, and schedules off the default bus, with ValidationException', async () => {
    for (const expression of [
      'rate(1 minutes)',
      'rate(5 minute)',
      'rate(0 minutes)',
      'rate(1 week)',
      'cron(0 10 * * ?)',
      'cron(* * * * * *)',
      'cron(60 * * * ? *)',
      'cron(0 10 ? * ? *)',
      'cron(0 0 ? * 3#1,6#3 *)',
      'cron(0 0 1 13 ? *)',
      'cron(0 0 1 * ? 1969)',
    ]) {
      await assert.rejects(
        eb.send(new PutRuleCommand({ Name: 'bad', ScheduleExpression: expression })),
        (e) => isValidation(e) && /ScheduleExpression is not valid/.test((e as Error).message),
        expression,
      );
    }
    await eb.send(new CreateEventBusCommand({ Name: 'custom' }));
    await assert.rejects(
      eb.send(
        new PutRuleCommand({ Name: 'bad', EventBusName: 'custom', ScheduleExpression: 'rate(1 minute)' }),
      ),
      (e) => isValidation(e) && /default event bus/.test((e as Error).message),
    );
    for (const expression of [
      'rate(1 minute)',
      'rate(5 hours)',
      'cron(0/15 * * * ? *)',
      'cron(0 18 ? * MON-FRI *)',
      'cron(0 12 ? * 6L 2027-2030)',
      'cron(0 8 15W * ? *)',
    ]) {
      await eb.send(new PutRuleCommand({ Name: 'good', ScheduleExpression: expression, State: 'DISABLED' }));
      const rule = await eb.send(new DescribeRuleCommand({ Name: 'good' }));
      assert.equal(rule.ScheduleExpression, expression);
      assert.equal(rule.EventPattern, undefined);
    }
    await eb.send(new DeleteRuleCommand({ Name: 'good' }));
  });

  it('fires a rate rule on the time-scaled clock with the target Input, and resumes from the stored next fire time after a restart', async () => {
    // rate(1 minute) at time scale 0.002: every 120 ms.
    const { RuleArn } = await eb.send(
      new PutRuleCommand({ Name: 'tick', ScheduleExpression: 'rate(1 minute)' }),
    );
    await eb.send(
      new PutTargetsCommand({
        Rule: 'tick',
        Targets: [{ Id: 'sink', Arn: sinkArn, Input: '{"operation":"tick"}' }],
      }),
    );
    await fn.send(
      new AddPermissionCommand({
        FunctionName: 'sink',
        StatementId: 'tick-invoke',
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: RuleArn,
      }),
    );
    const ticks = () => received(out).filter((e) => e.operation === 'tick').length;
    await eventually(() => (ticks() >= 3 ? true : undefined), 'three ticks');
    const firing = requests(RuleArn as string);
    assert.ok(
      firing.every((e) => e.status === 202 && e.attempt === 1),
      JSON.stringify(firing.slice(0, 3)),
    );

    // The next fire time is in the state document, not only in a timer.
    await cloud.cloud.stop();
    const state = JSON.parse(readFileSync(join(home, 'local-cloud', 'state.json'), 'utf8'));
    const stored = state.namespaces.events.buses[`${REGION}/default`].rules.tick;
    assert.equal(typeof stored.schedule.nextFireAt, 'number');
    const before = ticks();
    await connect({ timeScale: 0.002 });
    await eventually(() => (ticks() >= before + 2 ? true : undefined), 'ticks after the restart');
    await eb.send(new RemoveTargetsCommand({ Rule: 'tick', Ids: ['sink'] }));
    await eb.send(new DeleteRuleCommand({ Name: 'tick' }));
    // Restored for the following tests (the failure counters start again with the instance).
    await cloud.cloud.stop();
    await connect(faults);
  });

  it('retries a delivery failed with a 5xx within the RetryPolicy, logging each attempt, until it is delivered', async () => {
    await patternRule('flaky');
    await put('flaky');
    await eventually(() => (sunk('flaky').length === 1 ? true : undefined), 'the flaky delivery');
    const attempts = requests(failing);
    assert.deepEqual(
      attempts.map((e) => [e.attempt, e.status, e.outcome ?? 'delivered']),
      [
        [1, 500, 'retrying'],
        [2, 500, 'retrying'],
        [3, 500, 'retrying'],
        [4, 202, 'delivered'],
      ],
    );
  });

  it('with MaximumRetryAttempts 0, drops a failed delivery after one attempt; a missing permission (403) is never retried', async () => {
    await patternRule('dropped', { MaximumRetryAttempts: 0 });
    const targets = await eb.send(new ListTargetsByRuleCommand({ Rule: 'dropped' }));
    assert.deepEqual(targets.Targets?.[0]?.RetryPolicy, {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 86_400,
    });
    await put('dropped');
    await eventually(() => (requests(dropped).length === 1 ? true : undefined), 'the dropped attempt');
    // A rule whose target has no permission to invoke the function.
    await eb.send(
      new PutRuleCommand({ Name: 'denied', EventPattern: JSON.stringify({ source: ['denied'] }) }),
    );
    await eb.send(new PutTargetsCommand({ Rule: 'denied', Targets: [{ Id: 'sink', Arn: sinkArn }] }));
    await put('denied');
    await eventually(
      () => (requests(ruleArnOf('denied')).length === 1 ? true : undefined),
      'the denied attempt',
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(
      requests(dropped).map((e) => [e.attempt, e.status, e.outcome]),
      [[1, 500, 'dropped']],
    );
    assert.deepEqual(
      requests(ruleArnOf('denied')).map((e) => [e.attempt, e.status, e.error, e.outcome]),
      [[1, 403, 'AccessDeniedException', 'dropped']],
    );
    assert.equal(sunk('dropped').length + sunk('denied').length, 0);
  });

  it('validates RetryPolicy ranges as AWS does (0–185 attempts, 60–86,400 s)', async () => {
    for (const RetryPolicy of [
      { MaximumRetryAttempts: 186 },
      { MaximumRetryAttempts: -1 },
      { MaximumEventAgeInSeconds: 59 },
      { MaximumEventAgeInSeconds: 86_401 },
    ]) {
      await assert.rejects(
        eb.send(
          new PutTargetsCommand({ Rule: 'flaky', Targets: [{ Id: 'sink', Arn: sinkArn, RetryPolicy }] }),
        ),
        isValidation,
        JSON.stringify(RetryPolicy),
      );
    }
  });

  it('keeps a waiting retry in the state and delivers it after a restart', async () => {
    await cloud.cloud.stop();
    // The first delivery fails; the retry waits 240–480 s of AWS time (1.2–2.4 s), across the restart.
    const slow: FaultConfig = {
      timeScale: 0.005,
      durations: { 'events:RetryBackoff': 480 },
      failures: [
        {
          operation: 'events:Deliver',
          resource: ruleArnOf('later'),
          nth: 1,
          code: 'TooManyRequestsException',
          status: 429,
        },
      ],
    };
    await connect(slow);
    await patternRule('later');
    await put('later');
    await eventually(
      () => (requests(ruleArnOf('later')).length === 1 ? true : undefined),
      'the first attempt',
    );
    await cloud.cloud.stop();
    const state = JSON.parse(readFileSync(join(home, 'local-cloud', 'state.json'), 'utf8'));
    assert.equal(Object.values(state.namespaces.events.retries).length, 1);
    await connect({ timeScale: 0.002 });
    await eventually(
      () => (sunk('later').length === 1 ? true : undefined),
      'the retried delivery after the restart',
    );
    assert.deepEqual(
      requests(ruleArnOf('later')).map((e) => [e.attempt, e.status]),
      [
        [1, 429],
        [2, 202],
      ],
    );
  });
});
