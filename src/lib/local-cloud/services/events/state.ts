/**
 * EventBridge's durable state: event buses per region, their rules (with their schedules' next fire
 * times) and the rules' targets, and the deliveries waiting for a retry.
 */
import { arn } from '../../aws.js';
import type { Cloud } from '../../service.js';

export interface TargetRecord {
  Id: string;
  Arn: string;
  RoleArn?: string;
  /** Constant JSON text delivered instead of the event. */
  Input?: string;
  RetryPolicy?: RetryPolicy;
}

export interface RetryPolicy {
  MaximumRetryAttempts: number;
  MaximumEventAgeInSeconds: number;
}

/** A scheduled rule's clock, in the local cloud's (real) epoch ms. */
export interface ScheduleRecord {
  /** When the schedule started (PutRule): rate periods count from here, AWS time is scaled around it. */
  anchor: number;
  /** The next time the rule fires; absent when a cron schedule has no occurrence left. */
  nextFireAt?: number;
}

export interface RuleRecord {
  name: string;
  arn: string;
  /** A rule has an event pattern or a schedule expression. */
  eventPattern?: string;
  scheduleExpression?: string;
  schedule?: ScheduleRecord;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  roleArn?: string;
  tags: Record<string, string>;
  targets: TargetRecord[];
}

export interface BusRecord {
  name: string;
  region: string;
  arn: string;
  description?: string;
  /** Epoch ms. */
  createdAt: number;
  modifiedAt: number;
  tags: Record<string, string>;
  rules: Record<string, RuleRecord>;
}

/** An event as rules match it and targets receive it. */
export interface BusEvent {
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

/** A delivery that failed with a retriable error and waits for its next attempt. */
export interface PendingRetry {
  id: string;
  region: string;
  busName: string;
  ruleName: string;
  targetId: string;
  event: BusEvent;
  /** Buses the event had crossed when it reached this rule. */
  hops: number;
  /** Attempts made so far (the first delivery is attempt 1). */
  attempts: number;
  /** When the first attempt was made (the event's age counts from here) and when the next is due. */
  firstAt: number;
  nextAt: number;
}

export interface EventsState {
  /** By `<region>/<name>`; a region's `default` bus is added the first time it is written to. */
  buses: Record<string, BusRecord>;
  /** By retry id; absent in a state document written before retries existed. */
  retries?: Record<string, PendingRetry>;
}

export const NS = 'events';
export const init = (): EventsState => ({ buses: {}, retries: {} });

export const busKey = (region: string, name: string) => `${region}/${name}`;
export const busArn = (region: string, name: string) => arn('events', region, `event-bus/${name}`);
/** Rules on the default bus are `rule/<name>`; on a custom bus `rule/<bus>/<name>`. */
export const ruleArn = (region: string, bus: string, name: string) =>
  arn('events', region, bus === 'default' ? `rule/${name}` : `rule/${bus}/${name}`);

/** The `default` bus as it exists, unwritten, in every region. */
export function defaultBus(region: string): BusRecord {
  return {
    name: 'default',
    region,
    arn: busArn(region, 'default'),
    createdAt: 0,
    modifiedAt: 0,
    tags: {},
    rules: {},
  };
}

/** The bus, when it exists (the default bus always does). */
export function findBus(cloud: Cloud, region: string, name: string): BusRecord | undefined {
  const state = cloud.state.read(NS, init);
  const key = busKey(region, name);
  if (Object.hasOwn(state.buses, key)) return state.buses[key];
  return name === 'default' ? defaultBus(region) : undefined;
}
