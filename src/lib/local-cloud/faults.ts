/**
 * Fault injection, fixed when the local cloud starts (flags of `local start`, a JSON file, or the env
 * variable DSQLCTL_LOCAL_FAULTS holding JSON or a path to a JSON file). Schema (every key optional):
 *
 * {
 *   "timeScale": 0.01,              // multiplies every AWS-time duration below (default 0.01)
 *   "durations": {                  // seconds of AWS time a state transition takes, by "<service>:<Name>"
 *     "dsql:CreateCluster": 60,     //   CREATING → ACTIVE / PENDING_SETUP
 *     "dsql:UpdateCluster": 30,     //   UPDATING → ACTIVE
 *     "dsql:DeleteCluster": 30,     //   DELETING → gone
 *     "iam:Propagation": 0,         //   a new role becomes assumable by Lambda (CreateFunction before → InvalidParameterValueException)
 *     "lambda:CreateFunction": 5,   //   State Pending → Active
 *     "lambda:Update": 5,           //   LastUpdateStatus InProgress → Successful (a second update before → ResourceConflictException)
 *     "lambda:AsyncRetry": 60,      //   before retrying a failed asynchronous invocation (twice; the second wait doubles)
 *     "events:RetryBackoff": 1      //   before EventBridge's first retry of a failed delivery (doubling, ≤ 480 s)
 *   },
 *   "delays": { "dsql:GetCluster": 0.2, "iam:*": 0.1 },   // seconds of AWS time before answering
 *   "throttle": { "rate": 0.5, "operations": ["dsql:GetCluster"] },  // fraction of calls answered with the
 *                                   // service's throttling error, evenly spread (deterministic); default all ops
 *   "failures": [                   // fail calls count..count+times-1 of an operation (1-based, every call counts)
 *     { "operation": "dsql:CreateCluster", "nth": 2, "times": 1,
 *       "code": "InternalServerException", "status": 500, "message": "injected" },
 *     { "operation": "events:PutEvents", "nth": 1, "forSeconds": 30 },   // every call for 30 s of AWS
 *                                   // time from the nth on (instead of `times`)
 *     { "operation": "events:Deliver", "resource": "<rule ARN>", "nth": 1, "times": 3,
 *       "code": "ServiceException", "status": 500 }   // EventBridge's deliveries by one rule: Lambda's
 *                                   // answer to them (429 and 5xx are retried within the RetryPolicy)
 *   ]
 * }
 * Operation keys are "<signing name>:<Operation>"; "<signing name>:*" matches all of a service's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ServiceError } from './aws.js';

/** A fault configuration (flag, file or DSQLCTL_LOCAL_FAULTS) that cannot be used; the CLI exits 2. */
export class FaultConfigError extends Error {
  override readonly name = 'FaultConfigError';
}

export interface FailureRule {
  operation: string;
  nth: number;
  times?: number;
  /** Fail every call from the nth on for this many seconds of AWS time (scaled), instead of `times`. */
  forSeconds?: number;
  /** Count only the calls about this resource (for `events:Deliver`, the delivering rule's ARN). */
  resource?: string;
  code?: string;
  status?: number;
  message?: string;
}

export interface FaultConfig {
  timeScale?: number;
  durations?: Record<string, number>;
  delays?: Record<string, number>;
  throttle?: { rate: number; operations?: string[] };
  failures?: FailureRule[];
}

const DEFAULT_TIME_SCALE = 0.01;

/** Real-AWS-ish durations (seconds) of the transitions the local cloud simulates. */
const DEFAULT_DURATIONS: Readonly<Record<string, number>> = {
  'dsql:CreateCluster': 60,
  'dsql:UpdateCluster': 30,
  'dsql:DeleteCluster': 30,
  'lambda:CreateFunction': 5,
  'lambda:Update': 5,
  'lambda:AsyncRetry': 60,
  'iam:Propagation': 0,
  'events:RetryBackoff': 1,
};

type FaultDecision =
  | { kind: 'run'; delayMs: number }
  | { kind: 'fail'; error: ServiceError }
  | { kind: 'throttle' };

function matches(pattern: string, service: string, operation: string): boolean {
  return pattern === `${service}:${operation}` || pattern === `${service}:*` || pattern === '*';
}

export class Faults {
  private readonly calls = new Map<string, number>();
  /** When a `forSeconds` rule's window opened (its nth call), by rule. */
  private readonly windows = new Map<FailureRule, number>();
  private throttleCount = 0;
  readonly config: FaultConfig;

  constructor(config: FaultConfig = {}) {
    this.config = validateFaults(config);
  }

  get timeScale(): number {
    return this.config.timeScale ?? DEFAULT_TIME_SCALE;
  }

  /** Real milliseconds a transition takes: its AWS-time duration × the time scale. */
  durationMs(key: string): number {
    const seconds = this.config.durations?.[key] ?? DEFAULT_DURATIONS[key] ?? 0;
    return seconds * 1000 * this.timeScale;
  }

  /**
   * The injected failure, if any, of work the local cloud does on its own (`events:Deliver`, about a
   * rule's ARN): counted apart from the API calls, never throttled or delayed.
   */
  injectedFailure(service: string, operation: string, resource: string): ServiceError | undefined {
    const key = `${service}:${operation}@${resource}`;
    const n = (this.calls.get(key) ?? 0) + 1;
    this.calls.set(key, n);
    return this.failure(
      key,
      n,
      (rule) => rule.resource === resource && matches(rule.operation, service, operation),
    );
  }

  private failure(key: string, n: number, applies: (rule: FailureRule) => boolean): ServiceError | undefined {
    for (const rule of this.config.failures ?? []) {
      if (!applies(rule) || n < rule.nth) continue;
      let failing = n < rule.nth + (rule.times ?? 1);
      if (rule.forSeconds !== undefined) {
        const opened = this.windows.get(rule) ?? Date.now();
        this.windows.set(rule, opened);
        failing = Date.now() - opened < rule.forSeconds * 1000 * this.timeScale;
      }
      if (failing) {
        return new ServiceError(
          rule.code ?? 'InternalServerException',
          rule.message ?? `Injected failure of call ${n} of ${key}`,
          { status: rule.status ?? 500 },
        );
      }
    }
    return undefined;
  }

  /** Counts the call and decides what happens to it. */
  decide(service: string, operation: string): FaultDecision {
    const key = `${service}:${operation}`;
    const n = (this.calls.get(key) ?? 0) + 1;
    this.calls.set(key, n);
    const error = this.failure(
      key,
      n,
      (rule) => !rule.resource && matches(rule.operation, service, operation),
    );
    if (error) return { kind: 'fail', error };
    const throttle = this.config.throttle;
    if (
      throttle &&
      throttle.rate > 0 &&
      (throttle.operations ?? ['*']).some((p) => matches(p, service, operation))
    ) {
      const t = ++this.throttleCount;
      if (Math.floor(t * throttle.rate) > Math.floor((t - 1) * throttle.rate)) return { kind: 'throttle' };
    }
    const delays = this.config.delays ?? {};
    const seconds = delays[key] ?? delays[`${service}:*`] ?? 0;
    return { kind: 'run', delayMs: seconds * 1000 * this.timeScale };
  }
}

export function validateFaults(config: FaultConfig): FaultConfig {
  const bad = (what: string) => new FaultConfigError(`Invalid fault configuration: ${what}.`);
  if (typeof config !== 'object' || config === null) throw bad('expected a JSON object');
  if (config.timeScale !== undefined && !(config.timeScale >= 0)) throw bad('timeScale must be ≥ 0');
  for (const [name, map] of [
    ['durations', config.durations],
    ['delays', config.delays],
  ] as const) {
    for (const [key, value] of Object.entries(map ?? {})) {
      if (typeof value !== 'number' || value < 0) throw bad(`${name}.${key} must be a number of seconds ≥ 0`);
    }
  }
  if (config.throttle && !(config.throttle.rate >= 0 && config.throttle.rate <= 1)) {
    throw bad('throttle.rate must be between 0 and 1');
  }
  for (const rule of config.failures ?? []) {
    if (typeof rule.operation !== 'string' || !/^[a-z0-9-]+:(\*|[A-Za-z0-9]+)$/.test(rule.operation)) {
      throw bad(`failure operation "${rule.operation}" must look like "dsql:CreateCluster"`);
    }
    if (!Number.isInteger(rule.nth) || rule.nth < 1) throw bad('failure nth must be an integer ≥ 1');
    if (rule.forSeconds !== undefined && !(rule.forSeconds >= 0)) {
      throw bad('failure forSeconds must be a number of seconds ≥ 0');
    }
    if (rule.resource !== undefined && typeof rule.resource !== 'string') {
      throw bad('failure resource must be an ARN');
    }
  }
  return config;
}

/** DSQLCTL_LOCAL_FAULTS: inline JSON, or the path of a JSON file. */
export function faultsFromEnv(value = process.env.DSQLCTL_LOCAL_FAULTS): FaultConfig | undefined {
  if (!value?.trim()) return undefined;
  return readFaults(value);
}

/** Reads a fault configuration from JSON text or a file path. */
export function readFaults(source: string): FaultConfig {
  const text = source.trim().startsWith('{')
    ? source
    : existsSync(source)
      ? readFileSync(source, 'utf8')
      : '';
  if (!text)
    throw new FaultConfigError(`Fault configuration "${source}" is neither JSON nor a readable file.`);
  try {
    return validateFaults(JSON.parse(text) as FaultConfig);
  } catch (error) {
    if (error instanceof FaultConfigError) throw error;
    throw new FaultConfigError(`Fault configuration is not valid JSON: ${(error as Error).message}`);
  }
}

/** `dsql:CreateCluster:2[:Code]` (the `--fail` flag) → a failure rule. */
export function parseFailFlag(value: string): FailureRule {
  const parts = value.split(':');
  if (parts.length < 3 || parts.length > 4) {
    throw new FaultConfigError(
      `--fail "${value}" must look like service:Operation:N[:ErrorCode], e.g. dsql:CreateCluster:2`,
    );
  }
  const [service, operation, nth, code] = parts;
  const rule: FailureRule = { operation: `${service}:${operation}`, nth: Number(nth) };
  if (code) rule.code = code;
  validateFaults({ failures: [rule] });
  return rule;
}
