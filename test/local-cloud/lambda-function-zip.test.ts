// The real function zip (lambda-bundle/dist/function.zip, built by `npm run build:code`) deployed on the
// local cloud exactly as `up` deploys it, and invoked against a cluster's database: the local cloud's
// Lambda runs the unmodified bundle, and the bundle's own EventBridge call lands on the local cloud.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateClusterCommand } from '@aws-sdk/client-dsql';
import { CreateEventBusCommand } from '@aws-sdk/client-eventbridge';
import { CreateFunctionCommand, InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { FUNCTION_HANDLER, FUNCTION_RUNTIME, readFunctionZip } from '../../src/lib/bundle.js';
import { connectAsAdmin } from '../../src/lib/dsql-connection.js';
import { FunctionEnv, TRANSACTION_EVENT } from '../../src/lib/function-contract.js';
import {
  fetchDatabaseSettings,
  LOCAL_CREDENTIALS,
  type TestLocalCloud,
} from '../../src/lib/local-cloud/index.js';
import { applyMigrations, ensureFunctionRole, TABLES } from '../../src/lib/schema.js';
import type { DatabaseSettings } from '../../src/lib/target.js';
import { dsql, iam, removeHome, startCloud, waitForStatus } from './helpers.js';
import { createRole, decode, events, lambda, waitForFunction } from './lambda-helpers.js';

const REGION = 'us-east-1';
const DB_ROLE = 'zip_app';
const BUS = 'zip-bus';

describe('local cloud: the function zip against a cluster', () => {
  let cloud: TestLocalCloud;
  let client: LambdaClient;
  let settings: DatabaseSettings;

  before(async () => {
    cloud = await startCloud();
    client = lambda(cloud, REGION);
    const dsqlClient = dsql(cloud, REGION);
    const { identifier = '' } = await dsqlClient.send(
      new CreateClusterCommand({ deletionProtectionEnabled: false }),
    );
    await waitForStatus(dsqlClient, identifier, 'ACTIVE');
    settings = await fetchDatabaseSettings(cloud.endpoint, REGION, identifier);
    const role = await createRole(iam(cloud), 'zip-fn');
    const admin = await connectAsAdmin(settings, LOCAL_CREDENTIALS);
    try {
      await applyMigrations(admin, settings.dialect);
      await ensureFunctionRole(admin, settings.dialect, { roleName: DB_ROLE, iamRoleArn: role });
    } finally {
      await admin.end();
    }
    await events(cloud, REGION).send(new CreateEventBusCommand({ Name: BUS }));
    await client.send(
      new CreateFunctionCommand({
        FunctionName: 'txn',
        Runtime: FUNCTION_RUNTIME,
        Handler: FUNCTION_HANDLER,
        Role: role,
        Timeout: 30,
        MemorySize: 512,
        Code: { ZipFile: await readFunctionZip() },
        Environment: {
          Variables: {
            [FunctionEnv.endpoint]: settings.host,
            [FunctionEnv.port]: String(settings.port),
            [FunctionEnv.database]: settings.database,
            [FunctionEnv.user]: DB_ROLE,
            [FunctionEnv.tlsMode]: settings.ssl ? 'require' : 'disable',
            [FunctionEnv.busName]: BUS,
          },
        },
      }),
    );
    await waitForFunction(client, 'txn', (c) => c.State === 'Active');
  });
  after(async () => {
    await cloud.stop();
    removeHome(cloud.home);
  });

  const invoke = async (payload: unknown) => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: 'txn', Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
    );
    assert.equal(out.FunctionError, undefined, new TextDecoder().decode(out.Payload));
    return decode(out.Payload);
  };

  it('creates a transaction in the cluster database and publishes its event to the local EventBridge', async () => {
    const created = await invoke({ operation: 'create', amount: '12.50', transactionId: 'zip-1' });
    assert.equal(created.ok, true);
    assert.equal(created.created, true);
    assert.equal(created.region, REGION);
    assert.equal(created.eventPublished, true, String(created.eventError));
    assert.equal((created.transaction as { amount: string }).amount, '12.50');

    const admin = await connectAsAdmin(settings, LOCAL_CREDENTIALS);
    try {
      const rows = await admin.query(`SELECT id, amount::text AS amount FROM ${TABLES.transactions}`);
      assert.deepEqual(rows.rows, [{ id: 'zip-1', amount: '12.50' }]);
    } finally {
      await admin.end();
    }
    const put = cloud.requests().filter((e) => e.service === 'events' && e.operation === 'PutEvents');
    assert.deepEqual(
      put.map((e) => [e.region, e.status]),
      [[REGION, 200]],
      `the function published ${TRANSACTION_EVENT.detailType} through AWS_ENDPOINT_URL`,
    );
  });

  it('answers reads and repeats from the warm worker, and bad input as {ok: false}', async () => {
    const again = await invoke({ operation: 'create', amount: '12.50', transactionId: 'zip-1' });
    assert.equal(again.created, false);
    assert.equal((await invoke({ operation: 'count' })).count, 1);
    const got = await invoke({ operation: 'get', transactionId: 'zip-1' });
    assert.equal((got.transaction as { region: string }).region, REGION);
    const bad = await invoke({ operation: 'create', amount: 'twelve' });
    assert.equal(bad.ok, false);
    assert.equal((bad.error as { code: string }).code, 'InvalidAmount');
  });
});
