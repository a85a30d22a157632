/**
 * Single decisions, each checked alone: the function role's policy is least privilege on exact ARNs;
 * CreateFunction is retried, visibly and bounded, while IAM propagation makes the new role
 * unassumable (aws-sdk-client-mock stands in for Lambda for this one decision only; the real path
 * runs against the local cloud in up-down.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CreateClusterCommand,
  DSQLClient,
  GetClusterCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-dsql';
import { GetRoleCommand, IAMClient, TagRoleCommand, UntagRoleCommand } from '@aws-sdk/client-iam';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  LambdaClient,
  ListTagsCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsClients } from '../../src/lib/aws-clients.js';
import { ids } from '../../src/lib/provision/desired.js';
import { clusterClientToken, dsqlCluster } from '../../src/lib/provision/dsql-cluster.js';
import { dsqlPeering } from '../../src/lib/provision/dsql-peering.js';
import { iamRole } from '../../src/lib/provision/iam-role.js';
import { desiredPolicy } from '../../src/lib/provision/iam-role-policy.js';
import { lambdaFunction } from '../../src/lib/provision/lambda-function.js';
import type { Facts, ProvisionContext } from '../../src/lib/provision/types.js';
import { REGIONS_TAG, STACK_TAG, stackNames, WITNESS_TAG } from '../../src/lib/stack.js';

const ACCOUNT = '123456789012';
const CLUSTER_A = `arn:aws:dsql:us-east-1:${ACCOUNT}:cluster/aaaaaaaaaaaaaaaaaaaaaaaaaa`;
const CLUSTER_B = `arn:aws:dsql:us-west-2:${ACCOUNT}:cluster/bbbbbbbbbbbbbbbbbbbbbbbbbb`;
/** Configuration of the SDK clients aws-sdk-client-mock answers for (they never reach a network). */
const OFFLINE = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };

function context(overrides: Partial<ProvisionContext> & { progressLines?: string[] } = {}): ProvisionContext {
  const facts = new Map<string, Facts>([
    [ids.cluster('us-east-1'), { arn: CLUSTER_A, identifier: 'a' }],
    [ids.cluster('us-west-2'), { arn: CLUSTER_B, identifier: 'b' }],
    [ids.functionRole, { arn: `arn:aws:iam::${ACCOUNT}:role/shop-fn` }],
  ]);
  return {
    operation: 'up',
    target: {
      kind: 'aws',
      timeScale: 1,
      lambdaAsyncRetryMs: 60_000,
      clientConfig: () => ({}) as never,
      databaseSettings: async () => ({}) as never,
    },
    clients: {} as AwsClients,
    stack: 'shop',
    topology: { regions: ['us-east-1', 'us-west-2'], witness: 'us-east-2' },
    names: stackNames('shop'),
    account: { account: ACCOUNT, partition: 'aws' },
    facts,
    databaseSettings: new Map([
      [
        'us-east-1',
        {
          host: 'a.dsql.us-east-1.on.aws',
          port: 5432,
          database: 'postgres',
          region: 'us-east-1',
        },
      ],
    ]),
    async record() {},
    progress: (_id, message) => overrides.progressLines?.push(message),
    ...overrides,
  };
}

describe('cluster facts for the other steps', () => {
  it('asks no database settings of a cluster being deleted (its deletion may end before the answer)', async () => {
    const asked: string[] = [];
    const ctx = context({ databaseSettings: new Map() });
    const target = {
      ...ctx.target,
      databaseSettings: async ({ identifier }: { identifier: string }) => {
        asked.push(identifier);
        return {
          host: `${identifier}.dsql.us-west-2.on.aws`,
          port: 5432,
          database: 'postgres',
          region: 'us-west-2',
        };
      },
    };
    const ref = {
      id: ids.cluster('us-west-2'),
      kind: 'dsql-cluster' as const,
      name: 'shop',
      region: 'us-west-2',
    };
    for (const status of ['DELETING', 'PENDING_DELETE', 'DELETED']) {
      await dsqlCluster.recordForOthers?.({ ...ctx, target }, ref, { identifier: 'gone', status });
    }
    assert.deepEqual(asked, []);
    await dsqlCluster.recordForOthers?.({ ...ctx, target }, ref, { identifier: 'b', status: 'ACTIVE' });
    assert.deepEqual(asked, ['b']);
  });
});

describe('least-privilege policies', () => {
  it("the function role may DbConnect (never DbConnectAdmin) to each region's cluster and put to its bus, only as that region's function", () => {
    const doc = desiredPolicy(context(), {
      id: ids.functionRolePolicy,
      kind: 'iam-role-policy',
      name: 'shop-fn',
      region: 'global',
    }) as {
      Statement: Array<{
        Sid: string;
        Action: string | string[];
        Resource: string | string[];
        Condition: unknown;
      }>;
    };
    const text = JSON.stringify(doc);
    assert.doesNotMatch(text, /DbConnectAdmin/);
    assert.doesNotMatch(text, /"\*"/, 'no wildcard resource');
    const only = (region: string) => ({
      ArnEquals: { 'lambda:SourceFunctionArn': `arn:aws:lambda:${region}:${ACCOUNT}:function:shop-txn` },
    });
    const bySid = Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
    for (const [sid, region, action, resource] of [
      ['ConnectUsEast1', 'us-east-1', 'dsql:DbConnect', CLUSTER_A],
      ['ConnectUsWest2', 'us-west-2', 'dsql:DbConnect', CLUSTER_B],
      [
        'PublishUsEast1',
        'us-east-1',
        'events:PutEvents',
        `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/shop`,
      ],
      [
        'PublishUsWest2',
        'us-west-2',
        'events:PutEvents',
        `arn:aws:events:us-west-2:${ACCOUNT}:event-bus/shop`,
      ],
    ] as const) {
      assert.deepEqual(bySid[sid], {
        Sid: sid,
        Effect: 'Allow',
        Action: action,
        Resource: resource,
        Condition: only(region),
      });
    }
  });

  it("each region's events role may put only to the peer's bus", () => {
    for (const [region, peer] of [
      ['us-east-1', 'us-west-2'],
      ['us-west-2', 'us-east-1'],
    ] as const) {
      const doc = desiredPolicy(context(), {
        id: ids.eventsRolePolicy(region),
        kind: 'iam-role-policy',
        name: `shop-events-${region}`,
        region: 'global',
      });
      assert.deepEqual(doc, {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ForwardToPeerBus',
            Effect: 'Allow',
            Action: 'events:PutEvents',
            Resource: `arn:aws:events:${peer}:${ACCOUNT}:event-bus/shop`,
          },
        ],
      });
    }
  });

  it('is not written while a cluster ARN is unknown', () => {
    const ctx = context();
    ctx.facts.delete(ids.cluster('us-west-2'));
    assert.equal(
      desiredPolicy(ctx, {
        id: ids.functionRolePolicy,
        kind: 'iam-role-policy',
        name: 'shop-fn',
        region: 'global',
      }),
      undefined,
    );
  });
});

describe('cluster client token', () => {
  const input = { deletionProtectionEnabled: true, multiRegionProperties: { witnessRegion: 'us-east-2' } };
  it('is deterministic per stack, region and request, and differs between them', () => {
    const token = clusterClientToken('shop', 'us-east-1', input);
    assert.equal(token, clusterClientToken('shop', 'us-east-1', structuredClone(input)));
    assert.notEqual(token, clusterClientToken('shop', 'us-west-2', input));
    assert.notEqual(token, clusterClientToken('shop2', 'us-east-1', input));
    assert.match(token, /^[!-~]{1,128}$/);
  });

  it('differs when the request does (AWS refuses a token reused with other parameters)', () => {
    const token = clusterClientToken('shop', 'us-west-2', input);
    const peered = { ...input, multiRegionProperties: { witnessRegion: 'us-east-2', clusters: [CLUSTER_A] } };
    assert.notEqual(token, clusterClientToken('shop', 'us-west-2', peered));
    const otherWitness = { ...input, multiRegionProperties: { witnessRegion: 'ca-central-1' } };
    assert.notEqual(token, clusterClientToken('shop', 'us-west-2', otherWitness));
  });
});

describe('cluster creation after a down', () => {
  it('a token that replays a deleted cluster is followed by a create with a fresh token', async (t) => {
    // AWS answers a known token with the original answer (status PENDING_SETUP), even after `down`
    // deleted that cluster; only GetCluster shows it is gone.
    const previous = process.env.DSQLCTL_WAIT_TIMEOUT_SECONDS;
    process.env.DSQLCTL_WAIT_TIMEOUT_SECONDS = '1';
    t.after(() => {
      if (previous === undefined) delete process.env.DSQLCTL_WAIT_TIMEOUT_SECONDS;
      else process.env.DSQLCTL_WAIT_TIMEOUT_SECONDS = previous;
    });
    const dsql = new DSQLClient(OFFLINE);
    const mock = mockClient(dsql);
    const NEW = `arn:aws:dsql:us-east-1:${ACCOUNT}:cluster/nnnnnnnnnnnnnnnnnnnnnnnnnn`;
    mock
      .on(CreateClusterCommand)
      .resolvesOnce({ identifier: 'old', arn: CLUSTER_A, status: 'PENDING_SETUP' } as never)
      .resolvesOnce({ identifier: 'new', arn: NEW, status: 'CREATING' } as never);
    mock.on(GetClusterCommand, { identifier: 'old' }).rejects(
      new ResourceNotFoundException({
        message: 'Cluster not found',
        $metadata: {},
        resourceId: 'old',
        resourceType: 'cluster',
      }),
    );
    mock.on(GetClusterCommand, { identifier: 'new' }).resolves({
      identifier: 'new',
      arn: NEW,
      status: 'CREATING',
      deletionProtectionEnabled: true,
      tags: { 'dsqlctl:stack': 'shop' },
    } as never);
    const ctx = context({ clients: { dsql: () => dsql } as unknown as AwsClients });
    const ref = {
      id: ids.cluster('us-east-1'),
      kind: 'dsql-cluster' as const,
      name: 'c',
      region: 'us-east-1',
    };
    const facts = await dsqlCluster.converge(ctx, ref, { state: 'absent' });
    assert.equal(facts.identifier, 'new');
    const tokens = mock.commandCalls(CreateClusterCommand).map((c) => c.args[0].input.clientToken);
    assert.equal(tokens.length, 2);
    assert.notEqual(tokens[0], tokens[1]);
  });
});

describe('clusters at rest', () => {
  // AWS scales a quiet cluster down to IDLE, then to INACTIVE; only a connection wakes it. Neither
  // is drift, and waiting for ACTIVE there would never end.
  for (const status of ['IDLE', 'INACTIVE']) {
    it(`a lone ${status} cluster is in sync`, () => {
      const ctx = context({ topology: { regions: ['us-east-1'] } });
      const cluster = { identifier: 'a', arn: CLUSTER_A, status, deletionProtectionEnabled: true } as never;
      const decision = dsqlCluster.diff(
        ctx,
        { id: ids.cluster('us-east-1'), kind: 'dsql-cluster', name: 'cluster of shop', region: 'us-east-1' },
        { state: 'present', value: cluster, facts: {}, status },
      );
      assert.equal(decision.action, 'noop');
    });

    it(`a peered pair at rest (${status}) needs no peering step`, () => {
      const ctx = context();
      ctx.facts.set(ids.cluster('us-east-1'), {
        arn: CLUSTER_A,
        identifier: 'a',
        status,
        peers: [CLUSTER_B],
      });
      ctx.facts.set(ids.cluster('us-west-2'), {
        arn: CLUSTER_B,
        identifier: 'b',
        status,
        peers: [CLUSTER_A],
      });
      const ref = { id: ids.peering, kind: 'dsql-peering' as const, name: 'peering', region: 'global' };
      assert.equal(
        dsqlPeering.diff(ctx, ref, { state: 'present', value: null, facts: {}, status }).action,
        'noop',
      );
    });
  }
});

describe('IAM propagation', () => {
  it('CreateFunction is retried while the new role cannot be assumed, and the operator is told', async () => {
    const lambda = new LambdaClient(OFFLINE);
    const mock = mockClient(lambda);
    const notYet = new InvalidParameterValueException({
      message: 'The role defined for the function cannot be assumed by Lambda.',
      $metadata: {},
    });
    mock
      .on(CreateFunctionCommand)
      .rejectsOnce(notYet)
      .rejectsOnce(notYet)
      .resolves({ FunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:shop-txn` });
    mock.on(GetFunctionConfigurationCommand).resolves({ State: 'Active', LastUpdateStatus: 'Successful' });
    // Before each retry the role is checked: "not assumable" is also what a deleted role says.
    const iam = new IAMClient(OFFLINE);
    const iamMock = mockClient(iam);
    iamMock.on(GetRoleCommand).resolves({});
    const progressLines: string[] = [];
    const ctx = context({
      progressLines,
      clients: { lambda: () => lambda, iam: () => iam } as unknown as AwsClients,
      functionCode: { zip: new Uint8Array([1, 2, 3]), sha256: 'x' },
    });
    const facts = await lambdaFunction.converge(
      ctx,
      { id: ids.function('us-east-1'), kind: 'lambda-function', name: 'shop-txn', region: 'us-east-1' },
      { state: 'absent' },
    );
    assert.equal(facts.arn, `arn:aws:lambda:us-east-1:${ACCOUNT}:function:shop-txn`);
    assert.equal(mock.commandCalls(CreateFunctionCommand).length, 3);
    assert.equal(iamMock.commandCalls(GetRoleCommand).length, 2);
    assert.equal(
      progressLines.filter((l) => /not assumable by Lambda yet \(IAM propagation\); retrying/.test(l)).length,
      2,
    );
  });
});

describe('function ownership', () => {
  it('reads the tags with ListTags when GetFunction leaves them out (no lambda:ListTags allow)', async () => {
    const lambda = new LambdaClient(OFFLINE);
    const mock = mockClient(lambda);
    const arn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:shop-txn`;
    mock.on(GetFunctionCommand).resolves({ Configuration: { FunctionArn: arn, State: 'Active' } });
    mock.on(ListTagsCommand, { Resource: arn }).resolves({ Tags: { 'dsqlctl:stack': 'shop' } });
    const ctx = context({ clients: { lambda: () => lambda } as unknown as AwsClients });
    const observed = await lambdaFunction.observe(ctx, {
      id: ids.function('us-east-1'),
      kind: 'lambda-function',
      name: 'shop-txn',
      region: 'us-east-1',
    });
    assert.equal(observed.state, 'present');
    // The mock's call log: ListTags was asked, once, for the function GetFunction named.
    assert.deepEqual(
      mock.commandCalls(ListTagsCommand).map((call) => call.args[0].input),
      [{ Resource: arn }],
    );
  });
});

describe('function role tags', () => {
  it('a stale witness tag is removed and a wrong regions tag rewritten, exactly as the plan says', async () => {
    const iam = new IAMClient(OFFLINE);
    const mock = mockClient(iam);
    mock.on(TagRoleCommand).resolves({});
    mock.on(UntagRoleCommand).resolves({});
    // The stack became one region: the role still says two, with a witness.
    const ctx = context({
      topology: { regions: ['us-east-1'] },
      clients: { iam: () => iam } as unknown as AwsClients,
    });
    const ref = { id: ids.functionRole, kind: 'iam-role' as const, name: 'shop-fn', region: 'global' };
    const trust = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
        },
      ],
    };
    const observed = {
      state: 'present' as const,
      value: {
        arn: `arn:aws:iam::${ACCOUNT}:role/shop-fn`,
        trust,
        tags: { [STACK_TAG]: 'shop', [REGIONS_TAG]: 'us-east-1 us-west-2', [WITNESS_TAG]: 'us-east-2' },
      },
      facts: {},
      status: 'exists',
    };
    assert.deepEqual(iamRole.diff(ctx, ref, observed), {
      action: 'update',
      reason: `tags differ (${REGIONS_TAG}, ${WITNESS_TAG})`,
    });
    await iamRole.converge(ctx, ref, observed);
    assert.deepEqual(
      mock.commandCalls(TagRoleCommand).map((c) => c.args[0].input.Tags),
      [[{ Key: REGIONS_TAG, Value: 'us-east-1' }]],
    );
    assert.deepEqual(
      mock.commandCalls(UntagRoleCommand).map((c) => c.args[0].input.TagKeys),
      [[WITNESS_TAG]],
    );
  });
});
