// Validation before state: members of the wrong type, out of their model's range or pattern, and null
// list entries are each service's 400 validation error (never a 500), and nothing of them is stored.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestLocalCloud } from '../../src/lib/local-cloud/testing.js';
import { signedRequest } from '../support/signed-request.js';
import { withSuiteCloud } from '../support/suite-cloud.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

describe('local cloud: every member checked against its model before anything is stored', () => {
  let cloud: TestLocalCloud;
  withSuiteCloud((started) => {
    cloud = started;
  });

  const iamCall = (form: Record<string, string>) =>
    signedRequest(cloud, {
      service: 'iam',
      headers: FORM,
      body: new URLSearchParams({ Version: '2010-05-08', ...form }).toString(),
    });
  const eventsCall = (operation: string, body: unknown) =>
    signedRequest(cloud, {
      service: 'events',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSEvents.${operation}` },
      body: JSON.stringify(body),
    });

  async function expectXmlError(response: Response, code: string, pattern: RegExp): Promise<void> {
    const text = await response.text();
    assert.equal(response.status, 400, text);
    assert.match(text, new RegExp(`<ErrorResponse[^>]*><Error><Type>Sender</Type><Code>${code}</Code>`));
    assert.match(text, pattern);
  }

  async function expectJsonError(response: Response, code: string, pattern: RegExp): Promise<void> {
    const text = await response.text();
    assert.equal(response.status, 400, text);
    assert.equal(response.headers.get('x-amzn-errortype'), code);
    assert.match(text, pattern);
  }

  it('IAM: MaxSessionDuration abc or 99999 and Tags=abc are ValidationError; no role is stored', async () => {
    for (const value of ['abc', '99999', '3599', '1e3', '']) {
      const response = await iamCall({
        Action: 'CreateRole',
        RoleName: 'session-role',
        AssumeRolePolicyDocument: TRUST,
        MaxSessionDuration: value,
      });
      await expectXmlError(response, 'ValidationError', /maxSessionDuration/);
    }
    // Nothing was stored: the role does not exist.
    const missing = await iamCall({ Action: 'GetRole', RoleName: 'session-role' });
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /<Code>NoSuchEntity<\/Code>/);
    const created = await iamCall({
      Action: 'CreateRole',
      RoleName: 'session-role',
      AssumeRolePolicyDocument: TRUST,
      MaxSessionDuration: '43200',
    });
    assert.equal(created.status, 200);
    assert.match(await created.text(), /<MaxSessionDuration>43200<\/MaxSessionDuration>/);
    await expectXmlError(
      await iamCall({ Action: 'TagRole', RoleName: 'session-role', Tags: 'abc' }),
      'ValidationError',
      /at &#39;tags&#39; failed to satisfy constraint: Member must be a list/,
    );
    await expectXmlError(
      await iamCall({ Action: 'ListRoleTags', RoleName: 'session-role', MaxItems: '0' }),
      'ValidationError',
      /greater than or equal to 1/,
    );
  });

  it('EventBridge: null entries, targets and tags are ValidationException; nothing is stored', async () => {
    await expectJsonError(
      await eventsCall('PutEvents', { Entries: [null] }),
      'ValidationException',
      /entries\.1\.member/,
    );
    await expectJsonError(await eventsCall('PutEvents', { Entries: 'x' }), 'ValidationException', /entries/);
    const rule = await eventsCall('PutRule', { Name: 'null-rule', EventPattern: '{"source":["a"]}' });
    assert.equal(rule.status, 200);
    await expectJsonError(
      await eventsCall('PutTargets', { Rule: 'null-rule', Targets: [null] }),
      'ValidationException',
      /targets\.1\.member/,
    );
    const targets = await eventsCall('ListTargetsByRule', { Rule: 'null-rule' });
    assert.deepEqual(((await targets.json()) as Record<string, unknown>).Targets, []);
    const ruleArn = 'arn:aws:events:us-east-1:000000000000:rule/null-rule';
    await expectJsonError(
      await eventsCall('TagResource', { ResourceARN: ruleArn, Tags: [null] }),
      'ValidationException',
      /tags\.1\.member/,
    );
    await expectJsonError(
      await eventsCall('ListRules', { Limit: 1000 }),
      'ValidationException',
      /less than or equal to 100/,
    );
    await expectJsonError(
      await eventsCall('PutRule', { Name: 'x'.repeat(65), EventPattern: '{}' }),
      'ValidationException',
      /'name' failed/,
    );
    const tags = await eventsCall('ListTagsForResource', { ResourceARN: ruleArn });
    assert.deepEqual(((await tags.json()) as Record<string, unknown>).Tags, []);
  });

  it('Lambda: Timeout, MemorySize and MaxItems outside their ranges or of the wrong type are ValidationException', async () => {
    const create = (members: Record<string, unknown>) =>
      signedRequest(cloud, {
        service: 'lambda',
        path: '/2015-03-31/functions',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          FunctionName: 'ranged',
          Role: 'arn:aws:iam::000000000000:role/none',
          Runtime: 'nodejs24.x',
          Handler: 'index.handler',
          Code: { ZipFile: 'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==' },
          ...members,
        }),
      });
    for (const [members, pattern] of [
      [{ Timeout: 901 }, /'timeout' .*less than or equal to 900/],
      [{ Timeout: 0 }, /'timeout' .*greater than or equal to 1/],
      [{ Timeout: 'abc' }, /'timeout' .*integer/],
      [{ MemorySize: 64 }, /'memorySize' .*greater than or equal to 128/],
      [{ MemorySize: 10241 }, /'memorySize'/],
      [{ Tags: { a: null } }, /'tags\.a'/],
      [{ Environment: { Variables: [] } }, /'environment\.variables'/],
    ] as const) {
      await expectJsonError(await create(members), 'ValidationException', pattern);
    }
    for (const maxItems of ['0', '10001', 'abc']) {
      await expectJsonError(
        await signedRequest(cloud, {
          service: 'lambda',
          method: 'GET',
          path: '/2015-03-31/functions',
          query: { MaxItems: maxItems },
        }),
        'ValidationException',
        /maxItems/,
      );
    }
    const list = await signedRequest(cloud, {
      service: 'lambda',
      method: 'GET',
      path: '/2015-03-31/functions',
    });
    assert.deepEqual(((await list.json()) as Record<string, unknown>).Functions, []);
  });

  it('DSQL: max-results out of range and a malformed identifier are ValidationException with a fieldList', async () => {
    for (const value of ['0', '101', 'abc']) {
      const response = await signedRequest(cloud, {
        service: 'dsql',
        method: 'GET',
        path: '/cluster',
        query: { 'max-results': value },
      });
      await expectJsonError(response, 'ValidationException', /maxResults/);
    }
    const response = await signedRequest(cloud, {
      service: 'dsql',
      path: '/cluster',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deletionProtectionEnabled: 'yes' }),
    });
    const text = await response.text();
    assert.equal(response.status, 400, text);
    assert.equal(JSON.parse(text).fieldList[0].name, 'deletionProtectionEnabled');
  });
});
