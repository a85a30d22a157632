// The fault configuration is input like any other: `dsqlctl local start --faults …` refuses each bad
// document with exit 2, naming the field and the rule, never quoting a file, and starts nothing.
// An injected failure answers the status AWS uses for its code, so the SDK does not retry it.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { iam, removeHome, startPrivateCloud, tempHome } from '../../scripts/lib/local-cloud.js';
import { createServices, FAULT_SERVICES, statusForCode } from '../../src/lib/local-cloud/testing.js';
import { runCli } from '../support/cli.js';

const deep = `{"failures":[${'['.repeat(5000)}${']'.repeat(5000)}]}`;

const cases: Array<[string, string, RegExp]> = [
  [
    'operations not a list',
    '{"throttle":{"rate":0.5,"operations":"dsql:*"}}',
    /throttle\.operations: .*expected array/,
  ],
  [
    'status too big',
    '{"failures":[{"operation":"dsql:GetCluster","nth":1,"status":99999}]}',
    /failures\[0\]\.status: .*<=599/,
  ],
  [
    'status a string',
    '{"failures":[{"operation":"dsql:GetCluster","nth":1,"status":"abc"}]}',
    /failures\[0\]\.status: .*expected number/,
  ],
  [
    'code with CR/LF',
    '{"failures":[{"operation":"dsql:GetCluster","nth":1,"code":"X\\r\\nSet-Cookie: a"}]}',
    /failures\[0\]\.code: must be letters, digits and dots/,
  ],
  [
    'code with a space',
    '{"failures":[{"operation":"dsql:GetCluster","nth":1,"code":"Access Denied"}]}',
    /failures\[0\]\.code/,
  ],
  [
    'delay overflowing timers',
    '{"delays":{"dsql:*":1e12}}',
    /delays\["dsql:\*"\]: must be at most 3600 seconds/,
  ],
  [
    'negative times',
    '{"failures":[{"operation":"dsql:GetCluster","nth":1,"times":-5}]}',
    /failures\[0\]\.times: .*>=1/,
  ],
  ['unknown key', '{"timeScale":0.01,"throttel":{"rate":1}}', /unknown key "throttel"/],
  [
    'unknown key in a rule',
    '{"failures":[{"operation":"dsql:GetCluster","nth":1,"cod":"X"}]}',
    /failures\[0\]: unknown key "cod"/,
  ],
  [
    'unknown service',
    '{"delays":{"s3:*":1}}',
    /delays\["s3:\*"\]: names a service the local cloud does not serve/,
  ],
  ['rate as a string', '{"throttle":{"rate":"0.5"}}', /throttle\.rate: .*expected number/],
  ['a list', '[]', /expected a JSON object, got a list/],
  ['null', 'null', /expected a JSON object, got null/],
  ['a string', '"str"', /expected a JSON object, got string/],
  ['failures an object', '{"failures":{"operation":"dsql:GetCluster"}}', /failures: .*expected array/],
  ['5,000-deep nesting', deep, /failures\[0\]: .*expected object/],
];

describe('local start --faults refuses a bad configuration (exit 2, field and rule named)', () => {
  const home = tempHome();
  const run = (args: string[]) => runCli(['local', 'start', ...args], { DSQLCTL_HOME: home });

  for (const [name, document, message] of cases) {
    it(name, async () => {
      const result = await run(['--faults', document]);
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /Invalid fault configuration/);
      assert.doesNotMatch(result.stderr, /stack size|is not a function|is not iterable/);
    });
  }

  it('a file that is not JSON is named, its content never printed', async () => {
    const result = await run(['--faults', '/etc/passwd']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /the file "\/etc\/passwd" is not valid JSON/);
    assert.doesNotMatch(result.stderr + result.stdout, /root:/);
    const secret = join(home, 'secret.txt');
    writeFileSync(secret, 'TOPSECRET-42 {');
    const second = await run(['--faults', secret]);
    assert.equal(second.status, 2);
    assert.doesNotMatch(second.stderr + second.stdout, /TOPSECRET/);
  });

  it('a bad --fail flag is refused the same way; nothing was started', async () => {
    const result = await run(['--fail', 'dsql:GetCluster:1:Bad\tCode']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /failures\[0\]\.code/);
    assert.equal(existsSync(join(home, 'local-cloud', 'runtime.json')), false);
    removeHome(home);
  });
});

describe('injected failures answer the status AWS uses for their code', () => {
  it('maps known codes, keeps unknown client-looking codes 4xx, server failures 5xx', () => {
    assert.equal(statusForCode('AccessDenied'), 403);
    assert.equal(statusForCode('NoSuchEntity'), 404);
    assert.equal(statusForCode('TooManyRequestsException'), 429);
    assert.equal(statusForCode('SomethingInvalid'), 400);
    assert.equal(statusForCode(undefined), 500);
    assert.equal(statusForCode('ServiceUnavailable'), 503);
    assert.equal(statusForCode('MyInternalError'), 500);
  });

  it('the fault services are the ones the registry serves', () => {
    assert.deepEqual(
      [...FAULT_SERVICES].sort(),
      createServices()
        .map((s) => s.signingName)
        .sort(),
    );
  });

  it('--fail iam:GetRole:1:AccessDenied is a 403 the SDK does not retry', async () => {
    const cloud = (
      await startPrivateCloud({
        timeScale: 0.002,
        failures: [{ operation: 'iam:GetRole', nth: 1, code: 'AccessDenied' }],
      })
    ).cloud;
    try {
      await assert.rejects(
        iam(cloud).send(new GetRoleCommand({ RoleName: 'r' })),
        (error: Error & { $metadata?: { httpStatusCode?: number; attempts?: number } }) =>
          error.name === 'AccessDenied' && error.$metadata?.httpStatusCode === 403,
      );
      const gets = cloud.requests().filter((e) => e.operation === 'GetRole');
      assert.deepEqual(
        gets.map((e) => [e.status, e.error]),
        [[403, 'AccessDenied']],
      );
    } finally {
      await cloud.stop();
      removeHome(cloud.home);
    }
  });
});
