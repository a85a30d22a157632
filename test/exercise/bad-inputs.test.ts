/**
 * Bad inputs to the exercising commands: each gets a clear message and exit 2, and nothing is called
 * (the recording endpoint sees no request at all). A missing stack or a region outside the stack is
 * found with one IAM read and no invocation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runAwsCli } from '../support/cli.js';
import {
  getRoleReply,
  isGetRole,
  noSuchRoleReply,
  type RecordingEndpoint,
  startRecordingEndpoint,
} from '../support/recording-endpoint.js';

let endpoint: RecordingEndpoint;
// Stack "shop" exists in us-east-1 and us-west-2; every other stack is missing.
before(async () => {
  endpoint = await startRecordingEndpoint((request) => {
    if (isGetRole(request) && request.body.includes('RoleName=shop-fn')) {
      return getRoleReply('shop-fn', {
        'dsqlctl:stack': 'shop',
        'dsqlctl:regions': 'us-east-1 us-west-2',
        'dsqlctl:witness': 'us-east-2',
      });
    }
    if (isGetRole(request) && request.body.includes('RoleName=foreign-fn')) {
      return getRoleReply('foreign-fn', { team: 'someone-else' });
    }
    if (isGetRole(request)) return noSuchRoleReply('missing');
    return { status: 500, body: 'unexpected call' };
  });
});
after(() => endpoint.close());

const badInputs: Array<{ args: string[]; message: RegExp }> = [
  { args: ['txn', 'create', '--amount', 'abc'], message: /Invalid --amount "abc": .*not a decimal number/ },
  { args: ['txn', 'create', '--amount=-5'], message: /Invalid --amount "-5": amount must be greater than 0/ },
  {
    args: ['txn', 'create', '--amount', '0'],
    message: /Invalid --amount "0": amount must be greater than 0/,
  },
  { args: ['txn', 'create', '--amount', '1.234'], message: /at most two decimal places/ },
  { args: ['txn', 'create', '--amount', '1e12'], message: /Invalid --amount "1e12"/ },
  { args: ['txn', 'create', '--amount', 'NaN'], message: /amount must be a finite number/ },
  { args: ['txn', 'create', '--amount', 'Infinity'], message: /amount must be a finite number/ },
  { args: ['txn', 'create', '--amount', '100000000'], message: /amount must be at most 99999999\.99/ },
  { args: ['txn', 'create'], message: /Missing required flag amount/ },
  {
    args: ['txn', 'create', '--amount', '5', '--id', 'x'.repeat(256)],
    message: /Invalid --id: the id must be at most 255 characters \(got 256\)/,
  },
  {
    args: ['txn', 'get', '--id', 'a\tb'],
    message: /Invalid --id: the id must not contain control characters/,
  },
  { args: ['txn', 'get', '--id', '   '], message: /Invalid --id: the id must not be empty/ },
  {
    args: ['txn', 'get', '--id', 'a\u0085b'],
    message: /the id must not contain control characters \(found U\+0085\)/,
  },
  {
    args: ['txn', 'get', '--id', 'abc\u202Egpj.exe'],
    message: /the id must not contain bidirectional control characters \(found U\+202E\)/,
  },
  {
    args: ['txn', 'create', '--amount', '1', '--id', 'seed\u200B-1'],
    message: /the id must not contain zero-width or invisible characters \(found U\+200B\)/,
  },
  { args: ['txn', 'get', '--id', 'seed-1 '], message: /the id must not begin or end with a space/ },
  {
    args: ['txn', 'create', '--amount', '9'.repeat(100_000)],
    message:
      /^Error: Invalid --amount "9{40}…" \(100000 characters\): amount must be at most 99999999\.99\.\n$/,
  },
  {
    args: ['verify', 'events', '--timeout', '0.001ms'],
    message: /Invalid --timeout "0\.001ms": below the 1 ms resolution of the wait/,
  },
  { args: ['txn', 'list', '--limit', '0'], message: /Invalid --limit 0: use a whole number from 1 to 100/ },
  {
    args: ['txn', 'list', '--limit', '101'],
    message: /Invalid --limit 101: use a whole number from 1 to 100/,
  },
  { args: ['txn', 'list', '--limit', 'ten'], message: /Expected an integer but received: ten/ },
  { args: ['txn', 'read', '--region', 'mars-1'], message: /Unknown region "mars-1" in --region/ },
  { args: ['txn', 'get'], message: /Missing required flag id/ },
  { args: ['txn', 'read', '--stack', 'Bad_Stack'], message: /Invalid stack name "Bad_Stack"/ },
  {
    args: ['verify', 'consistency', '--regions', 'us-east-1,atlantis-1'],
    message: /Unknown region "atlantis-1" in --regions/,
  },
  { args: ['verify', 'consistency', '--iterations', '0'], message: /Invalid --iterations 0/ },
  { args: ['verify', 'events', '--timeout', 'forever'], message: /Invalid --timeout "forever"/ },
  { args: ['verify', 'events', '--timeout', '0s'], message: /Invalid --timeout "0s"/ },
  {
    args: ['txn', 'load', '--count', '0'],
    message: /Invalid --count 0: use a whole number from 1 to 100000/,
  },
  { args: ['txn', 'load', '--concurrency', '1000'], message: /Invalid --concurrency 1000/ },
];

describe('bad inputs: clear message, exit 2, no call made', () => {
  for (const { args, message } of badInputs) {
    it(args.join(' '), async () => {
      const before = endpoint.requests.length;
      const result = await runAwsCli(args, endpoint.url);
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(endpoint.requests.length, before, 'no AWS request may be sent');
    });
  }

  it('--json puts the error in the JSON envelope, still exit 2 and no call', async () => {
    const before = endpoint.requests.length;
    const result = await runAwsCli(['txn', 'create', '--amount', '1.234', '--json'], endpoint.url);
    assert.equal(result.status, 2);
    const output = JSON.parse(result.stdout) as {
      error: { name: string; message: string; exitCode: number };
    };
    assert.equal(output.error.name, 'UsageError');
    assert.equal(output.error.exitCode, 2);
    assert.match(output.error.message, /at most two decimal places/);
    assert.equal(endpoint.requests.length, before);
  });
});

describe('stack and region checks: one IAM read, no invocation', () => {
  const cases: Array<{ args: string[]; status: number; message: RegExp }> = [
    {
      args: ['txn', 'read', '--stack', 'nowhere'],
      status: 2,
      message: /Stack "nowhere" not found — run dsqlctl up --stack nowhere/,
    },
    {
      args: ['verify', 'consistency', '--stack', 'nowhere'],
      status: 2,
      message: /Stack "nowhere" not found/,
    },
    {
      args: ['txn', 'create', '--stack', 'shop', '--amount', '5', '--region', 'eu-west-1'],
      status: 2,
      message: /Stack "shop" is not deployed in eu-west-1; its regions are us-east-1, us-west-2/,
    },
    {
      args: ['verify', 'events', '--stack', 'shop', '--regions', 'us-east-1,ca-central-1'],
      status: 2,
      message: /Stack "shop" is not deployed in ca-central-1/,
    },
    {
      args: ['verify', 'events', '--stack', 'shop', '--regions', 'us-east-1'],
      status: 2,
      message: /verify events needs two peered regions/,
    },
    {
      args: ['txn', 'list', '--stack', 'foreign'],
      status: 7,
      message: /IAM role foreign-fn exists but is not tagged dsqlctl:stack=foreign/,
    },
  ];
  for (const { args, status, message } of cases) {
    it(args.join(' '), async () => {
      const before = endpoint.requests.length;
      const result = await runAwsCli(args, endpoint.url);
      assert.equal(result.status, status, result.stderr);
      assert.match(result.stderr, message);
      const sent = endpoint.requests.slice(before);
      assert.equal(sent.length, 1, JSON.stringify(sent));
      assert.ok(isGetRole(sent[0] as never));
      assert.equal(sent[0]?.region, 'us-east-1', 'IAM is signed in us-east-1');
    });
  }
});
