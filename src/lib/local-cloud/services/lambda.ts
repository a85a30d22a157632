/**
 * AWS Lambda (restJson1): functions per region running the uploaded zip in warm Node worker processes
 * (lambda-runtime/). State as Lambda reports it: `State` Pending → Active after CreateFunction and
 * `LastUpdateStatus` InProgress → Successful after an update (durations `lambda:CreateFunction` and
 * `lambda:Update` in faults.ts, stored as "ready at" times and settled lazily); a second update while
 * one is in progress is a ResourceConflictException; until an update settles, invocations run the
 * previous code and configuration. The role must exist, trust lambda.amazonaws.com and be older than
 * the IAM propagation window (`iam:Propagation`, default 0).
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { arn, LOCAL_CREDENTIALS, parseArn, ServiceError } from '../aws.js';
import { BadZipError, codeDir, collectUnusedCode, storeCode, zipPath } from '../lambda-runtime/code.js';
import { type FunctionSpec, type InvocationOutcome, WorkerPools } from '../lambda-runtime/pool.js';
import { RawResponse, type RestJsonInput, restJson1Service } from '../protocols/rest-json1.js';
import type { CallContext, Cloud, LocalService } from '../registry.js';
import { type PolicyStatement, resourcePolicyAllows, roleByArn, roleTrusts } from './lambda-policy.js';

/** What an invocation runs and GetFunction reports: one generation of the function. */
interface Deployed {
  runtime: string;
  role: string;
  handler: string;
  description: string;
  timeout: number;
  memorySize: number;
  variables: Record<string, string>;
  codeSha256: string;
  /** Hex SHA-256: where the zip and its extracted tree live (lambda-runtime/code.ts). */
  codeId: string;
  codeSize: number;
  revisionId: string;
  /** Epoch ms. */
  lastModified: number;
}

export interface FunctionRecord {
  name: string;
  region: string;
  arn: string;
  config: Deployed;
  /** The generation invocations keep running until the update in progress settles. */
  previous?: Deployed;
  /** Epoch ms when State becomes Active. */
  activeAt: number;
  /** Epoch ms when the last update's LastUpdateStatus becomes Successful. */
  updateReadyAt?: number;
  tags: Record<string, string>;
  policy: PolicyStatement[];
}

export interface LambdaState {
  /** By `<region>/<name>`. */
  functions: Record<string, FunctionRecord>;
}

const NS = 'lambda';
const init = (): LambdaState => ({ functions: {} });
export const SUPPORTED_RUNTIMES = ['nodejs22.x', 'nodejs24.x'];
const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;
const MAX_ASYNC_PAYLOAD = 1024 * 1024;
const MAX_ENV_BYTES = 4096;
const RESERVED_ENV = new Set([
  '_HANDLER',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);
export const ROLE_NOT_ASSUMABLE = 'The role defined for the function cannot be assumed by Lambda.';

// Lambda's error members: most carry `message`, ResourceNotFoundException and ServiceException `Message`.
function lambdaError(code: string, message: string, status: number): ServiceError {
  return new ServiceError(code, message, { status, fields: { Type: 'User', message } });
}
const invalid = (message: string) => lambdaError('InvalidParameterValueException', message, 400);
const validation = (message: string) => lambdaError('ValidationException', message, 400);
const conflict = (message: string) => lambdaError('ResourceConflictException', message, 409);
const notFound = (message: string) => lambdaError('ResourceNotFoundException', message, 404);

const keyOf = (region: string, name: string) => `${region}/${name}`;
const functionArn = (region: string, name: string) => arn('lambda', region, `function:${name}`);

/** A FunctionName as Lambda accepts it: `name`, `name:qualifier`, `<account>:function:name` or an ARN. */
function nameOf(value: string): { name: string; qualifier?: string } {
  const match =
    /^(?:arn:aws:lambda:[a-z0-9-]+:)?(?:\d{12}:)?(?:function:)?([a-zA-Z0-9_-]{1,64})(?::(\$LATEST|[a-zA-Z0-9_-]+))?$/.exec(
      value,
    );
  if (!match) {
    throw validation(
      `1 validation error detected: Value '${value}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?`,
    );
  }
  return { name: match[1] ?? '', ...(match[2] ? { qualifier: match[2] } : {}) };
}

function requireLatest(qualifier: string | undefined | null, fnArn: string): void {
  if (qualifier && qualifier !== '$LATEST') throw notFound(`Function not found: ${fnArn}:${qualifier}`);
}

function stateOf(fn: FunctionRecord, now: number) {
  const pending = now < fn.activeAt;
  const updating = !pending && fn.updateReadyAt !== undefined && now < fn.updateReadyAt;
  return { pending, updating };
}

/** The generation an invocation runs now: the previous one while an update is in progress. */
function live(fn: FunctionRecord, now: number): Deployed {
  return stateOf(fn, now).updating && fn.previous ? fn.previous : fn.config;
}

function lambdaTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** The FunctionConfiguration Lambda answers. */
function configurationView(fn: FunctionRecord, now: number): Record<string, unknown> {
  const c = fn.config;
  const { pending, updating } = stateOf(fn, now);
  return {
    FunctionName: fn.name,
    FunctionArn: fn.arn,
    Runtime: c.runtime,
    Role: c.role,
    Handler: c.handler,
    CodeSize: c.codeSize,
    Description: c.description,
    Timeout: c.timeout,
    MemorySize: c.memorySize,
    LastModified: lambdaTime(c.lastModified),
    CodeSha256: c.codeSha256,
    Version: '$LATEST',
    ...(Object.keys(c.variables).length > 0 ? { Environment: { Variables: c.variables } } : {}),
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: c.revisionId,
    State: pending ? 'Pending' : 'Active',
    ...(pending ? { StateReason: 'The function is being created.', StateReasonCode: 'Creating' } : {}),
    ...(pending
      ? {}
      : updating
        ? {
            LastUpdateStatus: 'InProgress',
            LastUpdateStatusReason: 'The function is being created.',
            LastUpdateStatusReasonCode: 'Creating',
          }
        : { LastUpdateStatus: 'Successful' }),
    PackageType: 'Zip',
    Architectures: ['x86_64'],
    EphemeralStorage: { Size: 512 },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${fn.name}` },
  };
}

function findFunction(ctx: CallContext, value: string): { fn: FunctionRecord; qualifier?: string } {
  const { name, qualifier } = nameOf(value);
  const state = ctx.cloud.state.read(NS, init);
  const key = keyOf(ctx.region, name);
  const fn = Object.hasOwn(state.functions, key) ? state.functions[key] : undefined;
  if (!fn) throw notFound(`Function not found: ${functionArn(ctx.region, name)}`);
  return { fn, ...(qualifier ? { qualifier } : {}) };
}

// ── validation of configuration input ──────────────────────────────────────────────────────────

function checkRuntime(runtime: unknown): string {
  if (typeof runtime !== 'string' || !SUPPORTED_RUNTIMES.includes(runtime)) {
    throw invalid(
      `The runtime parameter of ${String(runtime)} is no longer supported for creating or updating AWS Lambda functions, or is not one the dsqlctl local cloud runs. Supported: ${SUPPORTED_RUNTIMES.join(', ')}.`,
    );
  }
  return runtime;
}

function checkRange(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw validation(
      `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: Member must have value ${value !== undefined && Number(value) < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`}`,
    );
  }
  return value;
}

function checkHandler(handler: unknown): string {
  if (typeof handler !== 'string' || !/^[^\s]{1,128}$/.test(handler)) {
    throw validation(
      `1 validation error detected: Value '${String(handler)}' at 'handler' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+`,
    );
  }
  return handler;
}

function checkVariables(environment: unknown): Record<string, string> {
  const variables = ((environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {}) as Record<string, unknown>;
  const reserved = Object.keys(variables).filter((k) => RESERVED_ENV.has(k));
  if (reserved.length > 0) {
    throw invalid(
      `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
    );
  }
  for (const key of Object.keys(variables)) {
    if (!/^[a-zA-Z]\w*$/.test(key)) {
      throw validation(
        `1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]`,
      );
    }
  }
  const result = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v ?? '')]));
  if (Buffer.byteLength(JSON.stringify(result)) > MAX_ENV_BYTES) {
    throw invalid(
      'Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit.',
    );
  }
  return result;
}

/** The role must exist, trust lambda.amazonaws.com and be older than the IAM propagation window. */
function checkRole(ctx: CallContext, role: unknown): string {
  if (typeof role !== 'string' || !/^arn:aws:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-/]+$/.test(role)) {
    throw validation(
      `1 validation error detected: Value '${String(role)}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+`,
    );
  }
  const record = roleByArn(ctx.cloud, role);
  if (!record || !roleTrusts(record, 'lambda.amazonaws.com')) throw invalid(ROLE_NOT_ASSUMABLE);
  const age = ctx.cloud.now() - Date.parse(record.CreateDate);
  if (age < ctx.cloud.faults.durationMs('iam:Propagation')) throw invalid(ROLE_NOT_ASSUMABLE);
  return role;
}

function storeZip(ctx: CallContext, zipFile: unknown) {
  if (typeof zipFile !== 'string' || zipFile.length === 0) {
    throw invalid(
      'Please provide a source for function code (ZipFile); the dsqlctl local cloud does not read S3.',
    );
  }
  try {
    return storeCode(ctx.cloud.dir, Buffer.from(zipFile, 'base64'));
  } catch (error) {
    if (error instanceof BadZipError) {
      throw invalid('Could not unzip uploaded file. Please check your file, then try to upload again.');
    }
    throw error;
  }
}

function checkTags(tags: unknown): Record<string, string> {
  const result = (tags ?? {}) as Record<string, string>;
  for (const key of Object.keys(result)) {
    if (key.length === 0 || key.length > 128 || key.startsWith('aws:'))
      throw invalid(`Invalid tag key: ${key}`);
  }
  return result;
}

function refusePublish(body: Record<string, unknown>): void {
  if (body.Publish === true) {
    throw invalid('The dsqlctl local cloud does not publish function versions: omit Publish.');
  }
}

/** The optional RevisionId guard of updates and permission changes; versions are not published. */
function checkRevision(fn: FunctionRecord, body: Record<string, unknown>): void {
  refusePublish(body);
  if (typeof body.RevisionId === 'string' && body.RevisionId !== fn.config.revisionId) {
    throw lambdaError(
      'PreconditionFailedException',
      'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      412,
    );
  }
}

/** Invocations and updates are refused while the function is Pending. */
function checkNotPending(fn: FunctionRecord, now: number): void {
  if (stateOf(fn, now).pending) {
    throw conflict(
      'The operation cannot be performed at this time. The function is currently in the following state: Pending',
    );
  }
}

/** Updates are refused while the function is Pending or another update is in progress. */
function checkUpdatable(fn: FunctionRecord, now: number): void {
  checkNotPending(fn, now);
  if (stateOf(fn, now).updating) {
    throw conflict(
      `The operation cannot be performed at this time. An update is in progress for resource: ${fn.arn}`,
    );
  }
}

const update = <R>(ctx: CallContext, change: (state: LambdaState) => R) =>
  ctx.cloud.state.update(NS, init, change);

function beginUpdate(
  ctx: CallContext,
  fn: FunctionRecord,
  next: Omit<Deployed, 'revisionId' | 'lastModified'>,
) {
  const now = ctx.cloud.now();
  checkUpdatable(fn, now);
  fn.previous = fn.config;
  fn.config = { ...next, revisionId: randomUUID(), lastModified: now };
  fn.updateReadyAt = now + ctx.cloud.faults.durationMs('lambda:Update');
}

// ── invocation ─────────────────────────────────────────────────────────────────────────────────

let pools: WorkerPools | undefined;

function logFileOf(cloud: Cloud, fn: FunctionRecord): string {
  return join(cloud.dir, 'lambda', 'logs', fn.region, `${fn.name}.log`);
}

function specOf(cloud: Cloud, fn: FunctionRecord, deployed: Deployed): FunctionSpec {
  const dir = codeDir(cloud.dir, deployed.codeId);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    ...deployed.variables,
    _HANDLER: deployed.handler,
    LAMBDA_TASK_ROOT: dir,
    AWS_REGION: fn.region,
    AWS_DEFAULT_REGION: fn.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${deployed.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(deployed.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `local/${deployed.revisionId}`,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    // The function's own SDK calls (EventBridge PutEvents) come back to the local cloud.
    AWS_ENDPOINT_URL: cloud.endpoint,
    _DSQLCTL_FUNCTION_ARN: fn.arn,
  };
  return {
    key: keyOf(fn.region, fn.name),
    generation: deployed.revisionId,
    codeDir: dir,
    env,
    timeoutMs: deployed.timeout * 1000,
    logFile: logFileOf(cloud, fn),
  };
}

function runtimePools(): WorkerPools {
  if (!pools) throw new Error('The Lambda runtime is not started.');
  return pools;
}

function invokeLive(
  cloud: Cloud,
  fn: FunctionRecord,
  payload: string,
  requestId: string,
): Promise<InvocationOutcome> {
  return runtimePools().invoke(specOf(cloud, fn, live(fn, cloud.now())), payload, requestId);
}

/** An asynchronous invocation's failure goes where Lambda would log it: the function's log. */
function logAsyncFailure(
  cloud: Cloud,
  fn: FunctionRecord,
  requestId: string,
  attempt: number,
  outcome: InvocationOutcome,
): void {
  const file = logFileOf(cloud, fn);
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(
    file,
    `${new Date().toISOString()} ${requestId} asynchronous invocation attempt ${attempt} failed: ${outcome.payload}\n`,
  );
}

/** Lambda retries a failed asynchronous invocation twice, after about one and then two minutes. */
const ASYNC_ATTEMPTS = 3;

/**
 * Runs an asynchronous invocation in the background (Event invocations, EventBridge deliveries):
 * a function error is retried twice, after `lambda:AsyncRetry` and twice that (faults.ts), each time on
 * the function's current generation; a function deleted meanwhile ends it.
 */
function invokeInBackground(cloud: Cloud, fn: FunctionRecord, payload: string, requestId: string): void {
  const key = keyOf(fn.region, fn.name);
  void (async () => {
    for (let attempt = 1; attempt <= ASYNC_ATTEMPTS; attempt++) {
      const current = cloud.state.read(NS, init).functions[key];
      if (!current || !pools) return;
      const outcome = await invokeLive(cloud, current, payload, requestId);
      if (!outcome.functionError) return;
      logAsyncFailure(cloud, current, requestId, attempt, outcome);
      if (attempt < ASYNC_ATTEMPTS) {
        await sleep(cloud.faults.durationMs('lambda:AsyncRetry') * 2 ** (attempt - 1));
      }
    }
  })().catch((error: unknown) => {
    process.stderr.write(
      `${new Date().toISOString()} asynchronous invocation ${requestId} failed: ${error}\n`,
    );
  });
}

/**
 * EventBridge's delivery to a function: allowed only by a resource-policy statement for
 * events.amazonaws.com matching the rule's ARN. Returns once the invocation is queued (asynchronous,
 * as Lambda answers 202); throws a ServiceError naming why the delivery failed.
 */
export function invokeFromService(
  cloud: Cloud,
  targetArn: string,
  service: string,
  sourceArn: string,
  payload: string,
): void {
  const parsed = parseArn(targetArn);
  const name = parsed?.resource.startsWith('function:')
    ? nameOf(parsed.resource.slice('function:'.length))
    : undefined;
  const state = cloud.state.read(NS, init);
  const key = name && parsed ? keyOf(parsed.region, name.name) : '';
  const fn = Object.hasOwn(state.functions, key) ? state.functions[key] : undefined;
  if (!fn) throw notFound(`Function not found: ${targetArn}`);
  if (!resourcePolicyAllows(fn.policy, service, sourceArn)) {
    throw new ServiceError(
      'AccessDeniedException',
      `${service} is not authorized to perform lambda:InvokeFunction on ${fn.arn} from ${sourceArn}: no resource-based policy statement allows it.`,
      { status: 403 },
    );
  }
  checkNotPending(fn, cloud.now());
  const requestId = randomUUID();
  invokeInBackground(cloud, fn, payload, requestId);
}

async function invoke(input: RestJsonInput, ctx: CallContext) {
  const { fn, qualifier } = findFunction(ctx, input.params.FunctionName ?? '');
  requireLatest(qualifier ?? input.query.get('Qualifier'), fn.arn);
  const type = input.header('x-amz-invocation-type') ?? 'RequestResponse';
  if (!['RequestResponse', 'Event', 'DryRun'].includes(type)) {
    throw validation(
      `1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`,
    );
  }
  const limit = type === 'Event' ? MAX_ASYNC_PAYLOAD : MAX_SYNC_PAYLOAD;
  if (input.raw.length > limit) {
    throw lambdaError(
      'RequestTooLargeException',
      `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
      413,
    );
  }
  const payload = input.raw.toString('utf8');
  if (payload.length > 0) {
    try {
      JSON.parse(payload);
    } catch (error) {
      throw lambdaError(
        'InvalidRequestContentException',
        `Could not parse request body into json: ${(error as Error).message}`,
        400,
      );
    }
  }
  checkNotPending(fn, ctx.cloud.now());
  const headers = { 'x-amz-executed-version': '$LATEST' };
  if (type === 'DryRun') return new RawResponse({ status: 204, headers, body: '' });
  if (type === 'Event') {
    invokeInBackground(ctx.cloud, fn, payload, ctx.requestId);
    return new RawResponse({ status: 202, headers: {}, body: '' });
  }
  const outcome = await invokeLive(ctx.cloud, fn, payload, ctx.requestId);
  return new RawResponse({
    status: 200,
    headers: {
      ...headers,
      'content-type': 'application/json',
      ...(outcome.functionError ? { 'x-amz-function-error': outcome.functionError } : {}),
    },
    body: outcome.payload,
  });
}

// ── operations ─────────────────────────────────────────────────────────────────────────────────

const noContent = () => new RawResponse({ status: 204, headers: {}, body: '' });

function functionByTagArn(ctx: CallContext, resource: string): FunctionRecord {
  const parsed = parseArn(resource);
  if (parsed?.service !== 'lambda' || !parsed.resource.startsWith('function:')) {
    throw invalid(`Invalid resource ARN: ${resource}`);
  }
  const { name } = nameOf(parsed.resource.slice('function:'.length));
  const state = ctx.cloud.state.read(NS, init);
  const fn = state.functions[keyOf(parsed.region, name)];
  if (!fn) throw notFound(`Function not found: ${resource}`);
  return fn;
}

function statementFor(fn: FunctionRecord, body: Record<string, unknown>): PolicyStatement {
  const sid = body.StatementId;
  if (typeof sid !== 'string' || !/^[a-zA-Z0-9_.-]{1,100}$/.test(sid)) {
    throw validation(
      `1 validation error detected: Value '${String(sid)}' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)`,
    );
  }
  const action = body.Action;
  if (typeof action !== 'string' || !/^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/.test(action)) {
    throw validation(
      `1 validation error detected: Value '${String(action)}' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])`,
    );
  }
  const principal = body.Principal;
  if (typeof principal !== 'string' || principal.length === 0) {
    throw validation(
      "1 validation error detected: Value null at 'principal' failed to satisfy constraint: Member must not be null",
    );
  }
  const statement: PolicyStatement = {
    Sid: sid,
    Effect: 'Allow',
    Principal:
      principal === '*'
        ? '*'
        : principal.endsWith('.amazonaws.com')
          ? { Service: principal }
          : { AWS: /^\d{12}$/.test(principal) ? `arn:aws:iam::${principal}:root` : principal },
    Action: action,
    Resource: fn.arn,
  };
  const condition: Record<string, Record<string, string>> = {};
  if (typeof body.SourceAccount === 'string')
    condition.StringEquals = { 'AWS:SourceAccount': body.SourceAccount };
  if (typeof body.SourceArn === 'string') condition.ArnLike = { 'AWS:SourceArn': body.SourceArn };
  if (Object.keys(condition).length > 0) statement.Condition = condition;
  return statement;
}

export const lambdaService: LocalService = {
  ...restJson1Service({
    signingName: 'lambda',
    throttling: { code: 'TooManyRequestsException', status: 429 },
    messageMember: 'Message',
    operations: {
      CreateFunction: {
        method: 'POST',
        path: '/2015-03-31/functions',
        status: 201,
        async handler({ body }, ctx) {
          const name = body.FunctionName;
          if (typeof name !== 'string' || !NAME.test(name)) {
            throw validation(
              `1 validation error detected: Value '${String(name)}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ and have length less than or equal to 64`,
            );
          }
          if (body.PackageType === 'Image') throw invalid('The dsqlctl local cloud runs Zip functions only.');
          refusePublish(body);
          const runtime = checkRuntime(body.Runtime);
          const handler = checkHandler(body.Handler);
          const timeout = checkRange(body.Timeout ?? 3, 'timeout', 1, 900);
          const memorySize = checkRange(body.MemorySize ?? 128, 'memorySize', 128, 10240);
          const variables = checkVariables(body.Environment);
          const tags = checkTags(body.Tags);
          const role = checkRole(ctx, body.Role);
          const code = storeZip(ctx, (body.Code as { ZipFile?: unknown } | undefined)?.ZipFile);
          return update(ctx, (state) => {
            const key = keyOf(ctx.region, name);
            if (state.functions[key]) throw conflict(`Function already exist: ${name}`);
            const now = ctx.cloud.now();
            const fn: FunctionRecord = {
              name,
              region: ctx.region,
              arn: functionArn(ctx.region, name),
              config: {
                runtime,
                role,
                handler,
                description: typeof body.Description === 'string' ? body.Description : '',
                timeout,
                memorySize,
                variables,
                codeSha256: code.sha256,
                codeId: code.id,
                codeSize: code.size,
                revisionId: randomUUID(),
                lastModified: now,
              },
              activeAt: now + ctx.cloud.faults.durationMs('lambda:CreateFunction'),
              tags,
              policy: [],
            };
            state.functions[key] = fn;
            return configurationView(fn, now);
          });
        },
      },
      GetFunction: {
        method: 'GET',
        path: '/2015-03-31/functions/{FunctionName}',
        handler({ params, query }, ctx) {
          const { fn, qualifier } = findFunction(ctx, params.FunctionName ?? '');
          requireLatest(qualifier ?? query.get('Qualifier'), fn.arn);
          return {
            Configuration: configurationView(fn, ctx.cloud.now()),
            Code: { RepositoryType: 'S3', Location: `file://${zipPath(ctx.cloud.dir, fn.config.codeId)}` },
            ...(Object.keys(fn.tags).length > 0 ? { Tags: fn.tags } : {}),
          };
        },
      },
      GetFunctionConfiguration: {
        method: 'GET',
        path: '/2015-03-31/functions/{FunctionName}/configuration',
        handler({ params, query }, ctx) {
          const { fn, qualifier } = findFunction(ctx, params.FunctionName ?? '');
          requireLatest(qualifier ?? query.get('Qualifier'), fn.arn);
          return configurationView(fn, ctx.cloud.now());
        },
      },
      UpdateFunctionCode: {
        method: 'PUT',
        path: '/2015-03-31/functions/{FunctionName}/code',
        async handler({ params, body }, ctx) {
          const { fn: found } = findFunction(ctx, params.FunctionName ?? '');
          checkRevision(found, body);
          checkUpdatable(found, ctx.cloud.now());
          const code = storeZip(ctx, body.ZipFile);
          return update(ctx, () => {
            const { fn } = findFunction(ctx, params.FunctionName ?? '');
            beginUpdate(ctx, fn, {
              ...fn.config,
              codeSha256: code.sha256,
              codeId: code.id,
              codeSize: code.size,
            });
            return configurationView(fn, ctx.cloud.now());
          });
        },
      },
      UpdateFunctionConfiguration: {
        method: 'PUT',
        path: '/2015-03-31/functions/{FunctionName}/configuration',
        async handler({ params, body }, ctx) {
          const { fn: found } = findFunction(ctx, params.FunctionName ?? '');
          checkRevision(found, body);
          checkUpdatable(found, ctx.cloud.now());
          const c = found.config;
          const next = {
            ...c,
            runtime: body.Runtime === undefined ? c.runtime : checkRuntime(body.Runtime),
            handler: body.Handler === undefined ? c.handler : checkHandler(body.Handler),
            timeout: body.Timeout === undefined ? c.timeout : checkRange(body.Timeout, 'timeout', 1, 900),
            memorySize:
              body.MemorySize === undefined
                ? c.memorySize
                : checkRange(body.MemorySize, 'memorySize', 128, 10240),
            description: typeof body.Description === 'string' ? body.Description : c.description,
            variables: body.Environment === undefined ? c.variables : checkVariables(body.Environment),
            role: body.Role === undefined || body.Role === c.role ? c.role : checkRole(ctx, body.Role),
          };
          return update(ctx, () => {
            const { fn } = findFunction(ctx, params.FunctionName ?? '');
            beginUpdate(ctx, fn, next);
            return configurationView(fn, ctx.cloud.now());
          });
        },
      },
      DeleteFunction: {
        method: 'DELETE',
        path: '/2015-03-31/functions/{FunctionName}',
        async handler({ params, query }, ctx) {
          const { fn: found, qualifier } = findFunction(ctx, params.FunctionName ?? '');
          requireLatest(qualifier ?? query.get('Qualifier'), found.arn);
          const key = keyOf(found.region, found.name);
          await update(ctx, (state) => {
            delete state.functions[key];
          });
          await pools?.discard(key);
          return noContent();
        },
      },
      ListFunctions: {
        method: 'GET',
        path: '/2015-03-31/functions',
        handler({ query }, ctx) {
          const maxItems = query.get('MaxItems') === null ? 50 : Number(query.get('MaxItems'));
          checkRange(maxItems, 'maxItems', 1, 10000);
          const marker = query.get('Marker');
          const after = marker ? Buffer.from(marker, 'base64url').toString('utf8') : '';
          const all = Object.values(ctx.cloud.state.read(NS, init).functions)
            .filter((f) => f.region === ctx.region && f.name > after)
            .sort((a, b) => (a.name < b.name ? -1 : 1));
          const page = all.slice(0, maxItems);
          const last = page.at(-1);
          const now = ctx.cloud.now();
          return {
            Functions: page.map((f) => configurationView(f, now)),
            ...(all.length > maxItems && last
              ? { NextMarker: Buffer.from(last.name).toString('base64url') }
              : {}),
          };
        },
      },
      Invoke: {
        method: 'POST',
        path: '/2015-03-31/functions/{FunctionName}/invocations',
        payload: 'raw',
        handler: invoke,
      },
      AddPermission: {
        method: 'POST',
        path: '/2015-03-31/functions/{FunctionName}/policy',
        status: 201,
        handler({ params, query, body }, ctx) {
          return update(ctx, () => {
            const { fn, qualifier } = findFunction(ctx, params.FunctionName ?? '');
            requireLatest(qualifier ?? query.get('Qualifier'), fn.arn);
            const statement = statementFor(fn, body);
            if (fn.policy.some((s) => s.Sid === statement.Sid)) {
              throw conflict(
                `The statement id (${statement.Sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
              );
            }
            fn.policy.push(statement);
            return { Statement: JSON.stringify(statement) };
          });
        },
      },
      RemovePermission: {
        method: 'DELETE',
        path: '/2015-03-31/functions/{FunctionName}/policy/{StatementId}',
        async handler({ params, query }, ctx) {
          await update(ctx, () => {
            const { fn, qualifier } = findFunction(ctx, params.FunctionName ?? '');
            requireLatest(qualifier ?? query.get('Qualifier'), fn.arn);
            const before = fn.policy.length;
            fn.policy = fn.policy.filter((s) => s.Sid !== params.StatementId);
            if (fn.policy.length === before) {
              throw notFound(`Statement ${params.StatementId} is not found in resource policy.`);
            }
          });
          return noContent();
        },
      },
      GetPolicy: {
        method: 'GET',
        path: '/2015-03-31/functions/{FunctionName}/policy',
        handler({ params, query }, ctx) {
          const { fn, qualifier } = findFunction(ctx, params.FunctionName ?? '');
          requireLatest(qualifier ?? query.get('Qualifier'), fn.arn);
          if (fn.policy.length === 0) throw notFound('The resource you requested does not exist.');
          return {
            Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: fn.policy }),
            RevisionId: fn.config.revisionId,
          };
        },
      },
      TagResource: {
        method: 'POST',
        path: '/2017-03-31/tags/{Resource}',
        async handler({ params, body }, ctx) {
          const tags = checkTags(body.Tags);
          await update(ctx, () => {
            const fn = functionByTagArn(ctx, params.Resource ?? '');
            fn.tags = { ...fn.tags, ...tags };
          });
          return noContent();
        },
      },
      UntagResource: {
        method: 'DELETE',
        path: '/2017-03-31/tags/{Resource}',
        async handler({ params, query }, ctx) {
          const keys = query.getAll('tagKeys');
          await update(ctx, () => {
            const fn = functionByTagArn(ctx, params.Resource ?? '');
            for (const key of keys) delete fn.tags[key];
          });
          return noContent();
        },
      },
      ListTags: {
        method: 'GET',
        path: '/2017-03-31/tags/{Resource}',
        handler({ params }, ctx) {
          return { Tags: functionByTagArn(ctx, params.Resource ?? '').tags };
        },
      },
    },
  }),
  counts(cloud) {
    const counts: Record<string, Record<string, number>> = {};
    for (const fn of Object.values(cloud.state.read(NS, init).functions)) {
      counts[fn.region] = { functions: (counts[fn.region]?.functions ?? 0) + 1 };
    }
    return counts;
  },
  async start(cloud) {
    const referenced = new Set(
      Object.values(cloud.state.read(NS, init).functions).flatMap((f) => [
        f.config.codeId,
        ...(f.previous ? [f.previous.codeId] : []),
      ]),
    );
    collectUnusedCode(cloud.dir, referenced);
    pools = new WorkerPools();
  },
  async stop() {
    await pools?.stop();
    pools = undefined;
  },
};
