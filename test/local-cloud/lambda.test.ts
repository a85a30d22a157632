// Lambda (restJson1) through the real SDK client over HTTP: every operation and its modelled errors, the
// Pending → Active and InProgress → Successful state machines, the update-in-progress conflict, role
// checks with an IAM propagation window, and Invoke running zips built here in warm worker processes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { IAMClient } from '@aws-sdk/client-iam';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  InvalidParameterValueException,
  InvalidRequestContentException,
  InvokeCommand,
  type LambdaClient,
  ListFunctionsCommand,
  ListTagsCommand,
  PreconditionFailedException,
  RemovePermissionCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  TagResourceCommand,
  TooManyRequestsException,
  UntagResourceCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { strToU8, zipSync } from 'fflate';
import { iam, lambda, removeHome, startPrivateCloud, tempHome } from '../../scripts/lib/local-cloud.js';
import {
  childPids,
  commandLine,
  createFunction,
  createRole,
  decode,
  eventually,
  handlerZip,
  waitForFunction,
} from '../../scripts/lib/local-lambda.js';
import { FUNCTION_RUNTIME } from '../../src/lib/bundle.js';
import type { TestLocalCloud } from '../../src/lib/local-cloud/testing.js';

// Time scale 0.002: an update (500 s of "AWS time") stays InProgress for 1 s, creation (Pending) for 0.2 s, and a
// new role is not assumable for 1 s (500 s window).
const FAULTS = {
  timeScale: 0.002,
  durations: { 'lambda:Update': 500, 'lambda:CreateFunction': 100, 'iam:Propagation': 500 },
  failures: [
    { operation: 'lambda:ListTags', nth: 1, times: 3, code: 'TooManyRequestsException', status: 429 },
  ],
};
const PROPAGATION_MS = 1000;

const echo = (version: string) => `
export const handler = async (event, context) => ({
  version: '${version}',
  event,
  region: process.env.AWS_REGION,
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  endpoint: process.env.AWS_ENDPOINT_URL,
  accessKey: process.env.AWS_ACCESS_KEY_ID,
  greeting: process.env.GREETING,
  pid: process.pid,
  requestId: context.awsRequestId,
  remainingMs: context.getRemainingTimeInMillis(),
});`;

describe('local cloud: Lambda', () => {
  let cloud: TestLocalCloud;
  let client: LambdaClient;
  let iamClient: IAMClient;
  let role: string;
  before(async () => {
    // The home sits in an ESM package: function code must not inherit its "type" (see the CJS test).
    const home = tempHome();
    writeFileSync(join(home, 'package.json'), '{"type":"module"}\n');
    cloud = (await startPrivateCloud(FAULTS, home)).cloud;
    client = lambda(cloud);
    iamClient = iam(cloud);
    role = await createRole(iamClient, 'fn-role');
    await new Promise((r) => setTimeout(r, PROPAGATION_MS));
  });
  after(async () => {
    await cloud.stop();
    removeHome(cloud.home);
  });

  /** Where functions may write (as Lambda's /tmp): open to the sandbox user a root daemon runs them as. */
  let writable: string;
  before(() => {
    writable = mkdtempSync(join(tmpdir(), 'dsqlctl-fn-out-'));
    chmodSync(writable, 0o1777);
  });
  after(() => rmSync(writable, { recursive: true, force: true }));

  const invoke = async (name: string, event: unknown = {}) => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: name, Payload: new TextEncoder().encode(JSON.stringify(event)) }),
    );
    return { out, body: decode(out.Payload) };
  };

  it('creates a function: Pending then Active, CodeSha256 of the zip, AWS-shaped fields', async () => {
    const zip = handlerZip(echo('v1'));
    const created = await client.send(
      new CreateFunctionCommand({
        FunctionName: 'echo',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: role,
        Code: { ZipFile: zip },
        Environment: { Variables: { GREETING: 'hello' } },
        Tags: { 'dsqlctl:stack': 'shop' },
      }),
    );
    assert.equal(created.State, 'Pending');
    assert.equal(created.StateReasonCode, 'Creating');
    assert.equal(created.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:echo');
    assert.equal(created.CodeSha256, createHash('sha256').update(zip).digest('base64'));
    assert.equal(created.CodeSize, zip.length);
    assert.equal(created.Timeout, 3);
    assert.equal(created.MemorySize, 128);
    assert.equal(created.Version, '$LATEST');
    assert.deepEqual(created.Environment?.Variables, { GREETING: 'hello' });
    await assert.rejects(
      invoke('echo'),
      (e) => e instanceof ResourceConflictException && /Pending/.test(e.message),
    );
    await waitForFunction(client, 'echo', (c) => c.State === 'Active');
    const got = await client.send(new GetFunctionCommand({ FunctionName: 'echo' }));
    assert.equal(got.Configuration?.LastUpdateStatus, 'Successful');
    assert.deepEqual(got.Tags, { 'dsqlctl:stack': 'shop' });
    assert.equal(got.Code?.RepositoryType, 'S3');
    const byArn = await client.send(
      new GetFunctionConfigurationCommand({ FunctionName: created.FunctionArn }),
    );
    assert.equal(byArn.FunctionName, 'echo');
    await assert.rejects(
      client.send(
        new CreateFunctionCommand({
          FunctionName: 'echo',
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: role,
          Code: { ZipFile: zip },
        }),
      ),
      (e) => e instanceof ResourceConflictException && /already exist/.test(e.message),
    );
  });

  it('invokes with the event, environment, region, credentials and endpoint; updated code runs after the update', async () => {
    const { out, body } = await invoke('echo', { hello: 'world' });
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, undefined);
    assert.equal(out.ExecutedVersion, '$LATEST');
    assert.equal(body.version, 'v1');
    assert.deepEqual(body.event, { hello: 'world' });
    assert.equal(body.region, 'us-east-1');
    assert.equal(body.functionName, 'echo');
    assert.equal(body.endpoint, cloud.endpoint);
    // The execution role's session credentials, as Lambda hands them to the runtime (the DSQL endpoint
    // knows whose they are), not the operator's.
    assert.match(String(body.accessKey), /^ASIA[A-Z2-7]{16}$/);
    assert.equal(body.greeting, 'hello');
    assert.match(String(body.requestId), /^[0-9a-f-]{36}$/);
    assert.ok(Number(body.remainingMs) > 2000 && Number(body.remainingMs) <= 3000);

    const zip2 = handlerZip(echo('v2'));
    const updated = await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'echo', ZipFile: zip2 }));
    assert.equal(updated.LastUpdateStatus, 'InProgress');
    assert.equal(updated.CodeSha256, createHash('sha256').update(zip2).digest('base64'));
    // Until the update settles, invocations run the previous code, in the same warm worker.
    const during = (await invoke('echo')).body;
    assert.equal(during.version, 'v1');
    assert.equal(during.pid, body.pid);
    await waitForFunction(client, 'echo', (c) => c.LastUpdateStatus === 'Successful');
    const updatedBody = (await invoke('echo')).body;
    assert.equal(updatedBody.version, 'v2');
    assert.notEqual(updatedBody.pid, body.pid, 'the new code runs in a new worker');
  });

  it('refuses an update while another is in progress (ResourceConflictException), then accepts it', async () => {
    await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'echo', Timeout: 5 }));
    await assert.rejects(
      client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'echo', MemorySize: 256 })),
      (e) => e instanceof ResourceConflictException && /update is in progress/.test(e.message),
    );
    await assert.rejects(
      client.send(new UpdateFunctionCodeCommand({ FunctionName: 'echo', ZipFile: handlerZip(echo('v3')) })),
      ResourceConflictException,
    );
    await waitForFunction(client, 'echo', (c) => c.LastUpdateStatus === 'Successful');
    await assert.rejects(
      client.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: 'echo',
          MemorySize: 256,
          RevisionId: 'stale',
        }),
      ),
      PreconditionFailedException,
    );
    const next = await client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'echo',
        MemorySize: 256,
        Environment: { Variables: { GREETING: 'bonjour' } },
      }),
    );
    assert.equal(next.Timeout, 5);
    assert.equal(next.MemorySize, 256);
    await waitForFunction(client, 'echo', (c) => c.LastUpdateStatus === 'Successful');
    const { body } = await invoke('echo');
    assert.equal(body.greeting, 'bonjour');
    assert.ok(Number(body.remainingMs) > 3000, 'the new timeout applies');
  });

  it('validates runtime, role, parameters, code and payload with the modelled errors', async () => {
    const base = {
      FunctionName: 'bad',
      Runtime: 'nodejs22.x' as const,
      Handler: 'index.handler',
      Role: role,
      Code: { ZipFile: handlerZip(echo('x')) },
    };
    await assert.rejects(
      client.send(new CreateFunctionCommand({ ...base, Runtime: 'nodejs20.x' })),
      (e) => e instanceof InvalidParameterValueException && /nodejs20\.x/.test(e.message),
    );
    await assert.rejects(
      client.send(new CreateFunctionCommand({ ...base, Role: 'arn:aws:iam::000000000000:role/missing' })),
      (e) =>
        e instanceof InvalidParameterValueException &&
        e.message === 'The role defined for the function cannot be assumed by Lambda.',
    );
    const eventsRole = await createRole(iamClient, 'not-for-lambda', 'events.amazonaws.com');
    await new Promise((r) => setTimeout(r, PROPAGATION_MS));
    await assert.rejects(
      client.send(new CreateFunctionCommand({ ...base, Role: eventsRole })),
      InvalidParameterValueException,
    );
    await assert.rejects(
      client.send(
        new CreateFunctionCommand({ ...base, Code: { ZipFile: new TextEncoder().encode('not a zip') } }),
      ),
      (e) => e instanceof InvalidParameterValueException && /unzip/.test(e.message),
    );
    await assert.rejects(
      client.send(new CreateFunctionCommand({ ...base, Environment: { Variables: { AWS_REGION: 'x' } } })),
      (e) => e instanceof InvalidParameterValueException && /reserved keys/.test(e.message),
    );
    await assert.rejects(
      client.send(new CreateFunctionCommand({ ...base, Timeout: 0 })),
      (e) => (e as Error).name === 'ValidationException',
    );
    await assert.rejects(client.send(new GetFunctionCommand({ FunctionName: 'bad' })), (e) => {
      assert.ok(e instanceof ResourceNotFoundException);
      assert.equal(e.message, 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:bad');
      assert.equal(e.$metadata.httpStatusCode, 404);
      return true;
    });
    await assert.rejects(
      client.send(
        new InvokeCommand({ FunctionName: 'echo', Payload: new TextEncoder().encode('{not json') }),
      ),
      InvalidRequestContentException,
    );
    await assert.rejects(
      client.send(new GetFunctionCommand({ FunctionName: 'echo', Qualifier: '7' })),
      ResourceNotFoundException,
    );
  });

  it('refuses a role younger than the IAM propagation window, accepts it once the window has passed', async () => {
    const fresh = await createRole(iamClient, 'fresh-role');
    const create = () =>
      client.send(
        new CreateFunctionCommand({
          FunctionName: 'fresh',
          Runtime: 'nodejs24.x',
          Handler: 'index.handler',
          Role: fresh,
          Code: { ZipFile: handlerZip(echo('fresh')) },
        }),
      );
    await assert.rejects(
      create(),
      (e) =>
        e instanceof InvalidParameterValueException &&
        e.message === 'The role defined for the function cannot be assumed by Lambda.',
    );
    await new Promise((r) => setTimeout(r, PROPAGATION_MS));
    assert.equal((await create()).Runtime, 'nodejs24.x');
  });

  it('runs a function of the runtime the CLI deploys (nodejs24.x) on Node 24, as Lambda does', async () => {
    assert.equal(FUNCTION_RUNTIME, 'nodejs24.x');
    await client.send(
      new CreateFunctionCommand({
        FunctionName: 'which-node',
        Runtime: FUNCTION_RUNTIME,
        Handler: 'index.handler',
        Role: role,
        Code: {
          ZipFile: handlerZip(
            'export const handler = async () => ({ node: process.versions.node, env: process.env.AWS_EXECUTION_ENV });',
          ),
        },
      }),
    );
    await waitForFunction(client, 'which-node', (c) => c.State === 'Active');
    const { body } = await invoke('which-node');
    const { node, env } = body as { node: string; env: string };
    assert.equal(node.split('.')[0], '24');
    assert.equal(env, 'AWS_Lambda_nodejs24.x');
  });

  it('answers a throwing handler with 200, FunctionError Unhandled and {errorType, errorMessage, trace}', async () => {
    await createFunction(client, {
      name: 'thrower',
      role,
      source: `export const handler = async () => { throw new TypeError('boom: ' + process.env.AWS_REGION); };`,
    });
    const { out, body } = await invoke('thrower');
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, 'Unhandled');
    assert.equal(body.errorType, 'TypeError');
    assert.equal(body.errorMessage, 'boom: us-east-1');
    assert.ok(Array.isArray(body.trace) && (body.trace as string[])[0]?.includes('TypeError: boom'));
    // A handler that cannot be found is also the function's error, not the API's.
    await createFunction(client, { name: 'nohandler', role, source: 'export const other = () => 1;' });
    const missing = await invoke('nohandler');
    assert.equal(missing.out.FunctionError, 'Unhandled');
    assert.equal(missing.body.errorType, 'Runtime.HandlerNotFound');
  });

  it('runs a CommonJS handler in a subfolder (even under an ESM package), as Lambda resolves `dir/file.export`', async () => {
    await client.send(
      new CreateFunctionCommand({
        FunctionName: 'cjs',
        Runtime: 'nodejs22.x',
        Handler: 'src/app.main',
        Role: role,
        Code: {
          ZipFile: zipSync({
            'src/app.js': strToU8(
              "const os = require('node:os');\nexports.main = async () => ({ cjs: typeof module, os: os.platform() });",
            ),
          }),
        },
      }),
    );
    await waitForFunction(client, 'cjs', (c) => c.State === 'Active');
    const { out, body } = await invoke('cjs');
    assert.equal(out.FunctionError, undefined, JSON.stringify(body));
    assert.deepEqual(body, { cjs: 'object', os: process.platform });
  });

  it('keeps module-scope state across warm invocations of one worker', async () => {
    await createFunction(client, {
      name: 'counter',
      role,
      source: 'let count = 0;\nexport const handler = async () => ({ count: ++count, pid: process.pid });',
    });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await invoke('counter')).body);
    assert.deepEqual(
      answers.map((a) => a.count),
      [1, 2, 3, 4],
    );
    assert.equal(new Set(answers.map((a) => a.pid)).size, 1, 'one warm worker served them all');
    assert.match(commandLine(Number(answers[0]?.pid)), /worker\.(ts|js)/);
  });

  it('runs one invocation at a time per worker, in a pool of at most 4 workers', async () => {
    await createFunction(client, {
      name: 'busy',
      role,
      source: `let inFlight = 0;
let most = 0;
export const handler = async () => {
  most = Math.max(most, ++inFlight);
  await new Promise((r) => setTimeout(r, 300));
  inFlight--;
  return { pid: process.pid, most };
};`,
    });
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 8 }, () => invoke('busy')));
    const elapsed = Date.now() - started;
    const pids = new Set(answers.map((a) => a.body.pid));
    assert.ok(
      answers.every((a) => a.body.most === 1),
      'no worker ever ran two invocations at once',
    );
    assert.equal(pids.size, 4, 'eight concurrent invocations share four workers');
    assert.ok(elapsed >= 600, `the second four waited for a free worker (${elapsed} ms)`);
  });

  it('times out a handler past its Timeout and replaces the worker', async () => {
    await createFunction(client, {
      name: 'sleeper',
      role,
      timeout: 1,
      source: `let calls = 0;
export const handler = async (event) => {
  calls++;
  await new Promise((r) => setTimeout(r, event.ms));
  return { calls, pid: process.pid };
};`,
    });
    const first = await invoke('sleeper', { ms: 10 });
    const started = Date.now();
    const slow = await invoke('sleeper', { ms: 5000 });
    const elapsed = Date.now() - started;
    assert.equal(slow.out.FunctionError, 'Unhandled');
    // Lambda's own payload: `<ISO time> <request id> Task timed out after 1.00 seconds`, nothing else.
    assert.deepEqual(Object.keys(slow.body), ['errorMessage']);
    const [at, requestId, ...rest] = String(slow.body.errorMessage).split(' ');
    assert.ok(!Number.isNaN(Date.parse(at ?? '')) && at?.endsWith('Z'), `an ISO timestamp first: ${at}`);
    assert.equal(requestId, slow.out.$metadata.requestId, 'the invocation request id second');
    assert.equal(rest.join(' '), 'Task timed out after 1.00 seconds');
    assert.ok(elapsed >= 1000 && elapsed < 4000, `answered after ${elapsed} ms`);
    const again = await invoke('sleeper', { ms: 10 });
    assert.equal(again.body.calls, 1, 'a fresh worker (module state reset)');
    assert.notEqual(again.body.pid, first.body.pid);
  });

  it('answers a response over 6 MB with Function.ResponseSizeTooLarge, as Lambda does', async () => {
    await createFunction(client, {
      name: 'bulky',
      role,
      source: `export const handler = async (event) => 'x'.repeat(event.bytes);`,
    });
    // 6,291,556 bytes is Lambda's limit: the JSON string's two quotes count.
    const fits = await invoke('bulky', { bytes: 6_291_556 - 2 });
    assert.equal(fits.out.FunctionError, undefined);
    assert.equal(fits.out.Payload?.length, 6_291_556);
    const over = await invoke('bulky', { bytes: 6_291_556 - 1 });
    assert.equal(over.out.FunctionError, 'Unhandled');
    assert.deepEqual(over.body, {
      errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
      errorType: 'Function.ResponseSizeTooLarge',
    });
  });

  it('never runs function code as root: a root daemon runs it as a sandbox user, from a folder only it can read', async () => {
    await createFunction(client, {
      name: 'whoami',
      role,
      source: `import { statSync, readdirSync } from 'node:fs';
export const handler = async (event) => {
  const root = statSync(process.env.LAMBDA_TASK_ROOT);
  let home = 'readable';
  try { readdirSync(event.home); } catch (error) { home = error.code; }
  return { uid: process.getuid(), gid: process.getgid(), rootOwner: root.uid, rootMode: root.mode & 0o777, home };
};`,
    });
    const { out, body } = await invoke('whoami', { home: join(cloud.home, 'local-cloud') });
    assert.equal(out.FunctionError, undefined, JSON.stringify(body));
    if (process.getuid?.() === 0) {
      assert.notEqual(body.uid, 0, 'the function does not run as root');
      assert.notEqual(body.gid, 0);
      assert.equal(body.rootOwner, body.uid, 'its code folder belongs to the sandbox user');
      assert.equal(Number(body.rootMode) & 0o077, 0, 'and nobody else may read it');
      assert.equal(body.home, 'EACCES', "the function cannot look into the local cloud's home");
    } else {
      assert.equal(body.uid, process.getuid?.(), "a non-root daemon's functions run as its user");
    }
  });

  it('replaces a worker that crashed', async () => {
    await createFunction(client, {
      name: 'crasher',
      role,
      source: `export const handler = async (event) => { if (event.crash) process.exit(3); return { pid: process.pid }; };`,
    });
    const before = await invoke('crasher');
    const crashed = await invoke('crasher', { crash: true });
    assert.equal(crashed.out.FunctionError, 'Unhandled');
    assert.equal(crashed.body.errorType, 'Runtime.ExitError');
    assert.match(String(crashed.body.errorMessage), /exit status 3/);
    const after = await invoke('crasher');
    assert.equal(after.out.FunctionError, undefined);
    assert.notEqual(after.body.pid, before.body.pid);
  });

  it('runs Event invocations asynchronously (202) and DryRun without running (204)', async () => {
    await createFunction(client, {
      name: 'writer',
      role,
      source: `import { writeFileSync } from 'node:fs';
export const handler = async (event) => { writeFileSync(event.file, JSON.stringify(event)); };`,
    });
    const file = join(writable, 'async-marker.json');
    const out = await client.send(
      new InvokeCommand({
        FunctionName: 'writer',
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify({ file, n: 1 })),
      }),
    );
    assert.equal(out.StatusCode, 202);
    const written = await eventually(
      () => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined),
      'the asynchronous invocation',
    );
    assert.equal(written.n, 1);
    const dry = await client.send(new InvokeCommand({ FunctionName: 'writer', InvocationType: 'DryRun' }));
    assert.equal(dry.StatusCode, 204);
  });

  it('retries a failing asynchronous invocation twice, then gives up', async () => {
    await createFunction(client, {
      name: 'flaky',
      role,
      source: `import { appendFileSync } from 'node:fs';
export const handler = async (event) => { appendFileSync(event.file, 'attempt\\n'); throw new Error('always fails'); };`,
    });
    const file = join(writable, 'flaky-attempts.txt');
    const out = await client.send(
      new InvokeCommand({
        FunctionName: 'flaky',
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify({ file })),
      }),
    );
    assert.equal(out.StatusCode, 202);
    const attempts = () =>
      existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
    // Retries wait lambda:AsyncRetry (60 s × 0.002) and twice that.
    await eventually(() => (attempts() === 3 ? true : undefined), 'three attempts', 5000);
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(attempts(), 3, 'no fourth attempt');
    const log = readFileSync(
      join(cloud.home, 'local-cloud', 'lambda', 'logs', 'us-east-1', 'flaky.log'),
      'utf8',
    );
    assert.match(log, /attempt 3 failed: .*always fails/);
  });

  it('adds, reads and removes resource-policy statements', async () => {
    await assert.rejects(
      client.send(new GetPolicyCommand({ FunctionName: 'echo' })),
      ResourceNotFoundException,
    );
    const sourceArn = 'arn:aws:events:us-east-1:000000000000:rule/bus/deliver';
    const added = await client.send(
      new AddPermissionCommand({
        FunctionName: 'echo',
        StatementId: 'deliver-invoke',
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: sourceArn,
      }),
    );
    assert.deepEqual(JSON.parse(added.Statement ?? ''), {
      Sid: 'deliver-invoke',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: 'arn:aws:lambda:us-east-1:000000000000:function:echo',
      Condition: { ArnLike: { 'AWS:SourceArn': sourceArn } },
    });
    await assert.rejects(
      client.send(
        new AddPermissionCommand({
          FunctionName: 'echo',
          StatementId: 'deliver-invoke',
          Action: 'lambda:InvokeFunction',
          Principal: 'events.amazonaws.com',
        }),
      ),
      (e) => e instanceof ResourceConflictException && /already exists/.test(e.message),
    );
    const policy = JSON.parse(
      (await client.send(new GetPolicyCommand({ FunctionName: 'echo' }))).Policy ?? '',
    );
    assert.deepEqual(
      policy.Statement.map((s: { Sid: string }) => s.Sid),
      ['deliver-invoke'],
    );
    await client.send(new RemovePermissionCommand({ FunctionName: 'echo', StatementId: 'deliver-invoke' }));
    await assert.rejects(
      client.send(new GetPolicyCommand({ FunctionName: 'echo' })),
      ResourceNotFoundException,
    );
    await assert.rejects(
      client.send(new RemovePermissionCommand({ FunctionName: 'echo', StatementId: 'deliver-invoke' })),
      ResourceNotFoundException,
    );
  });

  it('tags and untags by ARN; a throttled call throws TooManyRequestsException after the SDK retries', async () => {
    const resource = 'arn:aws:lambda:us-east-1:000000000000:function:echo';
    await assert.rejects(client.send(new ListTagsCommand({ Resource: resource })), TooManyRequestsException);
    await client.send(new TagResourceCommand({ Resource: resource, Tags: { team: 'db', env: 'test' } }));
    await client.send(new UntagResourceCommand({ Resource: resource, TagKeys: ['env'] }));
    const { Tags } = await client.send(new ListTagsCommand({ Resource: resource }));
    assert.deepEqual(Tags, { 'dsqlctl:stack': 'shop', team: 'db' });
    await assert.rejects(
      client.send(new ListTagsCommand({ Resource: 'arn:aws:lambda:us-east-1:000000000000:function:nope' })),
      ResourceNotFoundException,
    );
    const throttled = cloud.requests().filter((e) => e.operation === 'ListTags' && e.status === 429);
    assert.equal(throttled.length, 3);
  });

  it('lists functions per region, paginated', async () => {
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = await client.send(new ListFunctionsCommand({ MaxItems: 2, Marker: marker }));
      assert.ok((page.Functions ?? []).length <= 2);
      names.push(...(page.Functions ?? []).map((f) => f.FunctionName ?? ''));
      marker = page.NextMarker;
    } while (marker);
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.includes('echo') && names.includes('counter'));
    const west = await lambda(cloud, 'us-west-2').send(new ListFunctionsCommand({}));
    assert.deepEqual(west.Functions, []);
  });

  it('deletes a function and its workers; stopping the local cloud leaves no worker behind', async () => {
    const { body } = await invoke('counter');
    const workerPid = Number(body.pid);
    assert.ok(childPids(cloud.pid).includes(workerPid));
    await client.send(new DeleteFunctionCommand({ FunctionName: 'counter' }));
    await assert.rejects(
      client.send(new GetFunctionCommand({ FunctionName: 'counter' })),
      ResourceNotFoundException,
    );
    await eventually(
      () => (childPids(cloud.pid).includes(workerPid) ? undefined : true),
      'the worker to exit',
    );
    await invoke('echo');
    const workers = childPids(cloud.pid).filter((pid) => /worker\.(ts|js)/.test(commandLine(pid)));
    assert.ok(workers.length > 0);
    await cloud.stop();
    for (const pid of workers) assert.equal(commandLine(pid), '', `worker ${pid} still running`);
  });
});

describe('local cloud: Lambda across a daemon killed with -9', () => {
  it('workers exit on their own (their IPC channel closes); the restarted cloud still runs the function', async () => {
    const first = (await startPrivateCloud({ timeScale: 0.002 })).cloud;
    let second: TestLocalCloud | undefined;
    try {
      const role = await createRole(iam(first), 'kill-role');
      await createFunction(lambda(first), {
        name: 'pid',
        role,
        source: 'export const handler = async () => process.pid;',
      });
      const pidOf = async (cloud: TestLocalCloud) => {
        const out = await lambda(cloud).send(new InvokeCommand({ FunctionName: 'pid' }));
        assert.equal(out.FunctionError, undefined);
        return Number(new TextDecoder().decode(out.Payload));
      };
      const workerPid = await pidOf(first);
      assert.match(commandLine(workerPid), /worker\.(ts|js)/);
      process.kill(first.pid, 'SIGKILL');
      await eventually(
        () => (commandLine(workerPid) === '' ? true : undefined),
        'the orphaned worker to exit',
      );
      // State and code are on disk: the function survives, in a fresh worker. Code no function uses
      // any more (and a half-done extraction) is collected at start.
      const codeRoot = join(first.home, 'local-cloud', 'lambda', 'code');
      const kept = readdirSync(codeRoot).filter((e) => e !== 'package.json');
      mkdirSync(join(codeRoot, 'feedface.123.tmp'));
      writeFileSync(join(codeRoot, 'deadbeef.zip'), 'old');
      mkdirSync(join(codeRoot, 'deadbeef'));
      second = (await startPrivateCloud({ timeScale: 0.002 }, first.home)).cloud;
      assert.deepEqual(readdirSync(codeRoot).sort(), [...kept, 'package.json'].sort());
      const again = await pidOf(second);
      assert.notEqual(again, workerPid);
      assert.ok(childPids(second.pid).includes(again));
    } finally {
      await (second ?? first).stop();
      removeHome(first.home);
    }
  });
});
