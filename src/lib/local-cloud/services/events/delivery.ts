/**
 * Asynchronous delivery of accepted events, as EventBridge does it: after PutEvents has answered, each
 * event is matched against its bus's enabled rules and sent to every target of every matching rule
 * (scheduled rules, scheduler.ts, send their events to their targets the same way).
 *  - A Lambda target is invoked asynchronously only when the function's resource policy lets
 *    events.amazonaws.com invoke it from the rule's ARN.
 *  - An event-bus target in another region is put as the target's role: EventBridge assumes it (its trust
 *    policy must let events.amazonaws.com assume it for this account and rule) and that session must be
 *    allowed events:PutEvents on the target bus; an event that already crossed a bus is not forwarded again.
 * Every attempt, successful or not, is one request-log entry (`events` / `Deliver`, with the target, the
 * rule and the attempt number), so a failed delivery is visible.
 *
 * Retries: EventBridge retries a delivery that failed with a throttle (429) or a server error (5xx),
 * with exponential backoff and jitter, within the target's RetryPolicy (default 185 attempts and
 * 86,400 s), then drops it. Other 4xx answers (missing permission, a deleted function) are dropped at
 * once, as AWS does ("EventBridge doesn't retry other 4xx"; eb-rule-dlq: no retries for missing
 * permissions or a missing target). A function's own error is not EventBridge's to retry: EventBridge
 * invokes Lambda asynchronously and Lambda retries the function twice (services/lambda/invoke.ts).
 * Waiting retries are kept in the state document, so they survive a restart.
 */
import { randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT_ID, parseArn, ServiceError } from '../../aws.js';
import type { RoleSession } from '../../identity/principals.js';
import type { Cloud } from '../../service.js';
import { matchesPattern, parsePattern } from './pattern.js';
import {
  type BusEvent,
  type BusRecord,
  findBus,
  init,
  NS,
  type PendingRetry,
  type RetryPolicy,
  type RuleRecord,
  type TargetRecord,
} from './state.js';

/** EventBridge's defaults for a target without a RetryPolicy. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  MaximumRetryAttempts: 185,
  MaximumEventAgeInSeconds: 86_400,
};
/** The longest wait between two attempts, in seconds of AWS time (185 attempts then span about a day). */
const MAX_BACKOFF_SECONDS = 480;

const retriable = (status: number) => status === 429 || status >= 500;

export const EVENTS_PRINCIPAL = 'events.amazonaws.com';
/** A role session is renewed this long before it expires. */
const SESSION_RENEWAL_MS = 15 * 60 * 1000;

export function newEvent(fields: Omit<BusEvent, 'version' | 'account'>): BusEvent {
  return { version: '0', account: LOCAL_ACCOUNT_ID, ...fields };
}

const denied = (message: string) => new ServiceError('AccessDeniedException', message, { status: 403 });

/** Lambda's delivery entry point (services/lambda/invoke.ts): throws a ServiceError when it refuses. */
export type InvokeFunction = (
  cloud: Cloud,
  functionArn: string,
  servicePrincipal: string,
  sourceArn: string,
  payload: string,
) => void;

export class Deliveries {
  private readonly pending = new Set<Promise<void>>();
  /** EventBridge's session per rule and target role, reused until near its expiry. */
  private readonly sessions = new Map<string, RoleSession>();
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** Retries being attempted now, so that a timer firing meanwhile does not attempt them twice. */
  private readonly running = new Set<string>();

  constructor(
    private readonly cloud: Cloud,
    private readonly invokeFunction: InvokeFunction,
  ) {}

  /**
   * Routes an event put on a bus, after the caller has answered. `hops` counts the buses it already
   * crossed (0 for PutEvents). A bus that does not exist swallows the event, as on AWS.
   */
  publish(region: string, busName: string, event: BusEvent, hops: number): void {
    this.track(() => this.route(region, busName, event, hops), `event ${event.id} routing`);
  }

  /** Sends a scheduled rule's event to each of its targets. */
  fire(bus: BusRecord, rule: RuleRecord, event: BusEvent): void {
    this.track(async () => {
      for (const target of rule.targets) await this.firstAttempt(bus, rule, target, event, 0);
    }, `scheduled event ${event.id} of ${rule.arn}`);
  }

  /** Arms the retry timer for the retries already waiting in the state (after a restart). */
  start(): void {
    this.arm();
  }

  /** Stops accepting events and retrying; waits for the work already under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all([...this.pending]);
  }

  private track(work: () => Promise<void> | void, what: string): void {
    if (this.stopped) return;
    const done = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch((error: unknown) => {
        process.stderr.write(`${new Date().toISOString()} ${what} failed: ${(error as Error).stack}\n`);
      })
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  private async route(region: string, busName: string, event: BusEvent, hops: number): Promise<void> {
    const bus = findBus(this.cloud, region, busName);
    if (!bus || this.stopped) return;
    for (const rule of Object.values(bus.rules)) {
      if (rule.state !== 'ENABLED' || rule.eventPattern === undefined) continue;
      if (!matchesPattern(parsePattern(rule.eventPattern), event)) continue;
      for (const target of rule.targets) await this.firstAttempt(bus, rule, target, event, hops);
    }
  }

  private async firstAttempt(
    bus: BusRecord,
    rule: RuleRecord,
    target: TargetRecord,
    event: BusEvent,
    hops: number,
  ): Promise<void> {
    const now = Date.now();
    const retry: PendingRetry = {
      id: randomUUID(),
      region: bus.region,
      busName: bus.name,
      ruleName: rule.name,
      targetId: target.Id,
      event,
      hops,
      attempts: 0,
      firstAt: now,
      nextAt: now,
    };
    await this.attempt(bus, rule, target, retry, false);
  }

  /** One attempt; a retriable failure within the policy is stored for later, anything else ends it. */
  private async attempt(
    bus: BusRecord,
    rule: RuleRecord,
    target: TargetRecord,
    retry: PendingRetry,
    stored: boolean,
  ): Promise<void> {
    const started = Date.now();
    const attempt = retry.attempts + 1;
    const failure = this.deliver(bus, rule, target, retry.event, retry.hops);
    const service = parseArn(target.Arn)?.service;
    const status = failure ? failure.status : service === 'lambda' ? 202 : retry.hops >= 1 ? 204 : 200;
    let next: PendingRetry | undefined;
    if (failure && retriable(failure.status)) {
      const policy = target.RetryPolicy ?? DEFAULT_RETRY_POLICY;
      const nextAt = Date.now() + this.backoffMs(attempt);
      const maxAgeMs = policy.MaximumEventAgeInSeconds * 1000 * this.cloud.faults.timeScale;
      if (attempt <= policy.MaximumRetryAttempts && nextAt - retry.firstAt <= maxAgeMs) {
        next = { ...retry, attempts: attempt, nextAt };
      }
    }
    const outcome = !failure ? undefined : next ? 'retrying' : 'dropped';
    this.cloud.log.append({
      time: new Date(started).toISOString(),
      service: 'events',
      region: bus.region,
      operation: 'Deliver',
      status,
      ...(failure ? { error: failure.code } : {}),
      durationMs: Date.now() - started,
      target: target.Arn,
      rule: rule.arn,
      attempt,
      ...(outcome ? { outcome } : {}),
    });
    if (failure) {
      process.stderr.write(
        `${new Date().toISOString()} delivery ${attempt} of event ${retry.event.id} by ${rule.arn} to ${target.Arn} failed (${outcome}): ${failure.code}: ${failure.message}\n`,
      );
    }
    if (next || stored) {
      await this.cloud.state.update(NS, init, (state) => {
        state.retries ??= {};
        if (next) state.retries[retry.id] = next;
        else delete state.retries[retry.id];
      });
      this.arm();
    }
  }

  /** Exponential backoff from `events:RetryBackoff`, doubling, capped, with jitter (half to all of it). */
  private backoffMs(attempt: number): number {
    const capMs = MAX_BACKOFF_SECONDS * 1000 * this.cloud.faults.timeScale;
    const ms = Math.min(this.cloud.faults.durationMs('events:RetryBackoff') * 2 ** (attempt - 1), capMs);
    return ms / 2 + (Math.random() * ms) / 2;
  }

  /** Wakes at the earliest waiting retry. */
  private arm(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const retries = Object.values(this.cloud.state.read(NS, init).retries ?? {}).filter(
      (r) => !this.running.has(r.id),
    );
    if (retries.length === 0) return;
    const due = Math.min(...retries.map((r) => r.nextAt));
    this.timer = setTimeout(() => this.runDue(), Math.min(Math.max(due - Date.now(), 0), 2 ** 31 - 1));
    this.timer.unref();
  }

  private runDue(): void {
    const now = Date.now();
    const due = Object.values(this.cloud.state.read(NS, init).retries ?? {}).filter(
      (r) => r.nextAt <= now && !this.running.has(r.id),
    );
    for (const retry of due) {
      this.running.add(retry.id);
      this.track(async () => {
        const bus = findBus(this.cloud, retry.region, retry.busName);
        const rule = bus && Object.hasOwn(bus.rules, retry.ruleName) ? bus.rules[retry.ruleName] : undefined;
        const target = rule?.targets.find((t) => t.Id === retry.targetId);
        try {
          if (bus && rule && target) await this.attempt(bus, rule, target, retry, true);
          else {
            // The rule or its target is gone: nothing is left to deliver to.
            await this.cloud.state.update(NS, init, (state) => {
              delete state.retries?.[retry.id];
            });
          }
        } finally {
          this.running.delete(retry.id);
          this.arm();
        }
      }, `retry ${retry.id} of event ${retry.event.id}`);
    }
    this.arm();
  }

  /** Sends the event to the target; answers the failure (a ServiceError) or undefined when delivered. */
  private deliver(
    bus: BusRecord,
    rule: RuleRecord,
    target: TargetRecord,
    event: BusEvent,
    hops: number,
  ): ServiceError | undefined {
    try {
      const injected = this.cloud.faults.injectedFailure('events', 'Deliver', rule.arn);
      if (injected) throw injected;
      const service = parseArn(target.Arn)?.service;
      if (service === 'lambda') {
        this.invokeFunction(
          this.cloud,
          target.Arn,
          EVENTS_PRINCIPAL,
          rule.arn,
          target.Input ?? JSON.stringify(event),
        );
      } else if (hops >= 1) {
        // An event that already crossed a bus is not forwarded again: AWS drops it silently (it is no
        // error of the caller), so it is logged as a delivery of nothing (204), not as a failure.
        return undefined;
      } else {
        this.forward(bus, rule, target, event);
      }
      return undefined;
    } catch (failure) {
      if (failure instanceof ServiceError) return failure;
      throw failure;
    }
  }

  /** The session EventBridge acts with for `rule`'s target role, or why the role cannot be assumed. */
  private roleSession(rule: RuleRecord, roleArn: string): RoleSession | { refused: string } {
    const key = `${rule.arn} ${roleArn}`;
    const now = this.cloud.now();
    const request = {
      service: EVENTS_PRINCIPAL,
      sourceAccount: LOCAL_ACCOUNT_ID,
      sourceArn: rule.arn,
    } as const;
    const current = this.sessions.get(key);
    // A cached session is reused only while the role still trusts this rule: a trust policy tightened
    // since (another aws:SourceArn or account) stops the forwarding at once.
    if (
      current &&
      current.expiresAt - now > SESSION_RENEWAL_MS &&
      this.cloud.identity.trusts(roleArn, request)
    ) {
      return current;
    }
    this.sessions.delete(key);
    const session = this.cloud.identity.assumeRole(roleArn, { ...request, sessionName: rule.name }, now);
    if (!('refused' in session)) this.sessions.set(key, session);
    return session;
  }

  private forward(bus: BusRecord, rule: RuleRecord, target: TargetRecord, event: BusEvent): void {
    const parsed = parseArn(target.Arn);
    const region = parsed?.region ?? '';
    const name = parsed?.resource.slice('event-bus/'.length) ?? '';
    if (region !== bus.region || target.RoleArn) {
      const session = target.RoleArn ? this.roleSession(rule, target.RoleArn) : undefined;
      if (!session || 'refused' in session) {
        throw denied(
          `EventBridge cannot assume the target's role ${target.RoleArn ?? '(none)'} to reach ${target.Arn}${session ? `: ${session.refused}` : ''}.`,
        );
      }
      const denial = this.cloud.identity.denialFor(
        session.accessKeyId,
        'events:PutEvents',
        target.Arn,
        region,
      );
      if (denial) throw denied(denial.message);
    }
    if (!findBus(this.cloud, region, name)) {
      throw new ServiceError('ResourceNotFoundException', `Event bus ${name} does not exist.`, {
        status: 404,
      });
    }
    this.publish(region, name, event, 1);
  }
}
