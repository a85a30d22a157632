// Hostile input at the protocol layer, sent raw over HTTP as any client could: member names that would
// reach Object.prototype, malformed percent-encodings, unknown awsQuery actions and versions. Each is a
// 400 in its protocol's shape, logged, and leaves the daemon's objects untouched.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ListTagsCommand, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { iam, lambda } from '../../scripts/lib/local-cloud.js';
import { createFunction, createRole } from '../../scripts/lib/local-lambda.js';
import { parseJsonBody, parseQueryInput, type TestLocalCloud } from '../../src/lib/local-cloud/testing.js';
import { rawRequest } from '../support/raw-request.js';
import { withSuiteCloud } from '../support/suite-cloud.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('protocol parsing refuses what would pollute or crash', () => {
  let cloud: TestLocalCloud;
  withSuiteCloud((started) => {
    cloud = started;
  });

  it('parsers build null-prototype objects and refuse __proto__, constructor and prototype', () => {
    const query = parseQueryInput(new URLSearchParams('Tags.member.1.Key=a&Tags.member.1.Value=b'));
    assert.equal(Object.getPrototypeOf(query), null);
    assert.equal(Object.getPrototypeOf((query.Tags as object[])[0]), null);
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      assert.throws(() => parseQueryInput(new URLSearchParams(`${name}.polluted=1`)), /not allowed/);
      assert.throws(() => parseJsonBody(Buffer.from(`{"a":{"${name}":{"polluted":1}}}`)), /not allowed/);
    }
    const json = parseJsonBody(Buffer.from('{"a":{"b":1}}'));
    assert.equal(Object.getPrototypeOf(json), null);
    assert.equal(Object.getPrototypeOf(json?.a), null);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('awsQuery (STS): __proto__ in a parameter name is ValidationError; a later CreateFunction is unaffected', async () => {
    const response = await rawRequest(
      cloud,
      { service: 'sts', headers: FORM },
      'Action=GetCallerIdentity&Version=2011-06-15&__proto__.us-west-2/polluted-fn=1',
    );
    assert.equal(response.status, 400);
    const text = await response.text();
    assert.match(text, /<Code>ValidationError<\/Code>/);
    assert.match(text, /__proto__/);

    const client = lambda(cloud, 'us-west-2');
    await assert.rejects(
      client.send(
        new ListTagsCommand({ Resource: 'arn:aws:lambda:us-west-2:000000000000:function:polluted-fn' }),
      ),
      ResourceNotFoundException,
    );
    const role = await createRole(iam(cloud), 'polluted-fn-role');
    await createFunction(client, {
      name: 'polluted-fn',
      role,
      source: 'export const handler = async () => 1;',
    });
  });

  it('awsJson1_1 (EventBridge): a __proto__ member is ValidationException', async () => {
    const response = await rawRequest(
      cloud,
      {
        service: 'events',
        headers: { 'x-amz-target': 'AWSEvents.CreateEventBus', 'content-type': 'application/x-amz-json-1.1' },
      },
      '{"Name":"b","Tags":[{"Key":"k","Value":"v","__proto__":{"polluted":1}}]}',
    );
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('x-amzn-errortype'), 'ValidationException');
    assert.match(((await response.json()) as { message: string }).message, /__proto__/);
  });

  it('restJson1 (DSQL, Lambda): a constructor or prototype member is the validation error', async () => {
    const dsqlResponse = await rawRequest(
      cloud,
      { service: 'dsql', path: '/cluster', headers: { 'content-type': 'application/json' } },
      '{"tags":{"constructor":{"prototype":{"polluted":1}}}}',
    );
    assert.equal(dsqlResponse.status, 400);
    assert.equal(dsqlResponse.headers.get('x-amzn-errortype'), 'ValidationException');
    const lambdaResponse = await rawRequest(
      cloud,
      { service: 'lambda', path: '/2015-03-31/functions', headers: { 'content-type': 'application/json' } },
      '{"FunctionName":"x","__proto__":{"polluted":1}}',
    );
    assert.equal(lambdaResponse.status, 400);
  });

  it('a malformed percent-encoding in a path is a logged 400, not a 500', async () => {
    // Each service's own validation error: Lambda's is InvalidParameterValueException.
    for (const [service, path, code] of [
      ['lambda', '/2015-03-31/functions/%E0%A4%A/configuration', 'InvalidParameterValueException'],
      ['dsql', '/cluster/%ZZ', 'ValidationException'],
    ] as const) {
      const before = cloud.requests().length;
      const response = await rawRequest(cloud, { service, method: 'GET', path });
      assert.equal(response.status, 400, path);
      assert.equal(response.headers.get('x-amzn-errortype'), code);
      const body = (await response.json()) as Record<string, string>;
      assert.match(body.message ?? body.Message ?? '', /percent-encoded/); // Lambda's member is Message
      const logged = cloud.requests().slice(before);
      assert.deepEqual(
        logged.map((e) => [e.service, e.status, e.error]),
        [[service, 400, code]],
      );
    }
  });

  it('an unknown IAM/STS action, or a wrong or missing Version, is InvalidAction (400)', async () => {
    for (const [service, body] of [
      ['iam', 'Action=NoSuchAction&Version=2010-05-08'],
      ['iam', 'Action=GetRole&Version=2011-06-15&RoleName=r'],
      ['sts', 'Action=GetCallerIdentity'],
    ] as const) {
      const response = await rawRequest(cloud, { service, headers: FORM }, body);
      assert.equal(response.status, 400, body);
      const text = await response.text();
      assert.match(text, /<Code>InvalidAction<\/Code>/, body);
      assert.match(text, /<Type>Sender<\/Type>/);
    }
    const missing = await rawRequest(cloud, { service: 'sts', headers: FORM }, 'Version=2011-06-15');
    assert.equal(missing.status, 400);
    assert.match(await missing.text(), /<Code>MissingAction<\/Code>/);
  });
});
