/**
 * The exercising commands end to end on the local target: a real `up` of a two-region stack, the real
 * function in the local cloud's Lambda workers, its events through the local EventBridge. Every
 * command and flag, JSON shapes, exit codes; verify consistency failing when one region's function is
 * pointed at another database; verify events failing when the forwarding rule loses its target.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { EventBridgeClient, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { connectAsAdmin } from '../../src/lib/dsql-connection.js';
import { SCHEMA_VERSION } from '../../src/lib/envelope.js';
import { fetchDatabaseSettings } from '../../src/lib/local-cloud/index.js';
import { onCloud } from '../support/cli.js';
import { type Shape, shapeOf } from '../support/json-shape.js';

const STACK = 'ex-e2e';
const ALT_STACK = 'ex-e2e-alt';
const [EAST, WEST] = ['us-east-1', 'us-west-2'];

let cloud: PrivateCloud;

const { cli, ok, client } = onCloud(() => cloud);

async function json<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  return JSON.parse((await ok(...args, '--json')).stdout).result as T;
}

before(async () => {
  cloud = await startPrivateCloud();
  await ok('up', '--stack', STACK);
});

after(async () => {
  await cli('down', '--yes', '--stack', STACK);
  await cli('down', '--yes', '--stack', ALT_STACK);
  await cloud?.stop();
});

describe('txn commands on a deployed stack', () => {
  it('create: exact amount, first region by default, event published; the same --id again creates nothing', async () => {
    const before = await json<{ answer: { count: number } }>('txn', 'read', '--stack', STACK);
    const first = await json<{
      stack: string;
      region: string;
      latencyMs: number;
      answer: Record<string, unknown>;
    }>('txn', 'create', '--stack', STACK, '--amount', '100.5', '--id', 'e2e-001');
    assert.equal(first.stack, STACK);
    assert.equal(first.region, EAST);
    assert.ok(first.latencyMs > 0);
    assert.equal(first.answer.ok, true);
    assert.equal(first.answer.operation, 'create');
    assert.equal(first.answer.created, true);
    assert.equal(first.answer.eventPublished, true);
    assert.equal((first.answer.transaction as { amount: string }).amount, '100.50');
    assert.equal((first.answer.transaction as { region: string }).region, EAST);

    const again = await ok(
      'txn',
      'create',
      '--stack',
      STACK,
      '--amount',
      '100.50',
      '--id',
      'e2e-001',
      '--region',
      WEST,
    );
    assert.match(again.stdout, /Already existed: transaction e2e-001 of 100\.50 in us-west-2/);
    const afterCount = await json<{ answer: { count: number } }>(
      'txn',
      'read',
      '--stack',
      STACK,
      '--region',
      WEST,
    );
    assert.equal(afterCount.answer.count, before.answer.count + 1);
  });

  it('create without --id gets a generated UUID; read counts the same in both regions', async () => {
    const created = await json<{ answer: { transaction: { id: string } } }>(
      'txn',
      'create',
      '--stack',
      STACK,
      '--amount',
      '7',
    );
    assert.match(
      created.answer.transaction.id,
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    const east = await json<{ region: string; answer: { count: number } }>('txn', 'read', '--stack', STACK);
    const west = await json<{ region: string; answer: { count: number } }>(
      'txn',
      'read',
      '--stack',
      STACK,
      '--region',
      WEST,
    );
    assert.equal(east.region, EAST);
    assert.equal(west.region, WEST);
    assert.equal(east.answer.count, west.answer.count);
    assert.match(
      (await ok('txn', 'read', '--stack', STACK)).stdout,
      new RegExp(`^${east.answer.count} transactions in stack ${STACK}`),
    );
  });

  it('list: newest first, --limit respected, table on a terminal-less run', async () => {
    await ok('txn', 'create', '--stack', STACK, '--amount', '1.25', '--id', 'e2e-newest');
    const list = await json<{ answer: { transactions: Array<{ id: string }>; limit: number } }>(
      'txn',
      'list',
      '--stack',
      STACK,
      '--limit',
      '2',
      '--region',
      WEST,
    );
    assert.equal(list.answer.transactions.length, 2);
    assert.equal(list.answer.transactions[0]?.id, 'e2e-newest');
    const table = await ok('txn', 'list', '--stack', STACK, '--limit', '1');
    assert.match(
      table.stdout,
      /^ID\s+AMOUNT\s+REGION\s+STATUS\s+TIMESTAMP\ne2e-newest\s+1\.25\s+us-east-1\s+pending/,
    );
  });

  it('get: the row through either region; an unknown id is exit 6 NotFound', async () => {
    const got = await json<{ answer: { transaction: { id: string; amount: string } } }>(
      'txn',
      'get',
      '--stack',
      STACK,
      '--id',
      'e2e-001',
      '--region',
      WEST,
    );
    assert.deepEqual([got.answer.transaction.id, got.answer.transaction.amount], ['e2e-001', '100.50']);
    const missing = await cli('txn', 'get', '--stack', STACK, '--id', 'no-such-id');
    assert.equal(missing.status, 6);
    assert.match(missing.stderr, /No transaction with id "no-such-id"\. \(NotFound\)/);
  });

  it('a bad input makes no call: the local cloud logs no request for it', async () => {
    // AWS calls only: EventBridge's own deliveries (the sweep rules fire every scaled minute) go on.
    const calls = () => cloud.cloud.requests().filter((e) => e.operation !== 'Deliver').length;
    const before = calls();
    const result = await cli('txn', 'create', '--stack', STACK, '--amount', '1.234');
    assert.equal(result.status, 2);
    const missing = await cli('txn', 'list', '--stack', STACK, '--limit', '101');
    assert.equal(missing.status, 2);
    assert.equal(calls(), before);
  });

  it('a stack that was never deployed: exit 2, "run dsqlctl up"', async () => {
    const result = await cli('txn', 'read', '--stack', 'never-deployed');
    assert.equal(result.status, 2);
    assert.match(result.stderr, /Stack "never-deployed" not found — run dsqlctl up --stack never-deployed/);
  });

  it('load: N creates, C in flight, all succeed', async () => {
    const before = await json<{ answer: { count: number } }>('txn', 'read', '--stack', STACK);
    const report = await json<{ succeeded: number; failed: number; throughputPerSecond: number }>(
      'txn',
      'load',
      '--stack',
      STACK,
      '--count',
      '40',
      '--concurrency',
      '8',
    );
    assert.equal(report.succeeded, 40);
    assert.equal(report.failed, 0);
    const afterLoad = await json<{ answer: { count: number } }>('txn', 'read', '--stack', STACK);
    assert.equal(afterLoad.answer.count, before.answer.count + 40);
  });
});

describe('verify on a healthy stack', () => {
  it('consistency passes: every write visible at once in the other region, counts agree', async () => {
    const report = await json<{
      passed: boolean;
      readBacks: Array<{ ok: boolean; writer: string; reader: string }>;
      countsAgree: boolean;
    }>('verify', 'consistency', '--stack', STACK, '--iterations', '3');
    assert.equal(report.passed, true);
    assert.equal(report.readBacks.length, 6);
    assert.ok(report.readBacks.every((c) => c.ok && c.writer !== c.reader));
    assert.equal(report.countsAgree, true);
    const human = await ok('verify', 'consistency', '--stack', STACK, '--regions', `${WEST},${EAST}`);
    assert.match(human.stdout, /^ok {3}#1 write us-west-2 \(\d+ ms\) → read us-east-1/m);
  });

  it("events pass: each region records the other's event, with delivery latency", async () => {
    const report = await json<{
      passed: boolean;
      deliveries: Array<{
        origin: string;
        destination: string;
        delivered: boolean;
        deliveryLatencyMs: number;
      }>;
    }>('verify', 'events', '--stack', STACK, '--timeout', '20s');
    assert.equal(report.passed, true);
    assert.deepEqual(report.deliveries.map((d) => `${d.origin}>${d.destination}`).sort(), [
      `${EAST}>${WEST}`,
      `${WEST}>${EAST}`,
    ]);
    for (const d of report.deliveries) assert.ok(d.delivered && d.deliveryLatencyMs >= 0);
  });
});

describe('verify rows in txn list', () => {
  it('txn list hides the rows verify wrote (id prefix verify-) unless --include-verify', async () => {
    type List = { answer: { transactions: Array<{ id: string }> } };
    const shown = await json<List>('txn', 'list', '--stack', STACK, '--limit', '100');
    assert.ok(shown.answer.transactions.length > 0);
    assert.ok(shown.answer.transactions.every((t) => !t.id.startsWith('verify-')));
    const all = await json<List>('txn', 'list', '--stack', STACK, '--limit', '100', '--include-verify');
    assert.ok(all.answer.transactions.some((t) => t.id.startsWith('verify-consistency-')));
  });
});

/** The committed shapes of every command's JSON; UPDATE_JSON_SHAPES=1 rewrites it (after a version bump; then `npm run format`). */
const SHAPES_FILE = new URL('./json-shapes.json', import.meta.url);

describe('the JSON envelope', () => {
  it("every command's --json keys match the committed shapes of this schemaVersion", async () => {
    const runs: Record<string, string[]> = {
      up: ['up', '--stack', STACK],
      status: ['status', '--stack', STACK],
      stacks: ['stacks'],
      'txn create': ['txn', 'create', '--stack', STACK, '--amount', '1.00', '--id', 'shape-1'],
      'txn read': ['txn', 'read', '--stack', STACK],
      'txn list': ['txn', 'list', '--stack', STACK, '--limit', '2'],
      'txn get': ['txn', 'get', '--stack', STACK, '--id', 'shape-1'],
      'txn load': ['txn', 'load', '--stack', STACK, '--count', '4', '--concurrency', '2'],
      'verify consistency': ['verify', 'consistency', '--stack', STACK],
      'verify events': ['verify', 'events', '--stack', STACK, '--timeout', '20s'],
      verify: ['verify', '--stack', STACK, '--timeout', '20s'],
      'db token': ['db', 'token', '--stack', STACK, '--admin'],
      'local status': ['local', 'status'],
      'local start': ['local', 'start'],
      'local env': ['local', 'env'],
      'iam policy': ['iam', 'policy', '--stack', STACK],
      doctor: ['doctor', '--stack', STACK],
      'down (no such stack)': ['down', '--stack', 'never-deployed', '--yes'],
      'a usage error': ['txn', 'create', '--stack', STACK],
    };
    const shapes: Record<string, Shape> = {};
    for (const [name, args] of Object.entries(runs)) {
      const result = await cli(...args, '--json');
      const body = JSON.parse(result.stdout);
      assert.equal(body.schemaVersion, SCHEMA_VERSION);
      assert.equal(body.exitCode, result.status, name);
      assert.equal(body.target, 'local', name);
      assert.equal(body.status, result.status === 0 ? 'ok' : 'failed', name);
      shapes[name] = shapeOf(body);
    }
    if (process.env.UPDATE_JSON_SHAPES === '1') {
      writeFileSync(SHAPES_FILE, `${JSON.stringify({ schemaVersion: SCHEMA_VERSION, shapes }, null, 2)}\n`);
    }
    const committed = JSON.parse(readFileSync(SHAPES_FILE, 'utf8'));
    assert.equal(
      committed.schemaVersion,
      SCHEMA_VERSION,
      'SCHEMA_VERSION changed: rewrite test/exercise/json-shapes.json (UPDATE_JSON_SHAPES=1)',
    );
    assert.deepEqual(
      shapes,
      committed.shapes,
      'a --json shape changed: bump SCHEMA_VERSION in src/lib/envelope.ts, then rewrite json-shapes.json (UPDATE_JSON_SHAPES=1)',
    );
  });
});

describe('verify on a broken stack', () => {
  it('events: exit 5 when the forwarding rule has no target; up repairs it', async () => {
    const events = client(EventBridgeClient, EAST);
    await events.send(
      new RemoveTargetsCommand({ Rule: `${STACK}-forward`, EventBusName: STACK, Ids: ['peer-bus'] }),
    );
    events.destroy();
    const broken = await cli('verify', 'events', '--stack', STACK, '--timeout', '2s', '--json');
    assert.equal(broken.status, 5, broken.stderr);
    const output = JSON.parse(broken.stdout);
    const report = output.result;
    assert.equal(report.passed, false);
    assert.equal(output.error.exitCode, 5);
    const lost = report.deliveries.find((d: { origin: string }) => d.origin === EAST);
    assert.equal(lost.delivered, false);
    assert.match(lost.problem, /never reached us-west-2/);
    assert.equal(report.deliveries.find((d: { origin: string }) => d.origin === WEST).delivered, true);

    await ok('up', '--stack', STACK);
    await ok('verify', 'events', '--stack', STACK, '--timeout', '20s');
  });

  it("consistency: exit 5 when one region's function reads another database; up repairs it", async () => {
    // A second, single-region stack is a separate database; point the main stack's us-west-2 function at it.
    await ok('up', '--stack', ALT_STACK, '--regions', WEST);
    const lambda = client(LambdaClient, WEST);
    const alt = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: `${ALT_STACK}-txn` }));
    const altVariables = alt.Environment?.Variables ?? {};
    const main = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: `${STACK}-txn` }));
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: `${STACK}-txn`,
        Environment: {
          Variables: {
            ...main.Environment?.Variables,
            DSQL_DATABASE: altVariables.DSQL_DATABASE ?? '',
            DSQL_ENDPOINT: altVariables.DSQL_ENDPOINT ?? '',
            DSQL_PORT: altVariables.DSQL_PORT ?? '',
            DSQL_USER: altVariables.DSQL_USER ?? '',
          },
        },
      }),
    );
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 60 }, { FunctionName: `${STACK}-txn` });
    lambda.destroy();
    // The endpoint lets the main function's IAM role in as the other stack's role only when its policy
    // allows dsql:DbConnect on that cluster (its own policy names its own clusters only) and with a mapping.
    const altHost = altVariables.DSQL_ENDPOINT ?? '';
    const altId = altHost.split('.')[0] ?? '';
    const roleName = main.Role?.split('/').at(-1) ?? '';
    const iam = client(IAMClient, EAST);
    const reachAlt = { RoleName: roleName, PolicyName: 'test-reach-alt-cluster' };
    await iam.send(
      new PutRolePolicyCommand({
        ...reachAlt,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'dsql:DbConnect',
              Resource: `arn:aws:dsql:${WEST}:000000000000:cluster/${altId}`,
            },
          ],
        }),
      }),
    );
    const altAdmin = await connectAsAdmin(
      await fetchDatabaseSettings(cloud.cloud, WEST, altId),
      cloud.cloud.credentials,
    );
    await altAdmin.query(`AWS IAM GRANT ${altVariables.DSQL_USER} TO '${main.Role}'`);
    await altAdmin.end();

    const broken = await cli('verify', 'consistency', '--stack', STACK, '--json');
    assert.equal(broken.status, 5, broken.stderr);
    const report = JSON.parse(broken.stdout).result;
    assert.equal(report.passed, false);
    assert.equal(report.countsAgree, false);
    assert.ok(report.readBacks.every((c: { ok: boolean }) => !c.ok));
    assert.match(report.problems.join('\n'), /written in us-east-1 is not visible in us-west-2/);
    const human = await cli('verify', 'consistency', '--stack', STACK);
    assert.equal(human.status, 5);
    assert.match(human.stderr, /Consistency check failed/);

    await ok('up', '--stack', STACK);
    await ok('verify', 'consistency', '--stack', STACK);
    await iam.send(new DeleteRolePolicyCommand(reachAlt));
    iam.destroy();
  });
});

describe('across a restart of the local cloud', () => {
  it('local stop then local start: the deployed functions still reach their clusters (the endpoint port is kept)', async () => {
    const before = await json<{ count: number }>('txn', 'read', '--stack', STACK, '--region', EAST);
    await ok('local', 'stop');
    await ok('local', 'start');
    const after = await json<{ count: number }>('txn', 'read', '--stack', STACK, '--region', EAST);
    assert.equal(after.count, before.count);
  });
});
