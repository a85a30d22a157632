// SQL on a local cluster's database through the one connection path dsqlctl uses on AWS too
// (dsql-connection.ts: an IAM token minted per connection, only the settings differ).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateClusterCommand, DeleteClusterCommand } from '@aws-sdk/client-dsql';
import type pg from 'pg';
import { dsql, FAST, removeHome, startPrivateCloud, waitForStatus } from '../../scripts/lib/local-cloud.js';
import { connectAsAdmin } from '../../src/lib/dsql-connection.js';
import { fetchDatabaseSettings } from '../../src/lib/local-cloud/index.js';
import type { TestLocalCloud } from '../../src/lib/local-cloud/testing.js';
import type { DatabaseSettings } from '../../src/lib/target.js';

describe('local cloud: SQL on a cluster', () => {
  let cloud: TestLocalCloud;
  let identifier: string;
  let settings: DatabaseSettings;
  const open: pg.Client[] = [];
  const connect = async () => {
    const client = await connectAsAdmin(settings, cloud.credentials);
    // Deleting the cluster ends every connection: idle ones report it as an 'error' event.
    client.on('error', () => undefined);
    open.push(client);
    return client;
  };

  before(async () => {
    cloud = (await startPrivateCloud(FAST)).cloud;
    const created = await dsql(cloud).send(new CreateClusterCommand({ deletionProtectionEnabled: false }));
    identifier = created.identifier ?? '';
    await waitForStatus(dsql(cloud), identifier, 'ACTIVE');
    settings = await fetchDatabaseSettings(cloud, 'us-east-1', identifier);
  });
  after(async () => {
    for (const client of open) await client.end().catch(() => undefined);
    await cloud.stop();
    removeHome(cloud.home);
  });

  it('connects as admin (not a superuser, as on DSQL) to database postgres, at Repeatable Read by default', async () => {
    const client = await connect();
    const { rows } = await client.query(
      "SELECT current_user AS user, current_database() AS db, current_setting('default_transaction_isolation') AS iso, " +
        '(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS super',
    );
    assert.deepEqual(rows[0], { user: 'admin', db: rows[0].db, iso: 'repeatable read', super: false });
    assert.equal(settings.database, 'postgres');
  });

  it('makes the second of two conflicting writers fail with SQLSTATE 40001', async () => {
    const setup = await connect();
    await setup.query('CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)');
    await setup.query('INSERT INTO accounts VALUES (1, 100)');
    const [first, second] = [await connect(), await connect()];
    await first.query('BEGIN');
    await second.query('BEGIN');
    assert.equal((await first.query('SELECT balance FROM accounts WHERE id = 1')).rows[0].balance, 100);
    assert.equal((await second.query('SELECT balance FROM accounts WHERE id = 1')).rows[0].balance, 100);
    await second.query('UPDATE accounts SET balance = balance - 10 WHERE id = 1');
    await second.query('COMMIT');
    await assert.rejects(
      first.query('UPDATE accounts SET balance = balance - 20 WHERE id = 1'),
      (error: Error & { code?: string }) => error.code === '40001',
    );
    await first.query('ROLLBACK');
    assert.equal((await setup.query('SELECT balance FROM accounts WHERE id = 1')).rows[0].balance, 90);
  });

  it('drops the database when the cluster is deleted, ending open connections', async () => {
    const client = await connect();
    await dsql(cloud).send(new DeleteClusterCommand({ identifier }));
    await waitForStatus(dsql(cloud), identifier, 'ResourceNotFoundException');
    await assert.rejects(client.query('SELECT 1'));
    await assert.rejects(
      connectAsAdmin(settings, cloud.credentials),
      (error: Error & { code?: string }) =>
        error.code === '28000' && /no cluster endpoint is named/.test(error.message),
    );
  });
});
