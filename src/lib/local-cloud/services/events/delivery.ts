/**
 * Asynchronous delivery of accepted events, as EventBridge does it: after PutEvents has answered, each
 * event is matched against its bus's enabled rules and sent to every target of every matching rule.
 *  - A Lambda target is invoked asynchronously only when the function's resource policy lets
 *    events.amazonaws.com invoke it from the rule's ARN.
 *  - An event-bus target in another region is put as the target's role: EventBridge assumes it (its trust
 *    policy must let events.amazonaws.com assume it for this account and rule) and that session must be
 *    allowed events:PutEvents on the target bus; an event that already crossed a bus is not forwarded again.
 * Every delivery, successful or not, is one request-log entry (`events` / `Deliver`, with the target),
 * so a failed delivery is visible. The queue is in memory: deliveries pending at shutdown are dropped.
 * EventBridge's retries of failed deliveries (for up to 24 h) are not simulated.
 */
import { LOCAL_ACCOUNT_ID, parseArn, ServiceError } from '../../aws.js';
import type { RoleSession } from '../../identity/principals.js';
import type { Cloud } from '../../service.js';
import { matchesPattern, parsePattern } from './pattern.js';
import { type BusRecord, findBus, type RuleRecord, type TargetRecord } from './state.js';

export const EVENTS_PRINCIPAL = 'events.amazonaws.com';
/** A role session is renewed this long before it expires. */
const SESSION_RENEWAL_MS = 15 * 60 * 1000;

/** An event as rules match it and targets receive it. */
interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

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

  constructor(
    private readonly cloud: Cloud,
    private readonly invokeFunction: InvokeFunction,
  ) {}

  /**
   * Routes an event put on a bus, after the caller has answered. `hops` counts the buses it already
   * crossed (0 for PutEvents). A bus that does not exist swallows the event, as on AWS.
   */
  publish(region: string, busName: string, event: BusEvent, hops: number): void {
    if (this.stopped) return;
    const delivery = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.route(region, busName, event, hops))
      .catch((error: unknown) => {
        process.stderr.write(
          `${new Date().toISOString()} event ${event.id} routing failed: ${(error as Error).stack}\n`,
        );
      })
      .finally(() => this.pending.delete(delivery));
    this.pending.add(delivery);
  }

  /** Stops accepting events; waits for the routing already under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.pending]);
  }

  private route(region: string, busName: string, event: BusEvent, hops: number): void {
    const bus = findBus(this.cloud, region, busName);
    if (!bus || this.stopped) return;
    for (const rule of Object.values(bus.rules)) {
      if (rule.state !== 'ENABLED' || !matchesPattern(parsePattern(rule.eventPattern), event)) continue;
      for (const target of rule.targets) this.deliver(bus, rule, target, event, hops);
    }
  }

  private deliver(
    bus: BusRecord,
    rule: RuleRecord,
    target: TargetRecord,
    event: BusEvent,
    hops: number,
  ): void {
    const started = Date.now();
    let status = 200;
    let error: string | undefined;
    try {
      const service = parseArn(target.Arn)?.service;
      if (service === 'lambda') {
        this.invokeFunction(
          this.cloud,
          target.Arn,
          EVENTS_PRINCIPAL,
          rule.arn,
          target.Input ?? JSON.stringify(event),
        );
        status = 202;
      } else if (hops >= 1) {
        // An event that already crossed a bus is not forwarded again: AWS drops it silently (it is no
        // error of the caller), so it is logged as a delivery of nothing (204), not as a failure.
        status = 204;
      } else {
        this.forward(bus, rule, target, event);
      }
    } catch (failure) {
      if (failure instanceof ServiceError) {
        status = failure.status;
        error = failure.code;
        process.stderr.write(
          `${new Date().toISOString()} delivery of event ${event.id} by ${rule.arn} to ${target.Arn} failed: ${failure.code}: ${failure.message}\n`,
        );
      } else {
        throw failure;
      }
    }
    this.cloud.log.append({
      time: new Date(started).toISOString(),
      service: 'events',
      region: bus.region,
      operation: 'Deliver',
      status,
      ...(error ? { error } : {}),
      durationMs: Date.now() - started,
      target: target.Arn,
    });
  }

  /** The session EventBridge acts with for `rule`'s target role, or why the role cannot be assumed. */
  private roleSession(rule: RuleRecord, roleArn: string): RoleSession | { refused: string } {
    const key = `${rule.arn} ${roleArn}`;
    const now = this.cloud.now();
    const current = this.sessions.get(key);
    if (current && current.expiresAt - now > SESSION_RENEWAL_MS) return current;
    const session = this.cloud.identity.assumeRole(
      roleArn,
      {
        service: EVENTS_PRINCIPAL,
        sessionName: rule.name,
        sourceAccount: LOCAL_ACCOUNT_ID,
        sourceArn: rule.arn,
      },
      now,
    );
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
