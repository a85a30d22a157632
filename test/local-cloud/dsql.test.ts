// DSQL control plane (restJson1) through the real SDK client over HTTP: every operation, its errors,
// the state machine with witness validation, two-sided peering, peered deletion, deletion protection,
// clientToken idempotency.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ConflictException,
  CreateClusterCommand,
  DeleteClusterCommand,
  type DSQLClient,
  GetClusterCommand,
  ListClustersCommand,
  ListTagsForResourceCommand,
  paginateListClusters,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateClusterCommand,
  ValidationException,
} from '@aws-sdk/client-dsql';
import { dsql, FAST, removeHome, startPrivateCloud, waitForStatus } from '../../scripts/lib/local-cloud.js';
import { connectAsAdmin } from '../../src/lib/dsql-connection.js';
import { fetchDatabaseSettings } from '../../src/lib/local-cloud/index.js';
import type { TestLocalCloud } from '../../src/lib/local-cloud/testing.js';

describe('local cloud: DSQL', () => {
  let cloud: TestLocalCloud;
  let east: DSQLClient;
  let west: DSQLClient;
  before(async () => {
    cloud = (await startPrivateCloud(FAST)).cloud;
    east = dsql(cloud, 'us-east-1');
    west = dsql(cloud, 'us-west-2');
  });
  after(async () => {
    await cloud.stop();
    removeHome(cloud.home);
  });

  /** Creates an unprotected single-region cluster and waits for ACTIVE. */
  async function activeCluster(client: DSQLClient, tags: Record<string, string> = {}) {
    const created = await client.send(new CreateClusterCommand({ deletionProtectionEnabled: false, tags }));
    await waitForStatus(client, created.identifier ?? '', 'ACTIVE');
    return created;
  }

  it('creates a single-region cluster: CREATING, then ACTIVE, with AWS-shaped fields', async () => {
    const created = await east.send(new CreateClusterCommand({ tags: { 'dsqlctl:stack': 'shop' } }));
    assert.equal(created.status, 'CREATING');
    assert.match(created.identifier ?? '', /^[a-z0-9]{26}$/);
    assert.equal(created.arn, `arn:aws:dsql:us-east-1:000000000000:cluster/${created.identifier}`);
    assert.equal(created.deletionProtectionEnabled, true, 'the service default is protection on');
    assert.ok(created.creationTime instanceof Date);
    await waitForStatus(east, created.identifier ?? '', 'ACTIVE');
    const got = await east.send(new GetClusterCommand({ identifier: created.identifier }));
    assert.equal(got.endpoint, `${created.identifier}.dsql.us-east-1.on.aws`);
    assert.deepEqual(got.tags, { 'dsqlctl:stack': 'shop' });
    assert.equal(got.multiRegionProperties, undefined);
    assert.equal(got.encryptionDetails?.encryptionStatus, 'ENABLED');
    // A cluster is visible only in its own region.
    await assert.rejects(
      west.send(new GetClusterCommand({ identifier: created.identifier })),
      ResourceNotFoundException,
    );
  });

  it('answers ResourceNotFoundException for unknown clusters on every operation', async () => {
    const identifier = 'a'.repeat(26);
    const resourceArn = `arn:aws:dsql:us-east-1:000000000000:cluster/${identifier}`;
    for (const command of [
      new GetClusterCommand({ identifier }),
      new UpdateClusterCommand({ identifier, deletionProtectionEnabled: false }),
      new DeleteClusterCommand({ identifier }),
      new TagResourceCommand({ resourceArn, tags: { a: 'b' } }),
      new UntagResourceCommand({ resourceArn, tagKeys: ['a'] }),
      new ListTagsForResourceCommand({ resourceArn }),
    ]) {
      await assert.rejects(
        east.send(command as Parameters<DSQLClient['send']>[0]),
        (error: Error) =>
          error instanceof ResourceNotFoundException &&
          error.resourceId === identifier &&
          error.resourceType === 'cluster',
      );
    }
  });

  it('lists identifiers and ARNs only, paginated', async () => {
    const region = dsql(cloud, 'ca-central-1');
    const made = [];
    for (let i = 0; i < 3; i++)
      made.push(await region.send(new CreateClusterCommand({ deletionProtectionEnabled: false })));
    const first = await region.send(new ListClustersCommand({ maxResults: 2 }));
    assert.equal(first.clusters?.length, 2);
    assert.ok(first.nextToken);
    assert.deepEqual(Object.keys(first.clusters?.[0] ?? {}).sort(), ['arn', 'identifier']);
    const all = [];
    for await (const page of paginateListClusters({ client: region, pageSize: 2 }, {}))
      all.push(...(page.clusters ?? []));
    assert.deepEqual(
      all.map((c) => c.identifier),
      made.map((c) => c.identifier),
    );
  });

  it('answers a first ListClusters page of 20 by default, as the model does', async () => {
    // 20 single-region clusters (the quota) and one multi-region: 21 in the region.
    const region = dsql(cloud, 'ap-northeast-1');
    await Promise.all(
      Array.from({ length: 20 }, () =>
        region.send(new CreateClusterCommand({ deletionProtectionEnabled: false })),
      ),
    );
    await region.send(
      new CreateClusterCommand({ multiRegionProperties: { witnessRegion: 'ap-northeast-2' } }),
    );
    const first = await region.send(new ListClustersCommand({}));
    assert.equal(first.clusters?.length, 20);
    assert.ok(first.nextToken);
    const second = await region.send(new ListClustersCommand({ nextToken: first.nextToken }));
    assert.equal(second.clusters?.length, 1);
    assert.equal(second.nextToken, undefined);
  });

  it('resumes a listing after the last listed cluster even when that cluster is gone', async () => {
    const region = dsql(cloud, 'ap-south-1');
    const made = [];
    for (let i = 0; i < 4; i++) {
      made.push(await region.send(new CreateClusterCommand({ deletionProtectionEnabled: false })));
      await new Promise((r) => setTimeout(r, 2)); // distinct creation times
    }
    const first = await region.send(new ListClustersCommand({ maxResults: 2 }));
    const lastListed = first.clusters?.[1]?.identifier ?? '';
    await waitForStatus(region, lastListed, 'ACTIVE');
    await region.send(new DeleteClusterCommand({ identifier: lastListed }));
    await waitForStatus(region, lastListed, 'ResourceNotFoundException');
    const rest = await region.send(new ListClustersCommand({ maxResults: 2, nextToken: first.nextToken }));
    assert.deepEqual(
      rest.clusters?.map((c) => c.identifier),
      made.slice(2).map((c) => c.identifier),
    );
  });

  it('validates identifiers, client tokens and tags against the model patterns', async () => {
    await assert.rejects(
      east.send(new GetClusterCommand({ identifier: 'Not-An-Identifier' })),
      (error: Error) => error instanceof ValidationException && error.reason === 'fieldValidationFailed',
    );
    await assert.rejects(
      east.send(new CreateClusterCommand({ clientToken: 'x'.repeat(129) })),
      (error: Error) => error instanceof ValidationException && error.fieldList?.[0]?.name === 'clientToken',
    );
    await assert.rejects(
      east.send(new CreateClusterCommand({ tags: { regions: 'us-east-1,us-west-2' } })),
      (error: Error) => error instanceof ValidationException && /tag/.test(error.message),
    );
  });

  it('tags, untags and lists tags', async () => {
    const c = await activeCluster(east, { a: '1' });
    await east.send(new TagResourceCommand({ resourceArn: c.arn, tags: { b: '2', a: '3' } }));
    await east.send(new UntagResourceCommand({ resourceArn: c.arn, tagKeys: ['b', 'missing'] }));
    assert.deepEqual((await east.send(new ListTagsForResourceCommand({ resourceArn: c.arn }))).tags, {
      a: '3',
    });
    await assert.rejects(
      east.send(new TagResourceCommand({ resourceArn: 'not-an-arn', tags: { a: 'b' } })),
      ValidationException,
    );
    // TagResource's modelled answer to too many tags is a quota error, not a validation error.
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    await assert.rejects(
      east.send(new TagResourceCommand({ resourceArn: c.arn, tags: many })),
      ServiceQuotaExceededException,
    );
  });

  it('returns the same cluster for a repeated clientToken (per region)', async () => {
    const first = await east.send(
      new CreateClusterCommand({ clientToken: 'shop-us-east-1', deletionProtectionEnabled: false }),
    );
    const again = await east.send(
      new CreateClusterCommand({ clientToken: 'shop-us-east-1', deletionProtectionEnabled: false }),
    );
    assert.equal(again.identifier, first.identifier);
    const other = await west.send(
      new CreateClusterCommand({ clientToken: 'shop-us-east-1', deletionProtectionEnabled: false }),
    );
    assert.notEqual(other.identifier, first.identifier);
    const ids = (await east.send(new ListClustersCommand({}))).clusters?.map((c) => c.identifier) ?? [];
    assert.equal(ids.filter((id) => id === first.identifier).length, 1);
    // The same token with other parameters is refused, not answered with the first cluster.
    await assert.rejects(
      east.send(new CreateClusterCommand({ clientToken: 'shop-us-east-1', deletionProtectionEnabled: true })),
      (error: Error) =>
        error instanceof ConflictException && /different request parameters/.test(error.message),
    );
  });

  it('validates the witness: another region of the same region set', async () => {
    const rejects = (witnessRegion: string, pattern: RegExp) =>
      assert.rejects(
        east.send(new CreateClusterCommand({ multiRegionProperties: { witnessRegion } })),
        (error: Error) =>
          error instanceof ValidationException &&
          pattern.test(error.message) &&
          error.fieldList?.[0]?.name === 'multiRegionProperties.witnessRegion',
      );
    await rejects('us-east-1', /must differ/);
    await rejects('eu-west-1', /same Region set/);
    await rejects('mars-north-1', /same Region set/);
    await assert.rejects(
      dsql(cloud, 'sa-east-1').send(new CreateClusterCommand({})),
      (error: Error) => error instanceof ValidationException && /not available/.test(error.message),
    );
  });

  it('peers two clusters through the witness: PENDING_SETUP until each lists the other, then ACTIVE', async () => {
    const a = await east.send(
      new CreateClusterCommand({
        deletionProtectionEnabled: false,
        multiRegionProperties: { witnessRegion: 'us-east-2' },
      }),
    );
    await waitForStatus(east, a.identifier ?? '', 'PENDING_SETUP');
    // The peer may not sit in the witness region, nor carry another witness.
    await assert.rejects(
      dsql(cloud, 'us-east-2').send(
        new CreateClusterCommand({
          multiRegionProperties: { witnessRegion: 'us-west-2', clusters: [a.arn ?? ''] },
        }),
      ),
      ValidationException,
    );
    const b = await west.send(
      new CreateClusterCommand({
        deletionProtectionEnabled: false,
        multiRegionProperties: { witnessRegion: 'us-east-2', clusters: [a.arn ?? ''] },
      }),
    );
    await waitForStatus(west, b.identifier ?? '', 'PENDING_SETUP');
    assert.equal(
      (await east.send(new GetClusterCommand({ identifier: a.identifier }))).status,
      'PENDING_SETUP',
    );

    const updated = await east.send(
      new UpdateClusterCommand({
        identifier: a.identifier,
        multiRegionProperties: { witnessRegion: 'us-east-2', clusters: [b.arn ?? ''] },
      }),
    );
    assert.equal(updated.status, 'UPDATING');
    await assert.rejects(
      east.send(new UpdateClusterCommand({ identifier: a.identifier, deletionProtectionEnabled: true })),
      ConflictException,
    );
    await waitForStatus(east, a.identifier ?? '', 'ACTIVE');
    await waitForStatus(west, b.identifier ?? '', 'ACTIVE');

    const got = await east.send(new GetClusterCommand({ identifier: a.identifier }));
    assert.equal(got.multiRegionProperties?.witnessRegion, 'us-east-2');
    assert.deepEqual(
      got.multiRegionProperties?.clusters,
      [a.arn, b.arn].sort(),
      'lists its own ARN too, as AWS does',
    );

    // One logical database for the pair, each cluster reached at its own endpoint host.
    const dbA = await fetchDatabaseSettings(cloud, 'us-east-1', a.identifier ?? '');
    const dbB = await fetchDatabaseSettings(cloud, 'us-west-2', b.identifier ?? '');
    assert.deepEqual(
      { ...dbA, port: 0, caFile: '' },
      {
        host: `${a.identifier}.dsql.us-east-1.on.aws`,
        hostaddr: '127.0.0.1',
        port: 0,
        database: 'postgres',
        region: 'us-east-1',
        caFile: '',
      },
    );
    const writer = await connectAsAdmin(dbA, cloud.credentials);
    const reader = await connectAsAdmin(dbB, cloud.credentials);
    try {
      await writer.query('CREATE TABLE shared (x int PRIMARY KEY)');
      await writer.query('INSERT INTO shared VALUES (1)');
      assert.deepEqual((await reader.query('SELECT x FROM shared')).rows, [{ x: 1 }], 'B reads what A wrote');
    } finally {
      await writer.end();
      await reader.end();
    }

    // Peered deletion: the first stays PENDING_DELETE until the second is deleted too.
    assert.equal(
      (await east.send(new DeleteClusterCommand({ identifier: a.identifier }))).status,
      'PENDING_DELETE',
    );
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(
      (await east.send(new GetClusterCommand({ identifier: a.identifier }))).status,
      'PENDING_DELETE',
    );
    assert.equal(
      (await west.send(new DeleteClusterCommand({ identifier: b.identifier }))).status,
      'DELETING',
    );
    await waitForStatus(east, a.identifier ?? '', 'ResourceNotFoundException');
    await waitForStatus(west, b.identifier ?? '', 'ResourceNotFoundException');
    await assert.rejects(fetchDatabaseSettings(cloud, 'us-east-1', a.identifier ?? ''), /No cluster/);
  });

  it('refuses to delete a protected cluster until protection is turned off', async () => {
    const created = await east.send(new CreateClusterCommand({}));
    await assert.rejects(
      east.send(new DeleteClusterCommand({ identifier: created.identifier })),
      (error: Error) => error instanceof ValidationException && /deletion protection/.test(error.message),
    );
    await waitForStatus(east, created.identifier ?? '', 'ACTIVE');
    await assert.rejects(
      east.send(new DeleteClusterCommand({ identifier: created.identifier })),
      (error: Error) => error instanceof ValidationException && error.reason === 'deletionProtectionEnabled',
    );
    // A refused update changes nothing: protection stays on when the rest of the request is invalid.
    await assert.rejects(
      east.send(
        new UpdateClusterCommand({
          identifier: created.identifier,
          deletionProtectionEnabled: false,
          multiRegionProperties: { witnessRegion: 'eu-west-1' },
        }),
      ),
      ValidationException,
    );
    assert.equal(
      (await east.send(new GetClusterCommand({ identifier: created.identifier }))).deletionProtectionEnabled,
      true,
    );
    await east.send(
      new UpdateClusterCommand({ identifier: created.identifier, deletionProtectionEnabled: false }),
    );
    const deleting = await east.send(new DeleteClusterCommand({ identifier: created.identifier }));
    assert.equal(deleting.status, 'DELETING');
    await waitForStatus(east, created.identifier ?? '', 'ResourceNotFoundException');
  });

  it('refuses changes while a cluster is CREATING (ConflictException)', async () => {
    const slow = (await startPrivateCloud({ timeScale: 1, durations: { 'dsql:CreateCluster': 30 } })).cloud;
    try {
      const client = dsql(slow);
      const created = await client.send(new CreateClusterCommand({ deletionProtectionEnabled: false }));
      await assert.rejects(
        client.send(new DeleteClusterCommand({ identifier: created.identifier })),
        (error: Error) => error instanceof ConflictException && /CREATING/.test(error.message),
      );
      assert.equal(
        (await client.send(new GetClusterCommand({ identifier: created.identifier }))).status,
        'CREATING',
      );
    } finally {
      await slow.stop();
      removeHome(slow.home);
    }
  });

  it('enforces the multi-region cluster quota (ServiceQuotaExceededException)', async () => {
    const region = dsql(cloud, 'eu-central-1');
    const create = () =>
      region.send(new CreateClusterCommand({ multiRegionProperties: { witnessRegion: 'eu-west-1' } }));
    for (let i = 0; i < 5; i++) await create();
    await assert.rejects(create(), ServiceQuotaExceededException);
  });
});
