/**
 * `up`, `status` and `down` through the real CLI against a private local cloud: the request log counts
 * every AWS call, so "no change" means no mutating call at all.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateEventBusCommand,
  DeleteRuleCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import { strToU8, unzipSync, zipSync } from 'fflate';
import {
  clientConfig,
  isMutating,
  type PrivateCloud,
  startPrivateCloud,
} from '../../scripts/lib/local-cloud.js';
import { eventually } from '../../scripts/lib/local-lambda.js';
import { functionZipPath } from '../../src/lib/bundle.js';
import type { DownResult, StatusResult, UpResult } from '../../src/lib/provision/index.js';
import { runCli } from '../support/cli.js';
import { inventory, nothingLeft } from './inspect.js';

const REGIONS = ['us-east-1', 'us-west-2'];
let cloud: PrivateCloud;

before(async () => {
  cloud = await startPrivateCloud();
});
after(() => cloud.stop());

async function cli<T>(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = await runCli([...args, '--json'], { ...cloud.env, ...env });
  let body: T | undefined;
  try {
    body = (JSON.parse(result.stdout) as { result: T }).result;
  } catch {
    body = undefined;
  }
  return { ...result, body: body as T };
}

/**
 * Runs `work` and returns the AWS calls the local cloud answered meanwhile (not EventBridge's own
 * deliveries: the sweep rules fire every time-scaled minute while the stack exists).
 */
async function callsDuring(work: () => Promise<unknown>) {
  const before = cloud.cloud.requests().length;
  await work();
  return cloud.cloud
    .requests()
    .slice(before)
    .filter((c) => c.operation !== 'Deliver');
}

const mutating = (calls: Array<{ service: string; operation: string }>) =>
  calls.filter((c) => isMutating(c.operation)).map((c) => `${c.service}:${c.operation}`);

/**
 * An up that changes something, and a down, take the stack's lock (an IAM role created, then
 * deleted); an up whose plan changes nothing, or that is refused before any change, takes none.
 */
const LOCK = ['iam:CreateRole', 'iam:DeleteRole'];

describe('up, status and down on the local cloud', () => {
  // One stack's life, as one test whose steps run in this order: each step starts from the state the
  // step before it left (fresh, up, up again, …, down).
  it('stack shop, step by step: dry-run, up, a no-op up, a refused region change, a code change, a rule deleted by hand, down', async (t) => {
    await t.test('--dry-run on a fresh stack lists every create and changes nothing', async () => {
      let result: Awaited<ReturnType<typeof cli<UpResult>>> | undefined;
      const calls = await callsDuring(async () => {
        result = await cli<UpResult>(['up', '--stack', 'shop', '--dry-run']);
      });
      assert.equal(result?.status, 0, result?.stderr);
      const plan = result?.body.plan ?? [];
      assert.equal(plan.length, 28);
      assert.deepEqual(
        plan.filter((c) => c.action !== 'create').map((c) => c.id),
        [],
      );
      assert.deepEqual(mutating(calls), []);
      const human = await runCli(['up', '--stack', 'shop', '--dry-run'], cloud.env);
      assert.match(human.stdout, /would create lambda-function shop-txn in us-west-2 \(absent\)/);
    });

    await t.test('a fresh up creates everything and status then finds it all in sync', async () => {
      const result = await cli<UpResult>(['up', '--stack', 'shop']);
      assert.equal(result.status, 0, result.stderr);
      assert.ok(
        result.body.steps.every((s) => s.outcome === 'created'),
        JSON.stringify(result.body.steps.filter((s) => s.outcome !== 'created')),
      );
      assert.ok(result.body.steps.every((s) => typeof s.durationMs === 'number'));
      assert.equal(result.body.deployments.length, 2);
      assert.ok(result.body.deployments.every((r) => r.clusterIdentifier && r.functionName === 'shop-txn'));
      assert.ok(result.body.next.some((n) => n.startsWith('dsqlctl txn create --stack shop')));
      let status: Awaited<ReturnType<typeof cli<StatusResult>>> | undefined;
      const statusCalls = await callsDuring(async () => {
        status = await cli<StatusResult>(['status', '--stack', 'shop']);
      });
      // Read-only: its only invocations are the functions' read-only backlog operation, one per region.
      assert.deepEqual(mutating(statusCalls), ['lambda:Invoke', 'lambda:Invoke'], 'status is read-only');
      assert.deepEqual(
        status?.body.outbox.map((o) => [o.region, 'unpublished' in o ? o.unpublished : o.unavailable]),
        REGIONS.map((region) => [region, 0]),
      );
      assert.equal(status?.status, 0, status?.stderr);
      assert.equal(status?.body.inSync, true, JSON.stringify(status?.body.resources.filter((r) => r.drift)));
      assert.equal(status?.body.resources.length, 28);
      const inv = await inventory(cloud.cloud, 'shop', REGIONS);
      assert.deepEqual(inv.clusters, { 'us-east-1': 1, 'us-west-2': 1 });
      assert.deepEqual(inv.rules, {
        'us-east-1': ['shop-deliver', 'shop-forward', 'shop-sweep'],
        'us-west-2': ['shop-deliver', 'shop-forward', 'shop-sweep'],
      });
      // The sweep runs every minute on the default bus, with the function's permission; every target
      // states its RetryPolicy.
      const events = new EventBridgeClient(clientConfig(cloud.cloud, 'us-west-2'));
      const sweep = await events.send(new DescribeRuleCommand({ Name: 'shop-sweep' }));
      assert.equal(sweep.ScheduleExpression, 'rate(1 minute)');
      const [target] =
        (await events.send(new ListTargetsByRuleCommand({ Rule: 'shop-sweep' }))).Targets ?? [];
      // Its 30 s threshold follows the daemon's default time scale (0.01), as its schedule does.
      assert.equal(target?.Input, '{"operation":"sweep","olderThanSeconds":0.3}');
      assert.deepEqual(target?.RetryPolicy, { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
      const [deliver] =
        (await events.send(new ListTargetsByRuleCommand({ Rule: 'shop-deliver', EventBusName: 'shop' })))
          .Targets ?? [];
      assert.deepEqual(deliver?.RetryPolicy, { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 });
      events.destroy();
      // EventBridge runs it: the sweep's invocations reach the function (202, not refused).
      await eventually(
        () =>
          cloud.cloud
            .requests()
            .some((e) => e.operation === 'Deliver' && e.rule === sweep.Arn && e.status === 202)
            ? true
            : undefined,
        'a sweep delivered to the function',
      );
    });

    await t.test('a second up makes zero mutating calls and at most 3 calls per resource', async () => {
      let result: Awaited<ReturnType<typeof cli<UpResult>>> | undefined;
      const calls = await callsDuring(async () => {
        result = await cli<UpResult>(['up', '--stack', 'shop']);
      });
      assert.equal(result?.status, 0, result?.stderr);
      assert.deepEqual(mutating(calls), []);
      assert.ok(calls.length / 26 <= 3, `${calls.length} calls for 26 resources`);
      assert.ok(result?.body.steps.every((s) => s.outcome === 'unchanged'));
    });

    await t.test(
      'changing the regions of a deployed stack is refused (exit 2) before any change',
      async () => {
        let result: Awaited<ReturnType<typeof cli<UpResult>>> | undefined;
        const calls = await callsDuring(async () => {
          result = await cli<UpResult>(['up', '--stack', 'shop', '--regions', 'us-east-1']);
        });
        assert.equal(result?.status, 2, result?.stdout);
        assert.match(
          result?.stdout ?? '',
          /Stack shop is deployed in us-east-1,us-west-2 \(witness us-east-2\); this up asks for us-east-1/,
        );
        assert.deepEqual(mutating(calls), []);
      },
    );

    await t.test('changing only the function code causes only code updates', async () => {
      const files = unzipSync(readFileSync(functionZipPath()));
      const changed = join(cloud.home, 'function-changed.zip');
      writeFileSync(changed, zipSync({ ...files, 'BUILD-MARKER.txt': strToU8('another build') }));
      let result: Awaited<ReturnType<typeof cli<UpResult>>> | undefined;
      const calls = await callsDuring(async () => {
        result = await cli<UpResult>(['up', '--stack', 'shop'], { DSQLCTL_FUNCTION_ZIP: changed });
      });
      assert.equal(result?.status, 0, result?.stderr);
      assert.deepEqual(mutating(calls).sort(), [
        ...LOCK,
        'lambda:UpdateFunctionCode',
        'lambda:UpdateFunctionCode',
      ]);
      const updated = result?.body.steps.filter((s) => s.outcome !== 'unchanged') ?? [];
      assert.deepEqual(
        updated.map((s) => [s.id, s.reason]),
        [
          ['lambda-function:us-east-1', 'code sha differs'],
          ['lambda-function:us-west-2', 'code sha differs'],
        ],
      );
      // And back to the built code, for the steps that follow.
      const back = await cli<UpResult>(['up', '--stack', 'shop']);
      assert.equal(back.status, 0, back.stderr);
    });

    await t.test('deleting one rule by hand causes only that rule to be recreated', async () => {
      const events = new EventBridgeClient({
        region: 'us-west-2',
        endpoint: cloud.cloud.endpoint,
        credentials: cloud.cloud.credentials,
      });
      await events.send(
        new RemoveTargetsCommand({ Rule: 'shop-forward', EventBusName: 'shop', Ids: ['peer-bus'] }),
      );
      await events.send(new DeleteRuleCommand({ Name: 'shop-forward', EventBusName: 'shop' }));
      events.destroy();
      const status = await cli<StatusResult>(['status', '--stack', 'shop']);
      assert.deepEqual(
        status.body.resources.filter((r) => r.drift).map((r) => [r.id, r.state, r.drift?.action]),
        [['event-rule:us-west-2:forward', 'absent', 'create']],
      );
      // The human view names the converging command with the stack's own topology.
      const human = await runCli(['status', '--stack', 'shop'], cloud.env);
      assert.match(
        human.stdout,
        /Converge: dsqlctl up --stack shop --regions us-east-1,us-west-2 --witness us-east-2 --target local/,
      );
      assert.match(human.stdout, /outbox us-east-1 +every event published/);
      let result: Awaited<ReturnType<typeof cli<UpResult>>> | undefined;
      const calls = await callsDuring(async () => {
        result = await cli<UpResult>(['up', '--stack', 'shop']);
      });
      assert.equal(result?.status, 0, result?.stderr);
      assert.deepEqual(mutating(calls).sort(), ['events:PutRule', 'events:PutTargets', ...LOCK]);
      assert.ok(
        calls
          .filter((c) => isMutating(c.operation) && c.service !== 'iam')
          .every((c) => c.region === 'us-west-2'),
      );
    });

    await t.test('down removes everything, regions in parallel; a second down finds nothing', async () => {
      const result = await cli<DownResult>(['down', '--stack', 'shop', '--yes']);
      assert.equal(result.status, 0, result.stderr);
      assert.ok(
        result.body.steps.every((s) => s.outcome === 'deleted'),
        JSON.stringify(result.body.steps),
      );
      const inv = await inventory(cloud.cloud, 'shop', REGIONS);
      assert.deepEqual(inv, nothingLeft(REGIONS));
      const again = await runCli(['down', '--stack', 'shop', '--yes'], cloud.env);
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stdout, /Stack shop does not exist on local: nothing to delete/);
    });
  });

  it('a same-named resource without our tag is refused, nothing is changed, and down leaves it alone', async () => {
    const events = new EventBridgeClient({
      region: 'us-west-2',
      endpoint: cloud.cloud.endpoint,
      credentials: cloud.cloud.credentials,
    });
    await events.send(new CreateEventBusCommand({ Name: 'intruded' }));
    events.destroy();
    let result: Awaited<ReturnType<typeof cli<UpResult>>> | undefined;
    const calls = await callsDuring(async () => {
      result = await cli<UpResult>(['up', '--stack', 'intruded']);
    });
    assert.equal(result?.status, 7, result?.stdout);
    assert.match(
      result?.stdout ?? '',
      /Event bus intruded in us-west-2 exists but is not tagged dsqlctl:stack=intruded/,
    );
    assert.deepEqual(mutating(calls), []);
    // Without its role there is no stack "intruded" for down to take: the foreign bus stays.
    const down = await cli<DownResult>(['down', '--stack', 'intruded', '--yes']);
    assert.equal(down.status, 0, down.stderr);
    assert.equal(down.body.existed, false);
    assert.equal((await inventory(cloud.cloud, 'intruded', ['us-west-2'])).buses['us-west-2'], true);
  });

  it('down leaves a same-named resource that is not ours alone, and deletes the rest', async () => {
    const up = await cli<UpResult>(['up', '--stack', 'mixed', '--regions', 'eu-west-1']);
    assert.equal(up.status, 0, up.stderr);
    // Someone replaces our function with their own of the same name.
    const lambda = new LambdaClient({
      region: 'eu-west-1',
      endpoint: cloud.cloud.endpoint,
      credentials: cloud.cloud.credentials,
    });
    const ours = await lambda.send(new GetFunctionCommand({ FunctionName: 'mixed-txn' }));
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'mixed-txn' }));
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'mixed-txn',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ours.Configuration?.Role,
        Code: { ZipFile: readFileSync(functionZipPath()) },
        Tags: { team: 'someone-else' },
      }),
    );
    const refused = await cli<UpResult>(['up', '--stack', 'mixed', '--regions', 'eu-west-1']);
    assert.equal(refused.status, 7);
    assert.match(
      refused.stdout,
      /Lambda function mixed-txn in eu-west-1 exists but is not tagged dsqlctl:stack=mixed/,
    );
    const down = await cli<DownResult>(['down', '--stack', 'mixed', '--yes']);
    assert.equal(down.status, 0, down.stderr);
    assert.equal(down.body.steps.find((s) => s.id === 'lambda-function:eu-west-1')?.outcome, 'left-alone');
    assert.match(down.body.leftAlone.join(), /mixed-txn in eu-west-1 exists but is not tagged/);
    const inv = await inventory(cloud.cloud, 'mixed', ['eu-west-1']);
    assert.equal(inv.functions['eu-west-1'], true, 'the foreign function is still there');
    assert.equal(inv.clusters['eu-west-1'], 0);
    assert.equal(inv.buses['eu-west-1'], false);
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'mixed-txn' }));
    lambda.destroy();
  });

  it('one region with no witness: up, then down', async () => {
    const result = await cli<UpResult>(['up', '--stack', 'solo', '--regions', 'eu-west-1']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.body.steps.length, 9);
    const down = await cli<DownResult>(['down', '--stack', 'solo', '--yes']);
    assert.equal(down.status, 0, down.stderr);
    const inv = await inventory(cloud.cloud, 'solo', ['eu-west-1']);
    assert.equal(inv.clusters['eu-west-1'], 0);
    assert.equal(inv.functions['eu-west-1'], false);
  });
});
