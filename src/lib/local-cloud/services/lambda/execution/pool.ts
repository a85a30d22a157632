/**
 * Warm execution environments: per function a small pool of worker processes (worker.ts), each running
 * one invocation at a time and reused across invocations. A worker belongs to one generation of the
 * function (code + configuration); after an update the old generation's workers are retired (idle ones
 * at once, busy ones when their invocation ends). A worker that times out is killed and replaced; one
 * that crashes is replaced. `stop()` kills every worker and waits for them to exit.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  FunctionErrorBody,
  InvocationReport,
  InvokeMessage,
  LogMessage,
  ResultMessage,
} from './worker.js';

/** Environments per function: invocations beyond this many in flight wait for a free one. */
export const WORKERS_PER_FUNCTION = 4;
/** Like Lambda, an environment idle this long is reclaimed (its connections closed with it). */
const IDLE_WORKER_MS = 10 * 60_000;

export interface FunctionSpec {
  /** `<region>/<name>`: one pool per function. */
  key: string;
  /** Changes whenever the code or configuration changes: workers of another generation are retired. */
  generation: string;
  /** The extracted code (the worker's cwd and LAMBDA_TASK_ROOT). */
  codeDir: string;
  /** The worker's complete environment. */
  env: Record<string, string>;
  timeoutMs: number;
  /** Where the worker's stdout and stderr go when log capture is off (and what escapes capture). */
  logFile: string;
  /** Send the invocation's output to the parent line by line (CloudWatch Logs), or leave it in logFile. */
  captureLogs: boolean;
}

export interface InvocationOutcome {
  /** The handler's result as JSON text, or the error body. */
  payload: string;
  functionError?: 'Unhandled';
  /** How it ended: Lambda writes different lines for each. */
  ending: 'returned' | 'threw' | 'timeout' | 'crash';
  /** The execution environment's log stream (`YYYY/MM/DD/[$LATEST]<32 hex>`). */
  logStream: string;
  /** The invocation's own output, as written (empty when capture is off). */
  lines: { timestamp: number; message: string }[];
  /** Epoch ms when the invocation started and ended. */
  startedAt: number;
  endedAt: number;
  /** From the worker; absent when it timed out or crashed. */
  report?: InvocationReport;
}

/** How to run worker.ts/worker.js with this very node: sources through type stripping, or dist. */
function workerCommand(): { file: string; execArgv: string[] } {
  const fromSources = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(fromSources ? './worker.ts' : './worker.js', import.meta.url));
  const execArgv = fromSources ? ['--experimental-strip-types', '--disable-warning=ExperimentalWarning'] : [];
  return { file, execArgv };
}

interface Worker {
  child: ChildProcess;
  generation: string;
  exited: Promise<void>;
  /** False once killed or exited: never handed out again. */
  alive: boolean;
  /** Reclaims the worker when it stays idle (reset each time it is released). */
  idleTimer?: NodeJS.Timeout;
  /** Ids of the invocations sent to this worker, so a late answer is matched to its own call. */
  lastMessageId: number;
  logStream: string;
}

/** Lambda's stream name for an execution environment: its start date and 32 hex digits. */
function logStreamName(now = new Date()): string {
  const date = now.toISOString().slice(0, 10).replaceAll('-', '/');
  return `${date}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

function spawnWorker(spec: FunctionSpec): Worker {
  const logStream = logStreamName();
  const { file, execArgv } = workerCommand();
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const log = openSync(spec.logFile, 'a');
  let child: ChildProcess;
  try {
    child = fork(file, [], {
      cwd: spec.codeDir,
      env: {
        ...spec.env,
        AWS_LAMBDA_LOG_STREAM_NAME: logStream,
        ...(spec.captureLogs ? { _DSQLCTL_CAPTURE_LOGS: '1' } : {}),
      },
      execArgv,
      stdio: ['ignore', log, log, 'ipc'],
      serialization: 'json',
    });
  } finally {
    closeSync(log);
  }
  const worker: Worker = {
    child,
    generation: spec.generation,
    alive: true,
    exited: Promise.resolve(),
    lastMessageId: 0,
    logStream,
  };
  worker.exited = new Promise((resolve) => {
    child.once('exit', () => {
      worker.alive = false;
      resolve();
    });
  });
  child.on('error', () => undefined);
  return worker;
}

/** Kills the worker; from now on it is never handed out again, even before its exit is observed. */
function kill(worker: Worker): void {
  clearTimeout(worker.idleTimer);
  if (!worker.alive) return;
  worker.alive = false;
  worker.child.kill('SIGKILL');
}

/** Runs one invocation on `worker`; never rejects: timeouts and crashes become Lambda's error bodies. */
function runOn(
  worker: Worker,
  spec: FunctionSpec,
  payload: string,
  requestId: string,
): Promise<InvocationOutcome> {
  return new Promise((resolve) => {
    const id = ++worker.lastMessageId;
    const child = worker.child;
    const startedAt = Date.now();
    const lines: InvocationOutcome['lines'] = [];
    type Ended = Pick<InvocationOutcome, 'payload' | 'functionError' | 'ending' | 'report'>;
    const finish = (ended: Ended) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve({ ...ended, logStream: worker.logStream, lines, startedAt, endedAt: Date.now() });
    };
    const failed = (error: Partial<FunctionErrorBody>, ending: Ended['ending']): Ended => ({
      payload: JSON.stringify(error),
      functionError: 'Unhandled',
      ending,
    });
    const onMessage = (message: ResultMessage | LogMessage) => {
      if (message?.id !== id) return;
      if (message.type === 'log') {
        lines.push({ timestamp: message.timestamp, message: message.message });
        return;
      }
      if (message?.type !== 'result') return;
      const { durationMs, initMs, maxMemoryMb } = message;
      const report = { durationMs, maxMemoryMb, ...(initMs !== undefined ? { initMs } : {}) };
      finish(
        message.ok
          ? { payload: message.payload, ending: 'returned', report }
          : { ...failed(message.error, 'threw'), report },
      );
    };
    const onExit = (code: number | null, signal: string | null) => {
      const status = signal ? `signal: ${signal === 'SIGKILL' ? 'killed' : signal}` : `exit status ${code}`;
      finish(
        failed(
          {
            errorType: 'Runtime.ExitError',
            errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${status}`,
            trace: [],
          },
          'crash',
        ),
      );
    };
    const timer = setTimeout(() => {
      kill(worker);
      finish(
        // Lambda's timeout payload is this one message: `<ISO time> <request id> Task timed out after 3.00
        // seconds` (the same text as the log line), with no errorType or trace.
        failed(
          {
            errorMessage: `${new Date().toISOString()} ${requestId} Task timed out after ${(spec.timeoutMs / 1000).toFixed(2)} seconds`,
          },
          'timeout',
        ),
      );
    }, spec.timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
    const message: InvokeMessage = {
      type: 'invoke',
      id,
      payload,
      requestId,
      deadline: Date.now() + spec.timeoutMs,
    };
    child.send(message, (error) => {
      if (error) onExit(null, 'SIGPIPE');
    });
  });
}

class FunctionPool {
  private readonly workers = new Set<Worker>();
  private idle: Worker[] = [];
  private readonly waiting: (() => void)[] = [];
  private generation = '';
  private closed = false;

  constructor(private readonly size: number) {}

  async invoke(spec: FunctionSpec, payload: string, requestId: string): Promise<InvocationOutcome> {
    const worker = await this.acquire(spec);
    try {
      return await runOn(worker, spec, payload, requestId);
    } finally {
      this.release(worker);
    }
  }

  private retire(worker: Worker): void {
    kill(worker);
    this.workers.delete(worker);
  }

  private async acquire(spec: FunctionSpec): Promise<Worker> {
    this.generation = spec.generation;
    for (;;) {
      if (this.closed) throw new Error(`The function ${spec.key} was deleted while the invocation waited.`);
      for (const stale of this.idle.filter((w) => w.generation !== spec.generation || !w.alive)) {
        this.retire(stale);
      }
      this.idle = this.idle.filter((w) => this.workers.has(w));
      const warm = this.idle.pop();
      if (warm) return warm;
      if (this.workers.size < this.size) {
        const worker = spawnWorker(spec);
        this.workers.add(worker);
        return worker;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(worker: Worker): void {
    if (worker.alive && worker.generation === this.generation) {
      this.idle.push(worker);
      clearTimeout(worker.idleTimer);
      worker.idleTimer = setTimeout(() => {
        if (!this.idle.includes(worker)) return;
        this.idle = this.idle.filter((w) => w !== worker);
        this.retire(worker);
      }, IDLE_WORKER_MS);
      worker.idleTimer.unref();
    } else {
      this.retire(worker);
    }
    this.waiting.shift()?.();
  }

  /** Kills every worker (function deleted, or the local cloud stopping) and waits for them to exit. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
    const all = [...this.workers];
    for (const worker of all) this.retire(worker);
    this.idle = [];
    await Promise.all(all.map((w) => w.exited));
  }
}

export class WorkerPools {
  private readonly pools = new Map<string, FunctionPool>();

  constructor(private readonly size = WORKERS_PER_FUNCTION) {}

  invoke(spec: FunctionSpec, payload: string, requestId: string): Promise<InvocationOutcome> {
    let pool = this.pools.get(spec.key);
    if (!pool) {
      pool = new FunctionPool(this.size);
      this.pools.set(spec.key, pool);
    }
    return pool.invoke(spec, payload, requestId);
  }

  /** The function is gone: its workers go too. */
  async discard(key: string): Promise<void> {
    const pool = this.pools.get(key);
    this.pools.delete(key);
    await pool?.close();
  }

  async stop(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }
}
