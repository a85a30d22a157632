/**
 * Amazon EventBridge (awsJson1_1, target prefix AWSEvents): event buses per name and region (every
 * region has `default`), rules with event patterns (pattern.ts) that PutRule creates or
 * replaces and DisableRule / EnableRule switch, targets upserted by id, and PutEvents with per-entry results. Accepted events are routed
 * asynchronously, after PutEvents answers (delivery.ts), and failed deliveries are retried within each
 * target's RetryPolicy. Scheduled rules (rate and cron, on the default bus) fire on time-scaled
 * schedules (schedule.ts, scheduler.ts).
 */
import { randomUUID } from 'node:crypto';
import { parseArn, ServiceError } from '../../aws.js';
import { awsJsonService, type JsonInput } from '../../protocols/aws-json.js';
import type { CallContext, LocalService } from '../../service.js';
import { eventsConstraints } from './constraints.js';
import { DEFAULT_RETRY_POLICY, Deliveries, type InvokeFunction, newEvent } from './delivery.js';
import { PatternError, parsePattern } from './pattern.js';
import { parseSchedule, ScheduleError } from './schedule.js';
import { newSchedule, Scheduler } from './scheduler.js';
import {
  type BusRecord,
  busArn,
  busKey,
  defaultBus,
  type EventsState,
  findBus,
  init,
  NS,
  type RetryPolicy,
  type RuleRecord,
  ruleArn,
  type TargetRecord,
} from './state.js';

const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;
const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const TARGET_ID = /^[.\-_A-Za-z0-9]{1,64}$/;
const MAX_TARGETS_PER_RULE = 5;
const MAX_ENTRIES = 10;
const MAX_PUT_EVENTS_BYTES = 256 * 1024;
const MAX_TAGS = 50;

const validation = (message: string) => new ServiceError('ValidationException', message);
const notFound = (message: string) => new ServiceError('ResourceNotFoundException', message);

function constraint(value: unknown, field: string, rule: string): ServiceError {
  return validation(
    `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ${rule}`,
  );
}

function requireName(input: JsonInput, member: string, field: string, pattern: RegExp): string {
  const value = input[member];
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw constraint(
      value ?? 'null',
      field,
      `Member must satisfy regular expression pattern: ${pattern.source}`,
    );
  }
  return value;
}

/** EventBusName as a name or an ARN (`arn:aws:events:<region>:<account>:event-bus/<name>`); default `default`. */
function busNameOf(value: unknown): string {
  if (value === undefined || value === null || value === '') return 'default';
  if (typeof value !== 'string') throw constraint(value, 'eventBusName', 'Member must be a string');
  const parsed = parseArn(value);
  if (parsed) {
    if (parsed.service !== 'events' || !parsed.resource.startsWith('event-bus/')) {
      throw validation(`Parameter ${value} is not valid. Reason: Provided Arn is not in correct format.`);
    }
    return parsed.resource.slice('event-bus/'.length);
  }
  if (!BUS_NAME.test(value))
    throw constraint(
      value,
      'eventBusName',
      `Member must satisfy regular expression pattern: ${BUS_NAME.source}`,
    );
  return value;
}

function requireBus(ctx: CallContext, name: string): BusRecord {
  const bus = findBus(ctx.cloud, ctx.region, name);
  if (!bus) throw notFound(`Event bus ${name} does not exist.`);
  return bus;
}

function requireRule(bus: BusRecord, name: string): RuleRecord {
  const rule = Object.hasOwn(bus.rules, name) ? bus.rules[name] : undefined;
  if (!rule) throw notFound(`Rule ${name} does not exist on EventBus ${bus.name}.`);
  return rule;
}

/** The stored bus for a write (the default bus is stored the first time it is written to). */
function writableBus(state: EventsState, ctx: CallContext, name: string): BusRecord {
  const key = busKey(ctx.region, name);
  if (!Object.hasOwn(state.buses, key)) {
    if (name !== 'default') throw notFound(`Event bus ${name} does not exist.`);
    state.buses[key] = defaultBus(ctx.region);
  }
  return state.buses[key] as BusRecord;
}

function tagsOf(value: unknown): Record<string, string> {
  const list = (value ?? []) as { Key?: unknown; Value?: unknown }[];
  if (!Array.isArray(list)) throw constraint(value, 'tags', 'Member must be a list');
  const tags: Record<string, string> = {};
  for (const tag of list) {
    if (typeof tag.Key !== 'string' || tag.Key.length === 0 || tag.Key.length > 128) {
      throw constraint(tag.Key, 'tags.member.key', 'Member must have length between 1 and 128');
    }
    if (typeof tag.Value !== 'string' || tag.Value.length > 256) {
      throw constraint(tag.Value, 'tags.member.value', 'Member must have length less than or equal to 256');
    }
    tags[tag.Key] = tag.Value;
  }
  return tags;
}

const tagList = (tags: Record<string, string>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** A page of `items`: NextToken is the base64 offset of the next item. */
function page<T>(items: T[], input: JsonInput, max: number): { items: T[]; NextToken?: string } {
  const limit = input.Limit === undefined ? max : Number(input.Limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw constraint(input.Limit, 'limit', `Member must have value between 1 and ${max}`);
  }
  const start =
    typeof input.NextToken === 'string' ? Number(Buffer.from(input.NextToken, 'base64').toString()) : 0;
  if (!Number.isInteger(start) || start < 0) throw validation('The NextToken provided is not valid.');
  const slice = items.slice(start, start + limit);
  return {
    items: slice,
    ...(start + limit < items.length
      ? { NextToken: Buffer.from(String(start + limit)).toString('base64') }
      : {}),
  };
}

function busView(bus: BusRecord): Record<string, unknown> {
  return {
    Name: bus.name,
    Arn: bus.arn,
    ...(bus.description ? { Description: bus.description } : {}),
    ...(bus.createdAt
      ? { CreationTime: new Date(bus.createdAt), LastModifiedTime: new Date(bus.modifiedAt) }
      : {}),
  };
}

function ruleView(bus: BusRecord, rule: RuleRecord): Record<string, unknown> {
  return {
    Name: rule.name,
    Arn: rule.arn,
    ...(rule.eventPattern === undefined ? {} : { EventPattern: rule.eventPattern }),
    ...(rule.scheduleExpression === undefined ? {} : { ScheduleExpression: rule.scheduleExpression }),
    State: rule.state,
    ...(rule.description ? { Description: rule.description } : {}),
    ...(rule.roleArn ? { RoleArn: rule.roleArn } : {}),
    EventBusName: bus.name,
  };
}

/** Tag targets: a bus (`event-bus/<name>`) or a rule (`rule/<name>` on default, `rule/<bus>/<name>`). */
function taggable(
  state: EventsState,
  ctx: CallContext,
  resourceArn: unknown,
): { tags: Record<string, string> } {
  const parsed = typeof resourceArn === 'string' ? parseArn(resourceArn) : undefined;
  const [kind, ...rest] = parsed?.service === 'events' ? parsed.resource.split('/') : [];
  const here = parsed?.region === ctx.region;
  if (kind === 'event-bus' && rest.length === 1) {
    const name = rest[0] ?? '';
    if (!here) throw notFound(`Event bus ${name} does not exist.`);
    return writableBus(state, ctx, name);
  }
  if (kind === 'rule' && (rest.length === 1 || rest.length === 2)) {
    const [busName, ruleName] =
      rest.length === 1 ? ['default', rest[0] ?? ''] : [rest[0] ?? '', rest[1] ?? ''];
    const bus = here ? findBus(ctx.cloud, ctx.region, busName) : undefined;
    if (!bus) throw notFound(`Rule ${ruleName} does not exist on EventBus ${busName}.`);
    return requireRule(bus, ruleName);
  }
  throw validation(
    `Parameter ${String(resourceArn)} is not valid. Reason: Provided Arn is not in correct format.`,
  );
}

/**
 * A target's RetryPolicy as PutTargets validates it (MaximumRetryAttempts 0–185, MaximumEventAgeInSeconds
 * 60–86,400); a member left out takes EventBridge's default.
 */
function retryPolicyOf(value: unknown): RetryPolicy {
  const policy = (value ?? {}) as Record<string, unknown>;
  const member = (name: string, field: string, min: number, max: number, fallback: number) => {
    const v = policy[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw constraint(
        v,
        `targets.member.retryPolicy.${field}`,
        typeof v === 'number' && v < min
          ? `Member must have value greater than or equal to ${min}`
          : `Member must have value less than or equal to ${max}`,
      );
    }
    return v;
  };
  return {
    MaximumRetryAttempts: member(
      'MaximumRetryAttempts',
      'maximumRetryAttempts',
      0,
      185,
      DEFAULT_RETRY_POLICY.MaximumRetryAttempts,
    ),
    MaximumEventAgeInSeconds: member(
      'MaximumEventAgeInSeconds',
      'maximumEventAgeInSeconds',
      60,
      86_400,
      DEFAULT_RETRY_POLICY.MaximumEventAgeInSeconds,
    ),
  };
}

/** Checks one target as PutTargets does; the local cloud delivers to functions and event buses. */
function checkTarget(ctx: CallContext, raw: Record<string, unknown>): TargetRecord {
  const id = raw.Id;
  if (typeof id !== 'string' || !TARGET_ID.test(id)) {
    throw constraint(
      id ?? 'null',
      'targets.member.id',
      `Member must satisfy regular expression pattern: ${TARGET_ID.source}`,
    );
  }
  const arn = typeof raw.Arn === 'string' ? raw.Arn : '';
  const parsed = parseArn(arn);
  const unsupported = Object.keys(raw).filter(
    (k) => !['Id', 'Arn', 'RoleArn', 'Input', 'RetryPolicy'].includes(k),
  );
  if (unsupported.length > 0) {
    throw validation(
      `Target ${id}: the dsqlctl local cloud does not support ${unsupported.join(', ')} on targets.`,
    );
  }
  if (parsed?.service === 'lambda' && parsed.resource.startsWith('function:')) {
    if (parsed.region !== ctx.region)
      throw validation(`Target ${id}: a Lambda function target must be in the rule's region.`);
  } else if (parsed?.service === 'events' && parsed.resource.startsWith('event-bus/')) {
    if (parsed.region !== ctx.region && typeof raw.RoleArn !== 'string') {
      throw validation(`RoleArn is required for target arn ${arn}.`);
    }
  } else {
    throw validation(
      `Target ${id}: ${arn || 'a missing Arn'} is not a Lambda function or event bus ARN (the targets the dsqlctl local cloud delivers to).`,
    );
  }
  if (raw.Input !== undefined) {
    try {
      JSON.parse(String(raw.Input));
    } catch {
      throw validation(`Target ${id}: Input is not valid JSON text.`);
    }
  }
  return {
    Id: id,
    Arn: arn,
    ...(typeof raw.RoleArn === 'string' ? { RoleArn: raw.RoleArn } : {}),
    ...(typeof raw.Input === 'string' ? { Input: raw.Input } : {}),
    ...(raw.RetryPolicy === undefined ? {} : { RetryPolicy: retryPolicyOf(raw.RetryPolicy) }),
  };
}

interface EntryResult {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

/** Why PutEvents refuses one entry, or undefined when it accepts it. */
function entryError(entry: Record<string, unknown>): EntryResult | undefined {
  for (const member of ['Source', 'DetailType', 'Detail']) {
    const value = entry[member];
    if (typeof value !== 'string' || value.length === 0) {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Parameter ${member} is not valid. Reason: ${member} is a required argument.`,
      };
    }
  }
  try {
    const detail: unknown = JSON.parse(entry.Detail as string);
    if (detail && typeof detail === 'object' && !Array.isArray(detail)) return undefined;
  } catch {
    // malformed, below
  }
  return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
}

function eventTime(value: unknown): string {
  const ms = typeof value === 'number' ? value * 1000 : Date.now();
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A rule's ScheduleExpression, checked as EventBridge checks it; undefined for a pattern rule. */
function checkSchedule(input: JsonInput, busName: string): string | undefined {
  const expression = input.ScheduleExpression;
  if (expression === undefined || expression === null) return undefined;
  if (typeof expression !== 'string' || expression.length > 256) {
    throw validation('Parameter ScheduleExpression is not valid.');
  }
  if (busName !== 'default') {
    throw validation('ScheduleExpression is supported only on the default event bus.');
  }
  if (input.EventPattern !== undefined) {
    throw validation(
      'The dsqlctl local cloud serves a rule with an EventPattern or a ScheduleExpression, not both.',
    );
  }
  try {
    parseSchedule(expression);
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    throw validation('Parameter ScheduleExpression is not valid.');
  }
  return expression;
}

function checkPattern(input: JsonInput): string {
  if (typeof input.EventPattern !== 'string') {
    throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
  }
  try {
    parsePattern(input.EventPattern);
  } catch (error) {
    if (!(error instanceof PatternError)) throw error;
    throw new ServiceError(
      'InvalidEventPatternException',
      `Event pattern is not valid. Reason: ${error.message}`,
    );
  }
  return input.EventPattern;
}

const update = <R>(ctx: CallContext, change: (state: EventsState) => R) =>
  ctx.cloud.state.update(NS, init, change);

/**
 * DisableRule / EnableRule. As on AWS, a disabled rule matches nothing (delivery.ts skips it): an event
 * put meanwhile is accepted by PutEvents and never delivered by that rule, and enabling the rule again
 * does not replay it. A scheduled rule enabled again starts its clock anew (as PutRule does).
 */
function setRuleState(input: JsonInput, ctx: CallContext, ruleState: RuleRecord['state']) {
  const name = requireName(input, 'Name', 'name', RULE_NAME);
  const busName = busNameOf(input.EventBusName);
  return update(ctx, (state) => {
    const rule = requireRule(writableBus(state, ctx, busName), name);
    if (ruleState === 'ENABLED' && rule.state !== 'ENABLED' && rule.scheduleExpression !== undefined) {
      rule.schedule = newSchedule(rule.scheduleExpression, ctx.cloud.now(), ctx.cloud.faults.timeScale);
    }
    rule.state = ruleState;
    return {};
  });
}

/** One instance per cloud: its delivery queue lives from `start` to `stop`. */
export function createEventsService(lambda: { invokeFunction: InvokeFunction }): LocalService {
  let deliveries: Deliveries | undefined;
  let scheduler: Scheduler | undefined;
  return {
    ...awsJsonService({
      signingName: 'events',
      version: '1.1',
      targetPrefix: 'AWSEvents',
      model: async () => ({
        schemas: await import('@aws-sdk/client-eventbridge'),
        constraints: eventsConstraints,
      }),
      throttling: { code: 'ThrottlingException', status: 400 },
      operations: {
        CreateEventBus(input, ctx) {
          const name = requireName(input, 'Name', 'name', BUS_NAME);
          if (name.includes('/') || input.EventSourceName !== undefined) {
            throw validation(
              'The dsqlctl local cloud serves custom event buses only (no partner event sources).',
            );
          }
          const tags = tagsOf(input.Tags);
          return update(ctx, (state) => {
            const key = busKey(ctx.region, name);
            if (name === 'default' || Object.hasOwn(state.buses, key)) {
              throw new ServiceError('ResourceAlreadyExistsException', `Event bus ${name} already exists.`);
            }
            const now = ctx.cloud.now();
            const bus: BusRecord = {
              name,
              region: ctx.region,
              arn: busArn(ctx.region, name),
              ...(typeof input.Description === 'string' ? { description: input.Description } : {}),
              createdAt: now,
              modifiedAt: now,
              tags,
              rules: {},
            };
            state.buses[key] = bus;
            return { EventBusArn: bus.arn, ...(bus.description ? { Description: bus.description } : {}) };
          });
        },
        DescribeEventBus(input, ctx) {
          return busView(requireBus(ctx, busNameOf(input.Name)));
        },
        DeleteEventBus(input, ctx) {
          const name = requireName(input, 'Name', 'name', BUS_NAME);
          if (name === 'default') throw validation('Cannot delete event bus default.');
          return update(ctx, (state) => {
            const key = busKey(ctx.region, name);
            // AWS refuses (ValidationException) rather than deleting the bus's rules with it.
            if (Object.keys(state.buses[key]?.rules ?? {}).length > 0)
              throw validation("EventBus can't be deleted since it has rules.");
            delete state.buses[key];
            return {};
          });
        },
        ListEventBuses(input, ctx) {
          const state = ctx.cloud.state.read(NS, init);
          const prefix = typeof input.NamePrefix === 'string' ? input.NamePrefix : '';
          const custom = Object.values(state.buses).filter(
            (b) => b.region === ctx.region && b.name !== 'default',
          );
          const all = [findBus(ctx.cloud, ctx.region, 'default') as BusRecord, ...custom]
            .filter((b) => b.name.startsWith(prefix))
            .sort((a, b) => (a.name < b.name ? -1 : 1));
          const { items, NextToken } = page(all, input, 100);
          return { EventBuses: items.map(busView), ...(NextToken ? { NextToken } : {}) };
        },
        PutRule(input, ctx) {
          const name = requireName(input, 'Name', 'name', RULE_NAME);
          const busName = busNameOf(input.EventBusName);
          const scheduleExpression = checkSchedule(input, busName);
          const eventPattern = scheduleExpression === undefined ? checkPattern(input) : undefined;
          const ruleState = input.State ?? 'ENABLED';
          if (ruleState !== 'ENABLED' && ruleState !== 'DISABLED') {
            throw constraint(ruleState, 'state', 'Member must satisfy enum value set: [ENABLED, DISABLED]');
          }
          const tags = tagsOf(input.Tags);
          const put = update(ctx, (state) => {
            const bus = writableBus(state, ctx, busName);
            const existing = Object.hasOwn(bus.rules, name) ? bus.rules[name] : undefined;
            // The same schedule keeps its clock (a repeated PutRule does not shift the fire times);
            // a new one, or a rule enabled again, starts now.
            const keepClock =
              existing?.scheduleExpression === scheduleExpression && existing?.state === 'ENABLED';
            const schedule =
              scheduleExpression === undefined
                ? undefined
                : keepClock && existing?.schedule
                  ? existing.schedule
                  : newSchedule(scheduleExpression, ctx.cloud.now(), ctx.cloud.faults.timeScale);
            // PutRule replaces the rule (omitted fields become empty) but keeps its targets and tags.
            const rule: RuleRecord = {
              name,
              arn: ruleArn(ctx.region, busName, name),
              ...(eventPattern === undefined ? {} : { eventPattern }),
              ...(scheduleExpression === undefined ? {} : { scheduleExpression, schedule }),
              state: ruleState,
              ...(typeof input.Description === 'string' ? { description: input.Description } : {}),
              ...(typeof input.RoleArn === 'string' ? { roleArn: input.RoleArn } : {}),
              tags: existing?.tags ?? tags,
              targets: existing?.targets ?? [],
            };
            bus.rules[name] = rule;
            return { RuleArn: rule.arn };
          });
          return put.then((answer) => {
            scheduler?.arm();
            return answer;
          });
        },
        DescribeRule(input, ctx) {
          const name = requireName(input, 'Name', 'name', RULE_NAME);
          const bus = requireBus(ctx, busNameOf(input.EventBusName));
          return { ...ruleView(bus, requireRule(bus, name)), CreatedBy: ctx.accountId };
        },
        DisableRule(input, ctx) {
          return setRuleState(input, ctx, 'DISABLED');
        },
        EnableRule(input, ctx) {
          return setRuleState(input, ctx, 'ENABLED').then((answer) => {
            scheduler?.arm();
            return answer;
          });
        },
        DeleteRule(input, ctx) {
          const name = requireName(input, 'Name', 'name', RULE_NAME);
          const busName = busNameOf(input.EventBusName);
          return update(ctx, (state) => {
            const bus = state.buses[busKey(ctx.region, busName)];
            const rule = bus && Object.hasOwn(bus.rules, name) ? bus.rules[name] : undefined;
            if (!bus || !rule) return {};
            if (rule.targets.length > 0) throw validation("Rule can't be deleted since it has targets.");
            delete bus.rules[name];
            return {};
          }).then((answer) => {
            scheduler?.arm();
            return answer;
          });
        },
        ListRules(input, ctx) {
          const bus = requireBus(ctx, busNameOf(input.EventBusName));
          const prefix = typeof input.NamePrefix === 'string' ? input.NamePrefix : '';
          const rules = Object.values(bus.rules)
            .filter((r) => r.name.startsWith(prefix))
            .sort((a, b) => (a.name < b.name ? -1 : 1));
          const { items, NextToken } = page(rules, input, 100);
          return { Rules: items.map((r) => ruleView(bus, r)), ...(NextToken ? { NextToken } : {}) };
        },
        PutTargets(input, ctx) {
          const ruleName = requireName(input, 'Rule', 'rule', RULE_NAME);
          const busName = busNameOf(input.EventBusName);
          const raw = input.Targets;
          if (!Array.isArray(raw) || raw.length < 1 || raw.length > 10) {
            throw constraint('targets', 'targets', 'Member must have length between 1 and 10');
          }
          const targets = raw.map((t) => checkTarget(ctx, t as Record<string, unknown>));
          return update(ctx, (state) => {
            const rule = requireRule(writableBus(state, ctx, busName), ruleName);
            const merged = [...rule.targets];
            for (const target of targets) {
              const at = merged.findIndex((t) => t.Id === target.Id);
              if (at >= 0) merged[at] = target;
              else merged.push(target);
            }
            if (merged.length > MAX_TARGETS_PER_RULE) {
              throw new ServiceError(
                'LimitExceededException',
                `The requested resource exceeds the maximum number allowed (${MAX_TARGETS_PER_RULE} targets per rule).`,
              );
            }
            rule.targets = merged;
            return { FailedEntryCount: 0, FailedEntries: [] };
          });
        },
        RemoveTargets(input, ctx) {
          const ruleName = requireName(input, 'Rule', 'rule', RULE_NAME);
          const busName = busNameOf(input.EventBusName);
          const ids = input.Ids;
          if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100) {
            throw constraint('ids', 'ids', 'Member must have length between 1 and 100');
          }
          return update(ctx, (state) => {
            const rule = requireRule(writableBus(state, ctx, busName), ruleName);
            rule.targets = rule.targets.filter((t) => !ids.includes(t.Id));
            return { FailedEntryCount: 0, FailedEntries: [] };
          });
        },
        ListTargetsByRule(input, ctx) {
          const ruleName = requireName(input, 'Rule', 'rule', RULE_NAME);
          const rule = requireRule(requireBus(ctx, busNameOf(input.EventBusName)), ruleName);
          const { items, NextToken } = page(rule.targets, input, 100);
          return { Targets: items, ...(NextToken ? { NextToken } : {}) };
        },
        PutEvents(input, ctx) {
          const entries = input.Entries;
          if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
            throw constraint('entries', 'entries', `Member must have length between 1 and ${MAX_ENTRIES}`);
          }
          if (Buffer.byteLength(JSON.stringify(entries)) > MAX_PUT_EVENTS_BYTES) {
            throw validation('Total size of the entries in the request is over the limit.');
          }
          let failed = 0;
          const results = (entries as Record<string, unknown>[]).map((entry): EntryResult => {
            const error = entryError(entry);
            if (error) {
              failed++;
              return error;
            }
            const event = newEvent({
              id: randomUUID(),
              'detail-type': entry.DetailType as string,
              source: entry.Source as string,
              time: eventTime(entry.Time),
              region: ctx.region,
              resources: Array.isArray(entry.Resources) ? (entry.Resources as string[]) : [],
              detail: JSON.parse(entry.Detail as string),
            });
            // Accepted whether or not the bus exists, as on AWS: routing drops events for missing buses.
            deliveries?.publish(ctx.region, busNameOf(entry.EventBusName), event, 0);
            return { EventId: event.id };
          });
          return { FailedEntryCount: failed, Entries: results };
        },
        TagResource(input, ctx) {
          const tags = tagsOf(input.Tags);
          return update(ctx, (state) => {
            const resource = taggable(state, ctx, input.ResourceARN);
            const merged = { ...resource.tags, ...tags };
            if (Object.keys(merged).length > MAX_TAGS) {
              throw new ServiceError(
                'LimitExceededException',
                `A resource can have at most ${MAX_TAGS} tags.`,
              );
            }
            resource.tags = merged;
            return {};
          });
        },
        UntagResource(input, ctx) {
          const keys = Array.isArray(input.TagKeys) ? (input.TagKeys as string[]) : [];
          return update(ctx, (state) => {
            const resource = taggable(state, ctx, input.ResourceARN);
            for (const key of keys) delete resource.tags[key];
            return {};
          });
        },
        ListTagsForResource(input, ctx) {
          // Reading never stores the default bus: look it up on a copy when it was never written.
          const state = ctx.cloud.state.read(NS, init);
          const view: EventsState = { buses: { ...state.buses } };
          return { Tags: tagList(taggable(view, ctx, input.ResourceARN).tags) };
        },
      },
    }),
    counts(cloud) {
      const counts: Record<string, Record<string, number>> = {};
      for (const bus of Object.values(cloud.state.read(NS, init).buses)) {
        const region = counts[bus.region] ?? {};
        if (bus.name !== 'default') region.buses = (region.buses ?? 0) + 1;
        region.rules = (region.rules ?? 0) + Object.keys(bus.rules).length;
        counts[bus.region] = region;
      }
      return counts;
    },
    taggedResources: (cloud) =>
      Object.values(cloud.state.read(NS, init).buses).flatMap((bus) => [
        { arn: bus.arn, region: bus.region, resourceType: 'events:event-bus', tags: bus.tags },
        ...Object.values(bus.rules).map((rule) => ({
          arn: rule.arn,
          region: bus.region,
          resourceType: 'events:rule',
          tags: rule.tags,
        })),
      ]),
    async start(cloud) {
      deliveries = new Deliveries(cloud, lambda.invokeFunction);
      scheduler = new Scheduler(cloud, deliveries);
      deliveries.start();
      scheduler.arm();
    },
    async stop() {
      scheduler?.stop();
      scheduler = undefined;
      await deliveries?.stop();
      deliveries = undefined;
    },
  };
}
