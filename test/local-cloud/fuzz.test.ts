// A few thousand requests derived from a valid request of every served operation, then mutated (a
// member replaced by a value of another type, a huge number, null, deep nesting, an odd string; a
// member dropped or added; the whole body or path garbled), signed as the SDK signs. The local cloud
// must answer each with a 2xx or a 4xx in its protocol's error shape — never a 500 — and stay healthy.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import fc from 'fast-check';
import { sts } from '../../scripts/lib/local-cloud.js';
import type { TestLocalCloud } from '../../src/lib/local-cloud/testing.js';
import { type SignedRequestOptions, signedRequest } from '../support/signed-request.js';
import { withSuiteCloud } from '../support/suite-cloud.js';

type Protocol = 'restJson1' | 'awsJson1_1' | 'awsQuery';
type Input = Record<string, unknown>;

interface Seed {
  protocol: Protocol;
  service: string;
  operation: string;
  /** A valid input; restJson1 labels and query members are members of it too. */
  input: Input;
  /** restJson1: the request for an input. */
  rest?: (input: Input) => Omit<SignedRequestOptions, 'service'>;
}

const ACCOUNT = '000000000000';
const FN = 'fuzz-fn';
const FN_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${FN}`;
const CLUSTER = 'a'.repeat(26);
const CLUSTER_ARN = `arn:aws:dsql:us-east-1:${ACCOUNT}:cluster/${CLUSTER}`;
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'dsql:DbConnect', Resource: CLUSTER_ARN }],
});

const text = (value: unknown) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));
/** A header value as raw UTF-8 bytes (an odd encoding HTTP allows); fetch refuses control characters. */
const headerText = (value: unknown) =>
  Buffer.from([...text(value)].filter((c) => c >= ' ' && c !== '\u007f').join(''), 'utf8')
    .toString('latin1')
    .trim();
/** A path label; a lone surrogate (not encodable) becomes a cut UTF-8 sequence, an odd encoding to send. */
const label = (value: unknown) => {
  const raw = text(value);
  try {
    return encodeURIComponent(raw);
  } catch {
    return `${encodeURIComponent(raw.replace(/[\ud800-\udfff]/g, ''))}%E0%A4%A`;
  }
};
/** Members of `input` other than `omit`, as a JSON body. */
function jsonBody(input: Input, ...omit: string[]): string {
  return JSON.stringify(Object.fromEntries(Object.entries(input).filter(([k]) => !omit.includes(k))));
}
const query = (input: Input, names: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(names)
      .filter(([member]) => input[member] !== undefined)
      .map(([member, name]) => [name, text(input[member])]),
  );

function lambdaSeeds(): Seed[] {
  const fn = (path: string) => (input: Input) => `/2015-03-31/functions/${label(input.FunctionName)}${path}`;
  const json = { 'content-type': 'application/json' };
  const seed = (operation: string, input: Input, rest: Seed['rest']): Seed => ({
    protocol: 'restJson1',
    service: 'lambda',
    operation,
    input,
    rest,
  });
  return [
    seed(
      'CreateFunction',
      {
        FunctionName: 'fuzz-new',
        Role: `arn:aws:iam::${ACCOUNT}:role/fuzz-role`,
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        Code: { ZipFile: 'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==' },
        Timeout: 3,
        MemorySize: 128,
        Environment: { Variables: { A: 'b' } },
        Tags: { team: 'x' },
      },
      (input) => ({ path: '/2015-03-31/functions', headers: json, body: jsonBody(input) }),
    ),
    seed('GetFunction', { FunctionName: FN }, (i) => ({ method: 'GET', path: fn('')(i) })),
    seed('GetFunctionConfiguration', { FunctionName: FN, Qualifier: '$LATEST' }, (i) => ({
      method: 'GET',
      path: fn('/configuration')(i),
      query: query(i, { Qualifier: 'Qualifier' }),
    })),
    seed('ListFunctions', { MaxItems: 10, Marker: 'abc' }, (i) => ({
      method: 'GET',
      path: '/2015-03-31/functions',
      query: query(i, { MaxItems: 'MaxItems', Marker: 'Marker' }),
    })),
    seed('UpdateFunctionConfiguration', { FunctionName: FN, Timeout: 5, MemorySize: 256 }, (i) => ({
      method: 'PUT',
      path: fn('/configuration')(i),
      headers: json,
      body: jsonBody(i, 'FunctionName'),
    })),
    seed('UpdateFunctionCode', { FunctionName: FN, ZipFile: 'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==' }, (i) => ({
      method: 'PUT',
      path: fn('/code')(i),
      headers: json,
      body: jsonBody(i, 'FunctionName'),
    })),
    seed('Invoke', { FunctionName: 'fuzz-absent', Payload: '{"a":1}', InvocationType: 'DryRun' }, (i) => ({
      path: fn('/invocations')(i),
      headers: { 'x-amz-invocation-type': headerText(i.InvocationType ?? 'RequestResponse') },
      body: text(i.Payload ?? ''),
    })),
    seed(
      'AddPermission',
      {
        FunctionName: FN,
        StatementId: 's1',
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
      },
      (i) => ({ path: fn('/policy')(i), headers: json, body: jsonBody(i, 'FunctionName') }),
    ),
    seed('RemovePermission', { FunctionName: FN, StatementId: 's1' }, (i) => ({
      method: 'DELETE',
      path: `${fn('/policy')(i)}/${label(i.StatementId)}`,
    })),
    seed('GetPolicy', { FunctionName: FN }, (i) => ({ method: 'GET', path: fn('/policy')(i) })),
    seed('TagResource', { Resource: FN_ARN, Tags: { a: 'b' } }, (i) => ({
      path: `/2017-03-31/tags/${label(i.Resource)}`,
      headers: json,
      body: jsonBody(i, 'Resource'),
    })),
    seed('UntagResource', { Resource: FN_ARN, TagKeys: ['a'] }, (i) => ({
      method: 'DELETE',
      path: `/2017-03-31/tags/${label(i.Resource)}`,
      query: { tagKeys: Array.isArray(i.TagKeys) ? i.TagKeys.map(text) : text(i.TagKeys) },
    })),
    seed('ListTags', { Resource: FN_ARN }, (i) => ({
      method: 'GET',
      path: `/2017-03-31/tags/${label(i.Resource)}`,
    })),
    seed('DeleteFunction', { FunctionName: 'fuzz-absent' }, (i) => ({ method: 'DELETE', path: fn('')(i) })),
  ];
}

function dsqlSeeds(): Seed[] {
  const json = { 'content-type': 'application/json' };
  const seed = (operation: string, input: Input, rest: Seed['rest']): Seed => ({
    protocol: 'restJson1',
    service: 'dsql',
    operation,
    input,
    rest,
  });
  const cluster = (i: Input) => `/cluster/${label(i.identifier)}`;
  return [
    seed(
      'CreateCluster',
      { deletionProtectionEnabled: false, tags: { a: 'b' }, clientToken: 'tok' },
      (i) => ({
        path: '/cluster',
        headers: json,
        body: jsonBody(i),
      }),
    ),
    seed('GetCluster', { identifier: CLUSTER }, (i) => ({ method: 'GET', path: cluster(i) })),
    seed('UpdateCluster', { identifier: CLUSTER, deletionProtectionEnabled: true }, (i) => ({
      path: cluster(i),
      headers: json,
      body: jsonBody(i, 'identifier'),
    })),
    seed('DeleteCluster', { identifier: CLUSTER }, (i) => ({ method: 'DELETE', path: cluster(i) })),
    seed('ListClusters', { maxResults: 5, nextToken: 'abc' }, (i) => ({
      method: 'GET',
      path: '/cluster',
      query: query(i, { maxResults: 'max-results', nextToken: 'next-token' }),
    })),
    seed('TagResource', { resourceArn: CLUSTER_ARN, tags: { a: 'b' } }, (i) => ({
      path: `/tags/${label(i.resourceArn)}`,
      headers: json,
      body: jsonBody(i, 'resourceArn'),
    })),
    seed('UntagResource', { resourceArn: CLUSTER_ARN, tagKeys: ['a'] }, (i) => ({
      method: 'DELETE',
      path: `/tags/${label(i.resourceArn)}`,
      query: { tagKeys: Array.isArray(i.tagKeys) ? i.tagKeys.map(text) : text(i.tagKeys) },
    })),
    seed('ListTagsForResource', { resourceArn: CLUSTER_ARN }, (i) => ({
      method: 'GET',
      path: `/tags/${label(i.resourceArn)}`,
    })),
  ];
}

function eventsSeeds(): Seed[] {
  const ruleArn = `arn:aws:events:us-east-1:${ACCOUNT}:rule/fuzz-rule`;
  const inputs: Record<string, Input> = {
    CreateEventBus: { Name: 'fuzz-bus-new', Description: 'd', Tags: [{ Key: 'a', Value: 'b' }] },
    DescribeEventBus: { Name: 'fuzz-bus' },
    DeleteEventBus: { Name: 'fuzz-absent' },
    ListEventBuses: { NamePrefix: 'fuzz', Limit: 10 },
    PutRule: { Name: 'fuzz-rule', EventPattern: '{"source":["fuzz"]}', State: 'ENABLED', Description: 'd' },
    DescribeRule: { Name: 'fuzz-rule' },
    DeleteRule: { Name: 'fuzz-absent' },
    ListRules: { NamePrefix: 'fuzz', Limit: 10 },
    PutTargets: {
      Rule: 'fuzz-rule',
      Targets: [
        { Id: 't1', Arn: `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/fuzz-bus`, Input: '{"a":1}' },
      ],
    },
    RemoveTargets: { Rule: 'fuzz-rule', Ids: ['t9'] },
    ListTargetsByRule: { Rule: 'fuzz-rule', Limit: 5 },
    PutEvents: {
      Entries: [
        { Source: 'fuzz', DetailType: 'x', Detail: '{"a":1}', EventBusName: 'fuzz-bus', Resources: ['r'] },
      ],
    },
    TagResource: { ResourceARN: ruleArn, Tags: [{ Key: 'a', Value: 'b' }] },
    UntagResource: { ResourceARN: ruleArn, TagKeys: ['a'] },
    ListTagsForResource: { ResourceARN: ruleArn },
  };
  return Object.entries(inputs).map(([operation, input]) => ({
    protocol: 'awsJson1_1',
    service: 'events',
    operation,
    input,
  }));
}

function querySeeds(): Seed[] {
  const role = { RoleName: 'fuzz-role' };
  const inputs: Record<string, Input> = {
    CreateRole: {
      RoleName: 'fuzz-role-new',
      AssumeRolePolicyDocument: TRUST,
      Path: '/',
      Description: 'd',
      MaxSessionDuration: 3600,
      Tags: [{ Key: 'a', Value: 'b' }],
    },
    GetRole: role,
    DeleteRole: { RoleName: 'fuzz-absent' },
    UpdateAssumeRolePolicy: { ...role, PolicyDocument: TRUST },
    TagRole: { ...role, Tags: [{ Key: 'a', Value: 'b' }] },
    UntagRole: { ...role, TagKeys: ['a'] },
    ListRoleTags: { ...role, MaxItems: 10 },
    PutRolePolicy: { ...role, PolicyName: 'p', PolicyDocument: POLICY },
    GetRolePolicy: { ...role, PolicyName: 'p' },
    DeleteRolePolicy: { ...role, PolicyName: 'absent' },
    ListRolePolicies: { ...role, MaxItems: 10 },
    ListRoles: { PathPrefix: '/', MaxItems: 10 },
    SimulatePrincipalPolicy: {
      PolicySourceArn: `arn:aws:iam::${ACCOUNT}:role/${role.RoleName}`,
      ActionNames: ['dsql:GetCluster'],
      ResourceArns: [CLUSTER_ARN],
      ContextEntries: [
        { ContextKeyName: 'aws:SourceAccount', ContextKeyValues: [ACCOUNT], ContextKeyType: 'string' },
      ],
    },
  };
  return [
    ...Object.entries(inputs).map(([operation, input]) => ({
      protocol: 'awsQuery' as const,
      service: 'iam',
      operation,
      input,
    })),
    { protocol: 'awsQuery', service: 'sts', operation: 'GetCallerIdentity', input: {} },
  ];
}

/** awsQuery's flattening: structures `A.B`, lists `A.member.N`; scalars as text. */
function flatten(value: unknown, prefix: string, form: URLSearchParams): void {
  if (Array.isArray(value)) {
    if (value.length === 0) form.append(prefix, '');
    for (const [i, item] of value.entries()) flatten(item, `${prefix}.member.${i + 1}`, form);
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) flatten(item, prefix ? `${prefix}.${key}` : key, form);
  } else form.append(prefix, value === null ? '' : String(value));
}

function requestOf(seed: Seed, input: Input, garble?: string): SignedRequestOptions {
  if (seed.protocol === 'restJson1') {
    const rest = seed.rest?.(input) ?? {};
    return { service: seed.service, ...rest, ...(garble !== undefined ? { body: garble } : {}) };
  }
  if (seed.protocol === 'awsJson1_1') {
    return {
      service: seed.service,
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSEvents.${seed.operation}`,
      },
      body: garble ?? JSON.stringify(input),
    };
  }
  const form = new URLSearchParams({
    Action: seed.operation,
    Version: seed.service === 'iam' ? '2010-05-08' : '2011-06-15',
  });
  flatten(input, '', form);
  return {
    service: seed.service,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: garble === undefined ? form.toString() : `${form.toString()}&${garble}`,
  };
}

const deep = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

/** Values of every other type, edge numbers, odd strings and nesting. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 2 ** 31, 2 ** 53 + 2, 1e21, -1e308, 1e308, 0.5, 3599, 43201, 901, 10241),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    'abc',
    '1e3',
    '-0',
    '99999999999999999999',
    '%ZZ',
    '\u0000',
    '\ud800',
    'a'.repeat(5000),
    'arn:aws:',
    '{"a":',
  ),
  fc.array(fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 8 })), { maxLength: 5 }),
  fc.dictionary(
    fc.string({ maxLength: 8 }),
    fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 8 })),
    {
      maxKeys: 4,
    },
  ),
  fc.constantFrom(deep(50), deep(2000)),
);

/** Garbled bodies: not JSON, not an object, invalid UTF-8, very deep, odd form fields. */
const garbled = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom(
    'null',
    '[]',
    '"str"',
    '1',
    '{',
    '{"a":1}}',
    '\uFEFF{}',
    '\xff\xfe',
    `${'['.repeat(10000)}${']'.repeat(10000)}`,
  ),
  fc.constantFrom(
    'Tags.member.x.Key=1',
    'A..B=1',
    '.=1',
    'Tags.member.1=1&Tags.member.1.Key=2',
    'MaxItems=1&MaxItems=2',
  ),
);

type Mutation =
  | { kind: 'set'; path: string[]; value: unknown }
  | { kind: 'drop'; path: string[] }
  | { kind: 'add'; name: string; value: unknown }
  | { kind: 'garble'; body: string };

/** The member paths of a value (structures and list items), to pick one to mutate. */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => [[...prefix, key], ...paths(item, [...prefix, key])]);
}

function mutate(input: Input, mutation: Mutation): Input {
  const copy = structuredClone(input);
  if (mutation.kind === 'add') return { ...copy, [mutation.name]: mutation.value };
  if (mutation.kind !== 'set' && mutation.kind !== 'drop') return copy;
  let node: Record<string, unknown> = copy;
  for (const key of mutation.path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = mutation.path.at(-1) ?? '';
  if (mutation.kind === 'set') node[last] = mutation.value;
  else if (Array.isArray(node)) node.splice(Number(last), 1);
  else delete node[last];
  return copy;
}

function mutationFor(seed: Seed): fc.Arbitrary<Mutation> {
  const all = paths(seed.input);
  const path: fc.Arbitrary<string[]> = all.length > 0 ? fc.constantFrom(...all) : fc.constant(['Extra']);
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), path, value: oddValue }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), path }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('add' as const),
        name: fc.string({ maxLength: 12 }),
        value: oddValue,
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('garble' as const), body: garbled }) },
  );
}

/** The answer is a 2xx, or a 4xx in the protocol's error shape. */
async function checkAnswer(seed: Seed, response: Response, request: SignedRequestOptions): Promise<void> {
  const body = await response.text();
  const what = `${seed.service}:${seed.operation} ${request.method ?? 'POST'} ${(request.path ?? '/').slice(0, 200)} ${String(request.body).slice(0, 300)} → ${response.status} ${body.slice(0, 300)}`;
  assert.ok(response.status >= 200 && response.status < 500, what);
  if (response.status < 300) return;
  // A URL or headers past the caps are refused by the HTTP layer itself, before any protocol reads them.
  if (response.status === 414 || response.status === 431) return;
  if (seed.protocol === 'awsQuery') {
    assert.match(
      body,
      /<ErrorResponse xmlns="[^"]+"><Error><Type>Sender<\/Type><Code>\w+<\/Code><Message>/,
      what,
    );
    return;
  }
  const code = response.headers.get('x-amzn-errortype');
  assert.match(code ?? '', /^\w+$/, what);
  const parsed = JSON.parse(body) as Record<string, unknown>;
  if (seed.protocol === 'awsJson1_1') assert.equal(parsed.__type, code, what);
  assert.equal(typeof (parsed.message ?? parsed.Message), 'string', what);
}

const RUNS_PER_OPERATION = 60;
const CONCURRENCY = 8;

describe('local cloud: fuzzed requests at every served operation', () => {
  let cloud: TestLocalCloud;
  withSuiteCloud((started) => {
    cloud = started;
  });

  it('answers only 2xx or 4xx in each protocol’s shape, and stays healthy', async () => {
    const seeds = [...lambdaSeeds(), ...dsqlSeeds(), ...eventsSeeds(), ...querySeeds()];
    // Some state for the valid requests to find: a role, a bus and a rule.
    for (const seed of seeds.filter((s) => ['CreateRole', 'PutRule'].includes(s.operation))) {
      const input = { ...seed.input, ...(seed.operation === 'CreateRole' ? { RoleName: 'fuzz-role' } : {}) };
      assert.equal((await signedRequest(cloud, requestOf(seed, input))).status, 200);
    }
    const bus = eventsSeeds().find((s) => s.operation === 'CreateEventBus') as Seed;
    assert.equal((await signedRequest(cloud, requestOf(bus, { Name: 'fuzz-bus' }))).status, 200);

    const cases = seeds.flatMap((seed, i) =>
      fc
        .sample(mutationFor(seed), { seed: 20261201 + i, numRuns: RUNS_PER_OPERATION })
        .map((mutation) => ({ seed, mutation })),
    );
    // Every served operation is covered (the valid request, unmutated, first).
    for (const seed of seeds)
      cases.unshift({ seed, mutation: { kind: 'add', name: 'Unmodelled', value: 1 } });
    for (let i = 0; i < cases.length; i += CONCURRENCY) {
      await Promise.all(
        cases.slice(i, i + CONCURRENCY).map(async ({ seed, mutation }) => {
          const input = mutate(seed.input, mutation);
          const request = requestOf(seed, input, mutation.kind === 'garble' ? mutation.body : undefined);
          await checkAnswer(seed, await signedRequest(cloud, request), request);
        }),
      );
    }
    assert.ok(cases.length > 3000);
    // Healthy afterwards: an unrelated call works, and nothing answered 500.
    const identity = await sts(cloud).send(new GetCallerIdentityCommand({}));
    assert.equal(identity.Account, ACCOUNT);
    assert.deepEqual(
      cloud.requests().filter((e) => e.status >= 500),
      [],
    );
  });
});
