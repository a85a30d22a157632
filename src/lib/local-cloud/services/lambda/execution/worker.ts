/**
 * One Lambda execution environment: a Node process forked by pool.ts with the function's environment,
 * its cwd the extracted code. It imports the handler once (cold start) and then runs one invocation at
 * a time as the parent asks over IPC, so module-scope state (a connection pool) lives across
 * invocations, as in Lambda. It exits when the parent goes away (IPC disconnect), so a daemon killed
 * with -9 leaves no worker behind.
 *
 * Self-contained (node: built-ins only, erasable TypeScript) so Node runs it directly from the sources
 * (type stripping) as well as compiled in dist/.
 */
import dns from 'node:dns';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

/** Parent → worker. */
export interface InvokeMessage {
  type: 'invoke';
  id: number;
  /** The event, as the JSON text the caller sent. */
  payload: string;
  requestId: string;
  /** Epoch ms at which the invocation times out (for context.getRemainingTimeInMillis). */
  deadline: number;
}

export interface FunctionErrorBody {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/** What Lambda's REPORT line says about one invocation. */
export interface InvocationReport {
  durationMs: number;
  /** On a cold start: from the process's start to the handler's module loaded. */
  initMs?: number;
  maxMemoryMb: number;
}

/** Worker → parent: the handler's result as JSON text, or the error Lambda reports. */
export type ResultMessage =
  | ({ type: 'result'; id: number; ok: true; payload: string } & InvocationReport)
  | ({ type: 'result'; id: number; ok: false; error: FunctionErrorBody } & InvocationReport);

/** Worker → parent, while log capture is on: one line of the invocation's output, as it is written. */
export interface LogMessage {
  type: 'log';
  id: number;
  timestamp: number;
  message: string;
}

type Handler = (
  event: unknown,
  context: unknown,
  callback?: (error: unknown, result?: unknown) => void,
) => unknown;

class InitError extends Error {
  readonly errorType: string;
  constructor(errorType: string, message: string) {
    super(message);
    this.errorType = errorType;
  }
}

let handlerPromise: Promise<Handler> | undefined;
let initMs: number | undefined;

/** The invocation in flight (its message id and request id), for attributing output to it. */
let current: { id: number; requestId: string } | undefined;
/** Output written between invocations (timers, late callbacks): sent with the next invocation's. */
let idleLines: { timestamp: number; message: string }[] = [];

function emit(message: string): void {
  const line = { timestamp: Date.now(), message };
  if (!current) {
    idleLines.push(line);
    return;
  }
  process.send?.({ type: 'log', id: current.id, ...line } satisfies LogMessage);
}

/**
 * Lambda's Text log format: each console call is one event `<time>\t<request id>\t<LEVEL>\t<text>`;
 * anything written to stdout/stderr directly is one event per line, unchanged (so a JSON line stays
 * JSON, and CloudWatch's JSON filter patterns match it).
 */
function captureOutput(): void {
  for (const [method, level] of [
    ['log', 'INFO'],
    ['info', 'INFO'],
    ['warn', 'WARN'],
    ['error', 'ERROR'],
    ['debug', 'DEBUG'],
    ['trace', 'TRACE'],
  ] as const) {
    console[method] = (...args: unknown[]) => {
      emit(
        `${new Date().toISOString()}\t${current?.requestId ?? 'undefined'}\t${level}\t${format(...args)}\n`,
      );
    };
  }
  const partial = { stdout: '', stderr: '' };
  for (const name of ['stdout', 'stderr'] as const) {
    process[name].write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = partial[name] + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const lines = text.split('\n');
      partial[name] = lines.pop() ?? '';
      for (const line of lines) emit(`${line}\n`);
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof process.stdout.write;
  }
}

/**
 * Started by a root daemon, the worker becomes the sandbox user (execution/sandbox.ts) before any function
 * code loads; the CA file named by NODE_EXTRA_CA_CERTS was read at startup, while still root.
 */
function dropPrivileges(runAs: string | undefined): void {
  if (!runAs) return;
  const [uid, gid] = runAs.split(':').map(Number) as [number, number];
  process.setgroups?.([gid]);
  process.setgid?.(gid);
  process.setuid?.(uid);
  delete process.env._DSQLCTL_RUN_AS;
}
dropPrivileges(process.env._DSQLCTL_RUN_AS);

if (process.env._DSQLCTL_CAPTURE_LOGS === '1') captureOutput();

/**
 * In Lambda, a DSQL cluster's endpoint name resolves through DNS; here host names ending in the
 * runtime's `_DSQLCTL_LOOPBACK_HOSTS` suffix resolve to loopback, where the local DSQL endpoint
 * serves every cluster (routed by TLS server name). Node's net module looks names up through
 * `dns.lookup`, so the function's own code is unchanged.
 */
function resolveClusterHostsToLoopback(suffix: string | undefined): void {
  if (!suffix) return;
  const lookup = dns.lookup as (hostname: string, ...rest: unknown[]) => void;
  dns.lookup = ((hostname: string, ...rest: unknown[]) =>
    lookup(hostname.endsWith(suffix) ? '127.0.0.1' : hostname, ...rest)) as typeof dns.lookup;
}
resolveClusterHostsToLoopback(process.env._DSQLCTL_LOOPBACK_HOSTS);

/** `dir/file.export` → the export of `file.js|.mjs|.cjs` under the task root, as Lambda resolves it. */
async function loadHandler(): Promise<Handler> {
  const spec = process.env._HANDLER ?? '';
  const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
  const dot = spec.lastIndexOf('.');
  if (dot <= 0)
    throw new InitError('Runtime.MalformedHandlerName', `Bad handler ${spec}: expected file.export`);
  const modulePath = spec.slice(0, dot);
  const exportName = spec.slice(dot + 1);
  const file = ['.js', '.mjs', '.cjs']
    .map((ext) => join(root, `${modulePath}${ext}`))
    .find((candidate) => existsSync(candidate));
  if (!file) {
    throw new InitError('Runtime.ImportModuleError', `Error: Cannot find module '${modulePath}'`);
  }
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown> & {
    default?: Record<string, unknown>;
  };
  const handler = module[exportName] ?? module.default?.[exportName];
  if (typeof handler !== 'function') {
    throw new InitError('Runtime.HandlerNotFound', `${spec} is undefined or not exported`);
  }
  return handler as Handler;
}

function errorBody(error: unknown): FunctionErrorBody {
  if (error instanceof InitError)
    return { errorType: error.errorType, errorMessage: error.message, trace: [] };
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

function contextFor(message: InvokeMessage) {
  const env = process.env;
  return {
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: env._DSQLCTL_FUNCTION_ARN,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: message.requestId,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
  };
}

async function run(message: InvokeMessage): Promise<ResultMessage> {
  current = { id: message.id, requestId: message.requestId };
  for (const line of idleLines) process.send?.({ type: 'log', id: message.id, ...line } satisfies LogMessage);
  idleLines = [];
  const cold = !handlerPromise;
  handlerPromise ??= loadHandler();
  let started = performance.now();
  const report = (): InvocationReport => ({
    durationMs: performance.now() - started,
    ...(cold && initMs !== undefined ? { initMs } : {}),
    maxMemoryMb: Math.ceil(process.resourceUsage().maxRSS / 1024),
  });
  try {
    const handler = await handlerPromise;
    if (cold) {
      initMs = performance.now();
      started = initMs;
    }
    const event: unknown = message.payload.length > 0 ? JSON.parse(message.payload) : {};
    const context = contextFor(message);
    // Callback-style handlers (three parameters) answer through the callback; the rest return a promise.
    const result =
      handler.length >= 3
        ? await new Promise((resolve, reject) => {
            const returned = handler(event, context, (error, value) =>
              error ? reject(error) : resolve(value),
            );
            if (returned && typeof (returned as Promise<unknown>).then === 'function') {
              (returned as Promise<unknown>).then(resolve, reject);
            }
          })
        : await handler(event, context);
    return {
      type: 'result',
      id: message.id,
      ok: true,
      payload: JSON.stringify(result) ?? 'null',
      ...report(),
    };
  } catch (error) {
    return { type: 'result', id: message.id, ok: false, error: errorBody(error), ...report() };
  } finally {
    current = undefined;
  }
}

process.on('message', (message: InvokeMessage) => {
  if (message?.type !== 'invoke') return;
  void run(message).then((result) => {
    process.send?.(result);
    // A handler that failed to load is retried in a fresh environment, as Lambda re-initializes.
    if (!result.ok && result.error.errorType.startsWith('Runtime.')) process.exit(1);
  });
});
process.on('disconnect', () => process.exit(0));
