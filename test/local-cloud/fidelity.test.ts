// Answers that must look like AWS's to clients nobody here wrote: GetFunction's Code.Location is an
// http URL that downloads the zip (signed, expiring), ListFunctions carries no State/LastUpdateStatus,
// IAM ListRoles pages with Marker/MaxItems/IsTruncated, and a witness-only CreateCluster is PENDING_SETUP.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { CreateClusterCommand } from '@aws-sdk/client-dsql';
import { ListRolesCommand } from '@aws-sdk/client-iam';
import { GetFunctionCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { dsql, iam, lambda } from '../../scripts/lib/local-cloud.js';
import { createFunction, createRole } from '../../scripts/lib/local-lambda.js';
import type { TestLocalCloud } from '../../src/lib/local-cloud/testing.js';
import { withSuiteCloud } from '../support/suite-cloud.js';

describe('local cloud: answers shaped as AWS answers them', () => {
  let cloud: TestLocalCloud;
  withSuiteCloud((started) => {
    cloud = started;
  });

  it('GetFunction: Code.Location downloads the zip; a tampered URL is refused; ListFunctions has no State', async () => {
    const client = lambda(cloud);
    const role = await createRole(iam(cloud), 'fidelity-role');
    await createFunction(client, { name: 'located', role, source: 'export const handler = async () => 1;' });
    const got = await client.send(new GetFunctionCommand({ FunctionName: 'located' }));
    const location = got.Code?.Location ?? '';
    assert.ok(location.startsWith(`${cloud.endpoint}/`), location);
    assert.equal(got.Code?.RepositoryType, 'S3');
    const download = await fetch(location);
    assert.equal(download.status, 200);
    const zip = Buffer.from(await download.arrayBuffer());
    assert.equal(createHash('sha256').update(zip).digest('base64'), got.Configuration?.CodeSha256);
    // Flip the signature's first hex digit (a fixed replacement left it unchanged when it was already that digit).
    const tampered = await fetch(
      location.replace(/Signature=(.)/, (_, first: string) => `Signature=${first === '0' ? '1' : '0'}`),
    );
    assert.equal(tampered.status, 403);
    assert.equal(got.Configuration?.State, 'Active');

    const listed = await client.send(new ListFunctionsCommand({}));
    const fn = listed.Functions?.find((f) => f.FunctionName === 'located');
    assert.ok(fn);
    for (const member of ['State', 'StateReason', 'StateReasonCode', 'LastUpdateStatus'] as const) {
      assert.equal(fn[member], undefined, member);
    }
  });

  it('IAM ListRoles pages with MaxItems, Marker and IsTruncated, without Tags', async () => {
    const client = iam(cloud);
    for (const name of ['list-a', 'list-b', 'list-c']) await createRole(client, name);
    const names: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(new ListRolesCommand({ MaxItems: 2, Marker: marker, PathPrefix: '/' }));
      pages++;
      assert.ok((page.Roles ?? []).length <= 2);
      for (const role of page.Roles ?? []) {
        names.push(role.RoleName ?? '');
        assert.equal(role.Tags, undefined);
        assert.ok(role.Arn?.startsWith('arn:aws:iam::000000000000:role/'));
      }
      assert.equal(page.IsTruncated, page.Marker !== undefined);
      marker = page.Marker;
    } while (marker);
    assert.ok(pages >= 2);
    for (const name of ['list-a', 'list-b', 'list-c']) assert.ok(names.includes(name), name);
    assert.equal(new Set(names).size, names.length);
  });

  it('DSQL: a witness-only CreateCluster answers PENDING_SETUP listing its own ARN', async () => {
    const created = await dsql(cloud).send(
      new CreateClusterCommand({
        deletionProtectionEnabled: false,
        multiRegionProperties: { witnessRegion: 'us-west-2' },
      }),
    );
    assert.equal(created.status, 'PENDING_SETUP');
    assert.deepEqual(created.multiRegionProperties?.clusters, [created.arn]);
  });
});
