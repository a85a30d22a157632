// The DSQL endpoint asks the identity gate who signed a token and whether that principal may connect:
// an operator limited to a policy that denies dsql:DbConnectAdmin on one region's clusters is refused
// there (28000, naming its user ARN and the cluster's ARN) and let in elsewhere; a token signed with a
// key the credential store never issued is refused as a failed password.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateClusterCommand } from '@aws-sdk/client-dsql';
import { dsql, FAST, removeHome, tempHome, waitForStatus } from '../../scripts/lib/local-cloud.js';
import { connectAsAdmin } from '../../src/lib/dsql-connection.js';
import { fetchDatabaseSettings } from '../../src/lib/local-cloud/index.js';
import { startTestLocalCloud, type TestLocalCloud } from '../../src/lib/local-cloud/testing.js';

const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['dsql:*', 'iam:CreateServiceLinkedRole'], Resource: '*' },
    { Effect: 'Deny', Action: 'dsql:DbConnectAdmin', Resource: 'arn:aws:dsql:us-west-2:*:cluster/*' },
  ],
});

describe('local cloud: the DSQL endpoint authorizes through the identity gate', () => {
  let cloud: TestLocalCloud;
  const identifiers: Record<string, string> = {};

  before(async () => {
    cloud = await startTestLocalCloud({ home: tempHome(), faults: FAST, operatorPolicy: POLICY });
    for (const region of ['us-east-1', 'us-west-2']) {
      const created = await dsql(cloud, region).send(
        new CreateClusterCommand({ deletionProtectionEnabled: false }),
      );
      identifiers[region] = created.identifier ?? '';
      await waitForStatus(dsql(cloud, region), identifiers[region] ?? '', 'ACTIVE');
    }
  });
  after(async () => {
    await cloud.stop();
    removeHome(cloud.home);
  });

  it('lets the operator in where its policy allows dsql:DbConnectAdmin', async () => {
    const settings = await fetchDatabaseSettings(cloud, 'us-east-1', identifiers['us-east-1'] ?? '');
    const client = await connectAsAdmin(settings, cloud.credentials);
    assert.deepEqual((await client.query('SELECT current_user AS u')).rows, [{ u: 'admin' }]);
    await client.end();
  });

  it('refuses it with 28000 where the policy denies it, naming the principal and the cluster', async () => {
    const id = identifiers['us-west-2'] ?? '';
    const settings = await fetchDatabaseSettings(cloud, 'us-west-2', id);
    await assert.rejects(connectAsAdmin(settings, cloud.credentials), (error: Error & { code?: string }) => {
      assert.equal(error.code, '28000');
      assert.match(
        error.message,
        new RegExp(
          `arn:aws:iam::000000000000:user/dsqlctl-operator is not authorized to perform dsql:DbConnectAdmin on arn:aws:dsql:us-west-2:000000000000:cluster/${id}`,
        ),
      );
      return true;
    });
  });

  it('refuses a token signed with a key the local cloud never issued', async () => {
    const settings = await fetchDatabaseSettings(cloud, 'us-east-1', identifiers['us-east-1'] ?? '');
    const stranger = { accessKeyId: 'AKIASTRANGERKEY00000', secretAccessKey: 'not-ours' };
    await assert.rejects(connectAsAdmin(settings, stranger), (error: Error & { code?: string }) => {
      assert.equal(error.code, '28P01');
      assert.match(error.message, /unknown access key AKIASTRANGERKEY00000/);
      return true;
    });
  });
});
