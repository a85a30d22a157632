/**
 * Running functions: the warm worker pools of one cloud instance (execution/), synchronous Invoke,
 * asynchronous invocations with Lambda's two retries, and EventBridge's delivery to a function.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOCAL_ACCOUNT_ID, parseArn, ServiceError } from '../../aws.js';
import type { RoleSession } from '../../identity/principals.js';
import { RawResponse, type RestJsonInput } from '../../protocols/rest-json1.js';
import type { CallContext, Cloud } from '../../service.js';
import type { WriteFunctionLogs } from '../logs/index.js';
import { type FunctionSpec, type InvocationOutcome, WorkerPools } from './execution/pool.js';
import { removeSandbox, runnableCodeDir, runnableFile, sandboxUser } from './execution/sandbox.js';
import { invocationLines, logTail } from './log-lines.js';
import {
  checkNotPending,
  type Deployed,
  type FunctionRecord,
  findFunction,
  init,
  keyOf,
  lambdaError,
  live,
  NS,
  nameOf,
  notFound,
  requireLatest,
  validation,
} from './model.js';
import { MAX_ASYNC_PAYLOAD, MAX_SYNC_PAYLOAD } from './validate.js';

function logFileOf(cloud: Cloud, fn: FunctionRecord): string {
  return join(cloud.dir, 'lambda', 'logs', fn.region, `${fn.name}.log`);
}

/** A worker's credentials are renewed this long before they expire (Lambda renews well ahead too). */
const SESSION_RENEWAL_MS = 15 * 60 * 1000;

/**
 * Everything a spec holds follows from the revision (code and configuration) and the credentials: new
 * credentials make a new generation too, and workers holding the old ones are retired once idle.
 */
const generationOf = (deployed: Deployed, session: RoleSession) =>
  `${deployed.revisionId}/${session.accessKeyId}`;

function specOf(cloud: Cloud, fn: FunctionRecord, deployed: Deployed, session: RoleSession): FunctionSpec {
  const user = sandboxUser();
  const dir = runnableCodeDir(cloud.dir, deployed.codeId, user);
  const env: Record<string, string> = {
    // A root daemon's worker drops to the sandbox user before it loads the code (execution/sandbox.ts).
    ...(user ? { _DSQLCTL_RUN_AS: `${user.uid}:${user.gid}` } : {}),
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
    AWS_LAMBDA_LOG_GROUP_NAME: logGroupOf(fn),
    // The execution role's session, as Lambda hands it to the runtime.
    AWS_ACCESS_KEY_ID: session.accessKeyId,
    AWS_SECRET_ACCESS_KEY: session.secretAccessKey,
    AWS_SESSION_TOKEN: session.sessionToken,
    // Lambda's environment trusts the certificates its endpoints present; here that is the local
    // DSQL endpoint's CA (Node reads this variable at start), and cluster host names resolve to it.
    ...(cloud.dsqlEndpoint
      ? { NODE_EXTRA_CA_CERTS: runnableFile(cloud.dir, cloud.dsqlEndpoint.caFile, user) }
      : {}),
    _DSQLCTL_LOOPBACK_HOSTS: '.on.aws',
    // The function's own SDK calls (EventBridge PutEvents) come back to the local cloud.
    AWS_ENDPOINT_URL: cloud.endpoint,
    _DSQLCTL_FUNCTION_ARN: fn.arn,
  };
  return {
    key: keyOf(fn.region, fn.name),
    generation: generationOf(deployed, session),
    codeDir: dir,
    env,
    timeoutMs: deployed.timeout * 1000,
    logFile: logFileOf(cloud, fn),
    captureLogs: captureLogs(cloud),
  };
}

/** Lambda's default log group (LoggingConfig.LogGroup in views.ts). */
const logGroupOf = (fn: FunctionRecord) => `/aws/lambda/${fn.name}`;

/**
 * Lambda writes a function's logs with its execution role: without logs:CreateLogStream on the group and
 * logs:PutLogEvents on the stream, nothing reaches CloudWatch Logs (silently, as in Lambda). LogResult
 * (`LogType: Tail`) does not depend on it.
 */
function mayWriteLogs(cloud: Cloud, fn: FunctionRecord, session: RoleSession, stream: string): boolean {
  const group = `arn:aws:logs:${fn.region}:${LOCAL_ACCOUNT_ID}:log-group:${logGroupOf(fn)}`;
  return (
    !cloud.identity.denialFor(session.accessKeyId, 'logs:CreateLogStream', group, fn.region) &&
    !cloud.identity.denialFor(
      session.accessKeyId,
      'logs:PutLogEvents',
      `${group}:log-stream:${stream}`,
      fn.region,
    )
  );
}

/** The `captureLogs: false` fault turns CloudWatch Logs capture off (the bench's baseline). */
const captureLogs = (cloud: Cloud) => cloud.faults.config.captureLogs !== false;

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

/** Lambda's limit on a synchronous invocation's response: 6 MB plus the 100 bytes its message names. */
const MAX_SYNC_RESPONSE = 6_291_556;

/**
 * A synchronous response over the limit is not returned: Lambda answers an Unhandled function error
 * `Function.ResponseSizeTooLarge` instead (its message as Lambda words it, 2026).
 */
function responseWithinLimit<T extends InvocationOutcome>(outcome: T): T {
  if (Buffer.byteLength(outcome.payload) <= MAX_SYNC_RESPONSE) return outcome;
  return {
    ...outcome,
    functionError: 'Unhandled',
    payload: JSON.stringify({
      errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_SYNC_RESPONSE} bytes).`,
      errorType: 'Function.ResponseSizeTooLarge',
    }),
  };
}

/** Lambda retries a failed asynchronous invocation twice, after about one and then two minutes. */
const ASYNC_ATTEMPTS = 3;

/** The invocation side of one Lambda service instance; its worker pools run from `start` to `stop`. */
export function createInvoker(writeLogs: WriteFunctionLogs) {
  let pools: WorkerPools | undefined;
  /** Cleans up after the workers once they are gone (the sandbox's code copies). */
  let stopped: (() => void) | undefined;
  /** The execution role's session per function and role, renewed before it expires. */
  const sessions = new Map<string, RoleSession>();
  /**
   * The worker spec per function, made again when its generation changes: building it touches the file
   * system (the sandbox's code copy and CA file), which every invocation would otherwise repeat.
   */
  const specs = new Map<string, FunctionSpec>();

  function specFor(cloud: Cloud, fn: FunctionRecord, deployed: Deployed, session: RoleSession): FunctionSpec {
    const key = keyOf(fn.region, fn.name);
    const cached = specs.get(key);
    if (cached?.generation === generationOf(deployed, session)) return cached;
    const spec = specOf(cloud, fn, deployed, session);
    specs.set(key, spec);
    return spec;
  }

  function runtimePools(): WorkerPools {
    if (!pools) throw new Error('The Lambda runtime is not started.');
    return pools;
  }

  /**
   * The function's execution-role session: issued only when the role exists and its trust policy lets
   * lambda.amazonaws.com assume it for this account, as Lambda does before running the code.
   */
  function sessionFor(cloud: Cloud, fn: FunctionRecord, deployed: Deployed): RoleSession {
    // Per revision: a configuration or code update makes new environments, which assume the role anew
    // (so a trust policy changed meanwhile takes effect there, as in Lambda).
    const key = `${keyOf(fn.region, fn.name)}/${deployed.role}/${deployed.revisionId}`;
    const now = cloud.now();
    const current = sessions.get(key);
    if (current && current.expiresAt - now > SESSION_RENEWAL_MS) return current;
    const session = cloud.identity.assumeRole(
      deployed.role,
      {
        service: 'lambda.amazonaws.com',
        sessionName: fn.name,
        sourceAccount: LOCAL_ACCOUNT_ID,
        // Lambda injects the function's ARN into its credentials' context (and its own log writes').
        sessionContext: { 'lambda:SourceFunctionArn': fn.arn },
      },
      now,
    );
    if ('refused' in session) {
      throw new ServiceError(
        'AccessDeniedException',
        `The role defined for the function cannot be assumed by Lambda: ${session.refused}`,
        { status: 403 },
      );
    }
    for (const old of sessions.keys())
      if (old.startsWith(`${keyOf(fn.region, fn.name)}/`)) sessions.delete(old);
    sessions.set(key, session);
    return session;
  }

  /** Runs the invocation and writes its lines to the function's log stream; returns them too (LogResult). */
  async function invokeLive(
    cloud: Cloud,
    fn: FunctionRecord,
    payload: string,
    requestId: string,
  ): Promise<InvocationOutcome & { logLines: { timestamp: number; message: string }[] }> {
    const deployed = live(fn, cloud.now());
    const session = sessionFor(cloud, fn, deployed);
    const spec = specFor(cloud, fn, deployed, session);
    const outcome = await runtimePools().invoke(spec, payload, requestId);
    if (!spec.captureLogs) return { ...outcome, logLines: [] };
    const logLines = invocationLines(requestId, outcome, deployed.memorySize, spec.timeoutMs);
    if (mayWriteLogs(cloud, fn, session, outcome.logStream)) {
      await writeLogs(cloud, fn.region, logGroupOf(fn), outcome.logStream, logLines);
    }
    return { ...outcome, logLines };
  }

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
  function invokeFromService(
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
    const source = { sourceAccount: LOCAL_ACCOUNT_ID, sourceArn };
    if (!cloud.identity.serviceAllowed(service, 'lambda:InvokeFunction', fn.arn, source)) {
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
    const logType = input.header('x-amz-log-type') ?? 'None';
    if (logType !== 'None' && logType !== 'Tail') {
      throw validation(
        `1 validation error detected: Value '${logType}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [Tail, None]`,
      );
    }
    const outcome = responseWithinLimit(await invokeLive(ctx.cloud, fn, payload, ctx.requestId));
    return new RawResponse({
      status: 200,
      headers: {
        ...headers,
        'content-type': 'application/json',
        ...(outcome.functionError ? { 'x-amz-function-error': outcome.functionError } : {}),
        ...(logType === 'Tail' ? { 'x-amz-log-result': logTail(outcome.logLines) } : {}),
      },
      body: outcome.payload,
    });
  }

  return {
    start(cloudDir: string) {
      pools = new WorkerPools();
      stopped = () => removeSandbox(cloudDir);
    },
    async stop() {
      await pools?.stop();
      pools = undefined;
      specs.clear();
      stopped?.();
    },
    /** Ends the warm workers of a deleted function. */
    discard: (key: string) => {
      specs.delete(key);
      for (const sessionKey of sessions.keys())
        if (sessionKey.startsWith(`${key}/`)) sessions.delete(sessionKey);
      return pools?.discard(key);
    },
    invokeFromService,
    invoke,
  };
}
