/**
 * Fault injection at run time: the daemon's decision for each call, from a configuration checked
 * by fault-config.ts (its header documents the schema).
 */
import { ServiceError } from './aws.js';
import { type FailureRule, type FaultConfig, validateFaults } from './fault-config.js';
import { scaledDurationMs, timeScaleOf } from './fault-defaults.js';

export type FaultDecision =
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
  #config: FaultConfig;

  constructor(config: unknown = {}) {
    this.#config = validateFaults(config);
  }

  get config(): FaultConfig {
    return this.#config;
  }

  /**
   * New failure rules, counted from zero (`PUT /_dsqlctl/failures`): a test injects one fault after
   * another in one running cloud instead of restarting it for each. Durations and throttling stay.
   */
  replaceFailures(failures: unknown): void {
    this.#config = validateFaults({ ...this.#config, failures });
    this.calls.clear();
    this.windows.clear();
  }

  get timeScale(): number {
    return timeScaleOf(this.config);
  }

  /** Real milliseconds a transition takes: its AWS-time duration × the time scale. */
  durationMs(key: string): number {
    return scaledDurationMs(this.config, key);
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
          { status: rule.status ?? statusForCode(rule.code) },
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

/**
 * The HTTP status AWS answers a code with, for a failure rule without one: the SDK retries 5xx (and
 * throttling) silently, so a client error must stay 4xx for the injected failure to be seen. Codes not
 * listed are client errors (400) unless they name a server-side failure.
 */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  AccessDenied: 403, // IAM, STS
  AccessDeniedException: 403, // DSQL, EventBridge
  ConflictException: 409, // DSQL
  EntityAlreadyExists: 409, // IAM
  InternalFailure: 500,
  InternalServerException: 500, // DSQL
  InternalException: 500, // EventBridge
  LimitExceeded: 409, // IAM
  NoSuchEntity: 404, // IAM
  ResourceConflictException: 409, // Lambda
  ResourceNotFoundException: 404, // DSQL, Lambda (EventBridge's is 400, set status to match)
  ServiceException: 500, // Lambda
  ServiceFailure: 500, // IAM
  ServiceQuotaExceededException: 402, // DSQL
  ServiceUnavailable: 503,
  ServiceUnavailableException: 503,
  ThrottlingException: 429, // DSQL (EventBridge's is 400)
  TooManyRequestsException: 429, // Lambda
};

export function statusForCode(code = 'InternalServerException'): number {
  return STATUS_BY_CODE[code] ?? (/Internal|ServiceFailure|Unavailable/.test(code) ? 500 : 400);
}
