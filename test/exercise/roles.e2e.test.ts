/**
 * The function's and the events roles' policies, proven on the local target through the real SDK: the
 * deployed documents are scoped (no `*`, no DbConnectAdmin, each region's function only its own cluster,
 * bus and log group; each events role only the peer's bus), sufficient (the lifecycle works) and minimal:
 * each statement removed in turn breaks the operation it exists for. A statement this table does not
 * know is a failure too (the policy grew without a proof). Trust policies: a wrong aws:SourceAccount
 * or aws:SourceArn keeps the service from assuming the role, visibly; `status` reports the drift and
 * `up` converges it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { type CliResult, onCloud } from '../support/cli.js';

const STACK = 'roles-e2e';
const REGIONS = ['us-east-1', 'us-west-2'] as const;
const [EAST, WEST] = REGIONS;
const ACCOUNT = '000000000000';
const FN_ROLE = `${STACK}-fn`;
const eventsRole = (region: string) => `${STACK}-events-${region}`;
const functionArn = (region: string) => `arn:aws:lambda:${region}:${ACCOUNT}:function:${STACK}-txn`;
const busArn = (region: string) => `arn:aws:events:${region}:${ACCOUNT}:event-bus/${STACK}`;

interface Statement {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
}
interface Document {
  Version: string;
  Statement: Statement[];
}

let cloud: PrivateCloud;
let iam: IAMClient;
const list = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);

const { cli, ok, client } = onCloud(() => cloud);

async function policyOf(roleName: string): Promise<Document> {
  const { PolicyDocument } = await iam.send(
    new GetRolePolicyCommand({ RoleName: roleName, PolicyName: roleName }),
  );
  return JSON.parse(decodeURIComponent(PolicyDocument ?? '')) as Document;
}

async function trustOf(roleName: string): Promise<Document> {
  const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
  return JSON.parse(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? '')) as Document;
}

const putPolicy = (roleName: string, document: Document) =>
  iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: roleName,
      PolicyDocument: JSON.stringify(document),
    }),
  );

const without = (document: Document, sid: string): Document => ({
  ...document,
  Statement: document.Statement.filter((s) => s.Sid !== sid),
});

let coldStarts = 0;
/** A configuration update: the function's next invocation runs in new environments (new connections, a new role session). */
async function coldStart(region: string): Promise<void> {
  const lambda = client(LambdaClient, region);
  const FunctionName = `${STACK}-txn`;
  await lambda.send(
    new UpdateFunctionConfigurationCommand({ FunctionName, Description: `cold start ${++coldStarts}` }),
  );
  await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 60 }, { FunctionName });
  lambda.destroy();
}

async function create(region: string): Promise<CliResult> {
  return cli('txn', 'create', '--stack', STACK, '--region', region, '--amount', '1', '--json');
}

async function logEventCount(region: string): Promise<number> {
  const logs = client(CloudWatchLogsClient, region);
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: `/aws/lambda/${STACK}-txn`,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    count += page.events?.length ?? 0;
    nextToken = page.nextToken;
  } while (nextToken);
  logs.destroy();
  return count;
}

const regionOfSid = (sid: string) =>
  REGIONS.find((r) =>
    sid.endsWith(
      r
        .split('-')
        .map((p) => p[0]?.toUpperCase() + p.slice(1))
        .join(''),
    ),
  ) as string;

/** What breaks without each statement of the function's policy (by Sid prefix), asserted for `region`. */
const functionNeeds: Record<string, (region: string) => Promise<void>> = {
  async Connect(region) {
    await coldStart(region);
    const result = await create(region);
    assert.notEqual(result.status, 0, 'txn create fails without dsql:DbConnect');
    assert.match(
      `${result.stdout}${result.stderr}`,
      /dsql:DbConnect/,
      'the refused connection names the action',
    );
  },
  async Publish(region) {
    const result = await ok('txn', 'create', '--stack', STACK, '--region', region, '--amount', '1', '--json');
    const answer = JSON.parse(result.stdout).result.answer;
    assert.equal(answer.created, true, 'the transaction itself is written');
    assert.equal(answer.eventPublished, false);
    assert.match(String(answer.eventError), /AccessDenied/);
    assert.match(String(answer.eventError), /events:PutEvents/);
  },
  async Logs(region) {
    const before = await logEventCount(region);
    await ok('txn', 'create', '--stack', STACK, '--region', region, '--amount', '1');
    assert.equal(await logEventCount(region), before, 'no log line reaches the group');
  },
};

before(async () => {
  cloud = await startPrivateCloud();
  iam = client(IAMClient, EAST);
  await ok('up', '--stack', STACK);
});

after(async () => {
  await cli('down', '--yes', '--stack', STACK);
  iam?.destroy();
  await cloud?.stop();
});

describe("the function's and the events roles' policies", () => {
  it('are scoped: no *, never DbConnectAdmin, each region only its own cluster, bus and log group, through its own function', async () => {
    const fn = await policyOf(FN_ROLE);
    for (const s of fn.Statement) {
      assert.ok(!list(s.Action).includes('dsql:DbConnectAdmin'), s.Sid);
      for (const resource of list(s.Resource)) {
        assert.notEqual(resource, '*', s.Sid);
        const region = resource.split(':')[3];
        assert.deepEqual(
          s.Condition,
          { ArnEquals: { 'lambda:SourceFunctionArn': functionArn(region ?? '') } },
          s.Sid,
        );
      }
    }
    for (const region of REGIONS) {
      const peer = region === EAST ? WEST : EAST;
      assert.deepEqual((await policyOf(eventsRole(region))).Statement, [
        { Sid: 'ForwardToPeerBus', Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn(peer) },
      ]);
      const trust = (await trustOf(eventsRole(region))).Statement[0];
      assert.deepEqual(trust?.Condition, {
        StringEquals: { 'aws:SourceAccount': ACCOUNT },
        ArnEquals: { 'aws:SourceArn': `arn:aws:events:${region}:${ACCOUNT}:rule/${STACK}/${STACK}-forward` },
      });
    }
    assert.deepEqual((await trustOf(FN_ROLE)).Statement[0]?.Condition, {
      StringEquals: { 'aws:SourceAccount': ACCOUNT },
    });
  });

  it('are sufficient: creates in both regions publish their events, log, and verify events passes', async () => {
    for (const region of REGIONS) {
      const logged = await logEventCount(region);
      const result = await ok(
        'txn',
        'create',
        '--stack',
        STACK,
        '--region',
        region,
        '--amount',
        '1',
        '--json',
      );
      assert.equal(JSON.parse(result.stdout).result.answer.eventPublished, true);
      assert.ok((await logEventCount(region)) > logged, `the ${region} function's lines reach its log group`);
    }
    await ok('verify', 'events', '--stack', STACK, '--timeout', '20s');
  });

  it("are minimal: each statement of the function's policy removed breaks what it is for; status sees the drift, up converges it", async () => {
    const full = await policyOf(FN_ROLE);
    let first = true;
    for (const statement of full.Statement) {
      const kind = Object.keys(functionNeeds).find((k) => statement.Sid.startsWith(k));
      assert.ok(kind, `no proof that statement ${statement.Sid} is needed: the policy is not minimal`);
      const region = regionOfSid(statement.Sid);
      assert.ok(region, statement.Sid);
      await putPolicy(FN_ROLE, without(full, statement.Sid));
      await functionNeeds[kind]?.(region);
      if (first) {
        // The drift is visible, and `up` restores exactly the desired document.
        const status = await cli('status', '--stack', STACK, '--json');
        assert.match(status.stdout, /policy document differs/);
        await ok('up', '--stack', STACK);
        assert.deepEqual(await policyOf(FN_ROLE), full);
        first = false;
      } else {
        await putPolicy(FN_ROLE, full);
      }
    }
  });

  it("are minimal: an events role without events:PutEvents on the peer's bus forwards nothing, and verify events exits 5", async () => {
    for (const region of REGIONS) {
      const peer = region === EAST ? WEST : EAST;
      const full = await policyOf(eventsRole(region));
      await putPolicy(eventsRole(region), without(full, 'ForwardToPeerBus'));
      const broken = await cli('verify', 'events', '--stack', STACK, '--timeout', '2s', '--json');
      assert.equal(broken.status, 5, broken.stderr);
      const deliveries = JSON.parse(broken.stdout).result.deliveries as {
        origin: string;
        delivered: boolean;
        problem?: string;
      }[];
      const lost = deliveries.find((d) => d.origin === region);
      assert.equal(lost?.delivered, false);
      assert.match(String(lost?.problem), new RegExp(`never reached ${peer}`));
      assert.equal(
        deliveries.find((d) => d.origin === peer)?.delivered,
        true,
        'the other direction still works',
      );
      await putPolicy(eventsRole(region), full);
    }
    await ok('verify', 'events', '--stack', STACK, '--timeout', '20s');
  });
});

describe('trust policies against the confused deputy', () => {
  it("a function role trusting another account's Lambda cannot be assumed: txn create fails naming it; up converges", async () => {
    const trust = await trustOf(FN_ROLE);
    const other = structuredClone(trust);
    (other.Statement[0] as Statement).Condition = { StringEquals: { 'aws:SourceAccount': '111111111111' } };
    await iam.send(
      new UpdateAssumeRolePolicyCommand({ RoleName: FN_ROLE, PolicyDocument: JSON.stringify(other) }),
    );
    await coldStart(EAST);
    const refused = await create(EAST);
    assert.notEqual(refused.status, 0);
    assert.match(`${refused.stdout}${refused.stderr}`, /cannot be assumed by Lambda/);
    const status = await cli('status', '--stack', STACK, '--json');
    assert.match(status.stdout, /trust policy differs/);
    await ok('up', '--stack', STACK);
    assert.deepEqual(await trustOf(FN_ROLE), trust);
    assert.equal((await create(EAST)).status, 0);
  });

  it('an events role trusting another rule (aws:SourceArn) is not assumed: the event never arrives, verify events exits 5', async () => {
    const role = eventsRole(EAST);
    const trust = await trustOf(role);
    const other = structuredClone(trust);
    (other.Statement[0] as Statement).Condition = {
      StringEquals: { 'aws:SourceAccount': ACCOUNT },
      ArnEquals: { 'aws:SourceArn': `arn:aws:events:${EAST}:${ACCOUNT}:rule/${STACK}/another-rule` },
    };
    await iam.send(
      new UpdateAssumeRolePolicyCommand({ RoleName: role, PolicyDocument: JSON.stringify(other) }),
    );
    const broken = await cli('verify', 'events', '--stack', STACK, '--timeout', '2s', '--json');
    assert.equal(broken.status, 5, broken.stderr);
    const deliveries = JSON.parse(broken.stdout).result.deliveries as {
      origin: string;
      delivered: boolean;
    }[];
    assert.equal(deliveries.find((d) => d.origin === EAST)?.delivered, false);
    await ok('up', '--stack', STACK);
    assert.deepEqual(await trustOf(role), trust);
    await ok('verify', 'events', '--stack', STACK, '--timeout', '20s');
  });
});
