// The real function zip (lambda-bundle/dist/function.zip, built by `npm run build:code`) deployed on the
// local cloud exactly as `up` deploys it, and invoked against a cluster's database: the local cloud's
// Lambda runs the unmodified bundle, and the bundle's own EventBridge call lands on the local cloud.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { FAST, removeHome, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { decode, deployTransactionFunction } from '../../scripts/lib/local-lambda.js';
import { connectAsAdmin } from '../../src/lib/dsql-connection.js';
import { TRANSACTION_EVENT } from '../../src/lib/function-contract.js';
import type { TestLocalCloud } from '../../src/lib/local-cloud/testing.js';
import { TABLES } from '../../src/lib/schema.js';
import type { DatabaseSettings } from '../../src/lib/target.js';

const REGION = 'us-east-1';
const DB_ROLE = 'zip_app';
const BUS = 'zip-bus';

describe('local cloud: the function zip against a cluster', () => {
  let cloud: TestLocalCloud;
  let client: LambdaClient;
  let settings: DatabaseSettings;

  before(async () => {
    cloud = (await startPrivateCloud(FAST)).cloud;
    ({ settings, client } = await deployTransactionFunction(cloud, {
      region: REGION,
      name: 'txn',
      dbRole: DB_ROLE,
      bus: BUS,
    }));
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

    const admin = await connectAsAdmin(settings, cloud.credentials);
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
