/**
 * Amazon CloudWatch Logs (awsJson1_1, target prefix Logs_20140328, signing name `logs`, as
 * @aws-sdk/client-cloudwatch-logs's model says): log groups per region with retention and tags, their
 * streams, PutLogEvents, GetLogEvents and FilterLogEvents (filter-pattern.ts). Lambda writes its
 * functions' lines here through `writeFunctionLogs` (creating a missing group, as Lambda does).
 */
import { parseArn, ServiceError } from '../../aws.js';
import { awsJsonService, type JsonInput } from '../../protocols/aws-json.js';
import type { Cloud, LocalService } from '../../service.js';
import { logsConstraints } from './constraints.js';
import { PatternError, parseFilterPattern } from './filter-pattern.js';
import {
  EventStore,
  expiryCutoff,
  type GroupRecord,
  groupArn,
  groupKey,
  groupNotFound,
  init,
  invalidParameter,
  type LogsState,
  NS,
  type StoredEvent,
  streamNotFound,
} from './model.js';

const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const STREAM_NAME = /^[^:*]{1,512}$/;
/** PutRetentionPolicy's allowed values (the SDK model's documentation). */
const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
const MAX_TAGS = 50;
const MAX_BATCH_EVENTS = 10_000;
/** A PutLogEvents batch: the messages' UTF-8 bytes plus 26 bytes per event. */
const MAX_BATCH_BYTES = 1_048_576;
const EVENT_OVERHEAD_BYTES = 26;
const DAY_MS = 86_400_000;

/** What Lambda hands over after an invocation: the lines, with their times, for one stream. */
export type WriteFunctionLogs = (
  cloud: Cloud,
  region: string,
  group: string,
  stream: string,
  events: { timestamp: number; message: string }[],
) => Promise<void>;

export interface LogsService extends LocalService {
  writeFunctionLogs: WriteFunctionLogs;
}

function constraint(value: unknown, field: string, rule: string): ServiceError {
  return invalidParameter(
    `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ${rule}`,
  );
}

function name(input: JsonInput, member: string, pattern: RegExp): string {
  const value = input[member];
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw constraint(
      value ?? 'null',
      member,
      `Member must satisfy regular expression pattern: ${pattern.source}`,
    );
  }
  return value;
}

function integer(input: JsonInput, member: string, min: number, max: number): number | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw constraint(value, member, `Member must have value between ${min} and ${max}`);
  }
  return value;
}

function tagsOf(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw constraint(value, 'tags', 'Member must be a map');
  const tags = value as Record<string, unknown>;
  for (const [key, tag] of Object.entries(tags)) {
    if (key.length < 1 || key.length > 128 || key.startsWith('aws:')) {
      throw constraint(key, 'tags', 'Member must have length between 1 and 128 and not start with aws:');
    }
    if (typeof tag !== 'string' || tag.length > 256) {
      throw constraint(tag, `tags.${key}`, 'Member must have length less than or equal to 256');
    }
  }
  return tags as Record<string, string>;
}

/** `logGroupName` or `logGroupIdentifier` (a name or an ARN), exactly one. */
function groupNameOf(input: JsonInput): string {
  const hasName = input.logGroupName !== undefined;
  const hasIdentifier = input.logGroupIdentifier !== undefined;
  if (hasName && hasIdentifier) {
    throw invalidParameter('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
  }
  if (hasIdentifier) {
    const value = String(input.logGroupIdentifier);
    const parsed = parseArn(value);
    if (!parsed) return name({ id: value }, 'id', GROUP_NAME);
    if (parsed.service !== 'logs' || !parsed.resource.startsWith('log-group:')) {
      throw invalidParameter(`Invalid log group ARN: ${value}`);
    }
    return parsed.resource.slice('log-group:'.length).replace(/:\*$/, '');
  }
  return name(input, 'logGroupName', GROUP_NAME);
}

function findGroup(cloud: Cloud, region: string, groupName: string): GroupRecord {
  const groups = cloud.state.read(NS, init).groups;
  const key = groupKey(region, groupName);
  const group = Object.hasOwn(groups, key) ? groups[key] : undefined;
  if (!group) throw groupNotFound();
  return group;
}

/** TagResource's ARN: a log group's, with or without the `:*` suffix. */
function groupByArn(cloud: Cloud, value: unknown): GroupRecord {
  const parsed = typeof value === 'string' ? parseArn(value) : undefined;
  if (parsed?.service !== 'logs' || !parsed.resource.startsWith('log-group:')) {
    throw invalidParameter(`Invalid resource ARN: ${String(value)}`);
  }
  return findGroup(cloud, parsed.region, parsed.resource.slice('log-group:'.length).replace(/:\*$/, ''));
}

/** A page by position: the token is the base64 offset of the next item. */
function page<T>(items: T[], token: unknown, limit: number): { items: T[]; nextToken?: string } {
  const start = typeof token === 'string' ? Number(Buffer.from(token, 'base64').toString()) : 0;
  if (!Number.isInteger(start) || start < 0) throw invalidParameter('The specified nextToken is not valid.');
  const end = start + limit;
  return {
    items: items.slice(start, end),
    ...(end < items.length ? { nextToken: Buffer.from(String(end)).toString('base64') } : {}),
  };
}

function groupView(group: GroupRecord, store: EventStore, cloud: Cloud) {
  const logGroupArn = groupArn(group.region, group.name);
  return {
    logGroupName: group.name,
    creationTime: group.createdAt,
    ...(group.retentionInDays !== undefined ? { retentionInDays: group.retentionInDays } : {}),
    metricFilterCount: 0,
    arn: `${logGroupArn}:*`,
    logGroupArn,
    storedBytes: store.events(group, cloud).reduce((sum, e) => sum + Buffer.byteLength(e.message), 0),
    logGroupClass: 'STANDARD',
    deletionProtectionEnabled: false,
  };
}

function streamView(group: GroupRecord, streamName: string, events: StoredEvent[]) {
  const stream = group.streams[streamName] as GroupRecord['streams'][string];
  const own = events.filter((e) => e.s === streamName);
  const first = own[0];
  const last = own.at(-1);
  return {
    logStreamName: stream.name,
    creationTime: stream.createdAt,
    ...(first && last
      ? {
          firstEventTimestamp: first.timestamp,
          lastEventTimestamp: last.timestamp,
          lastIngestionTime: Math.max(...own.map((e) => e.ingestionTime)),
        }
      : {}),
    arn: `${groupArn(group.region, group.name)}:log-stream:${stream.name}`,
    storedBytes: 0, // CloudWatch reports 0 here since 2019 (deprecated member)
  };
}

const eventView = (e: StoredEvent) => ({
  timestamp: e.timestamp,
  message: e.message,
  ingestionTime: e.ingestionTime,
});

/** PutLogEvents' checks: order, span, size; events too new, too old or expired are reported, not stored. */
function acceptEvents(group: GroupRecord, input: JsonInput, cloud: Cloud) {
  const list = input.logEvents;
  if (!Array.isArray(list) || list.length < 1 || list.length > MAX_BATCH_EVENTS) {
    throw constraint(
      Array.isArray(list) ? list.length : 'null',
      'logEvents',
      `Member must have length between 1 and ${MAX_BATCH_EVENTS}`,
    );
  }
  let bytes = 0;
  const events = list.map((raw: { timestamp?: unknown; message?: unknown }, i) => {
    if (typeof raw?.timestamp !== 'number' || !Number.isInteger(raw.timestamp) || raw.timestamp < 0) {
      throw constraint(raw?.timestamp, `logEvents.${i + 1}.member.timestamp`, 'Member must not be null');
    }
    if (typeof raw.message !== 'string' || raw.message.length < 1) {
      throw constraint(raw.message, `logEvents.${i + 1}.member.message`, 'Member must have length ≥ 1');
    }
    bytes += Buffer.byteLength(raw.message) + EVENT_OVERHEAD_BYTES;
    return { timestamp: raw.timestamp, message: raw.message };
  });
  if (bytes > MAX_BATCH_BYTES) {
    throw invalidParameter(`Upload too large: ${bytes} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
  }
  for (let i = 1; i < events.length; i++) {
    if ((events[i] as { timestamp: number }).timestamp < (events[i - 1] as { timestamp: number }).timestamp) {
      throw invalidParameter('Log events in a single PutLogEvents request must be in chronological order.');
    }
  }
  const first = events[0] as { timestamp: number };
  const last = events.at(-1) as { timestamp: number };
  if (last.timestamp - first.timestamp > DAY_MS) {
    throw invalidParameter(
      'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.',
    );
  }
  const now = cloud.now();
  const cutoff = expiryCutoff(group, cloud);
  let tooOld = -1;
  let expired = -1;
  let tooNew = events.length;
  events.forEach((e, i) => {
    if (e.timestamp < now - 14 * DAY_MS) tooOld = i;
    else if (cutoff !== undefined && e.timestamp < cutoff) expired = i;
    if (e.timestamp > now + 2 * 3_600_000 && tooNew === events.length) tooNew = i;
  });
  const accepted = events.slice(Math.max(tooOld, expired) + 1, tooNew);
  const rejected = {
    ...(tooNew < events.length ? { tooNewLogEventStartIndex: tooNew } : {}),
    ...(tooOld >= 0 ? { tooOldLogEventEndIndex: tooOld } : {}),
    ...(expired >= 0 ? { expiredLogEventEndIndex: expired } : {}),
  };
  return { accepted, rejected };
}

/** FilterLogEvents' cursor: the (timestamp, eventId) of the last event returned. */
function cursorOf(token: unknown): { t: number; id: string } | undefined {
  if (typeof token !== 'string') return undefined;
  try {
    const cursor = JSON.parse(Buffer.from(token, 'base64').toString()) as { t: number; id: string };
    if (typeof cursor.t === 'number' && typeof cursor.id === 'string') return cursor;
  } catch {}
  throw invalidParameter('The specified nextToken is not valid.');
}

export function createLogsService(): LogsService {
  const store = new EventStore();
  const update = <R>(cloud: Cloud, change: (state: LogsState) => R) => cloud.state.update(NS, init, change);

  async function ensureStream(cloud: Cloud, region: string, group: string, stream: string): Promise<void> {
    const groups = cloud.state.read(NS, init).groups;
    const key = groupKey(region, group);
    if (Object.hasOwn(groups, key) && Object.hasOwn((groups[key] as GroupRecord).streams, stream)) return;
    await update(cloud, (state) => {
      const now = cloud.now();
      state.groups[key] ??= { name: group, region, createdAt: now, tags: {}, streams: {} };
      const record = state.groups[key] as GroupRecord;
      record.streams[stream] ??= { name: stream, createdAt: now };
    });
  }

  const writeFunctionLogs: WriteFunctionLogs = async (cloud, region, group, stream, events) => {
    await ensureStream(cloud, region, group, stream);
    const record = findGroup(cloud, region, group);
    const cutoff = expiryCutoff(record, cloud);
    store.append(
      groupKey(region, group),
      stream,
      cutoff === undefined ? events : events.filter((e) => e.timestamp >= cutoff),
      cloud.now(),
    );
  };

  return {
    writeFunctionLogs,
    ...awsJsonService({
      model: async () => ({
        schemas: await import('@aws-sdk/client-cloudwatch-logs'),
        constraints: logsConstraints,
      }),
      signingName: 'logs',
      version: '1.1',
      targetPrefix: 'Logs_20140328',
      throttling: { code: 'ThrottlingException', status: 400 },
      validationError: 'InvalidParameterException',
      operations: {
        async CreateLogGroup(input, ctx) {
          const groupName = name(input, 'logGroupName', GROUP_NAME);
          const tags = tagsOf(input.tags);
          if (Object.keys(tags).length > MAX_TAGS)
            throw invalidParameter(`A log group can have at most ${MAX_TAGS} tags.`);
          await update(ctx.cloud, (state) => {
            const key = groupKey(ctx.region, groupName);
            if (Object.hasOwn(state.groups, key)) {
              throw new ServiceError(
                'ResourceAlreadyExistsException',
                'The specified log group already exists',
              );
            }
            state.groups[key] = {
              name: groupName,
              region: ctx.region,
              createdAt: ctx.cloud.now(),
              tags,
              streams: {},
            };
          });
          return {};
        },
        async DeleteLogGroup(input, ctx) {
          const groupName = name(input, 'logGroupName', GROUP_NAME);
          const key = groupKey(ctx.region, groupName);
          await update(ctx.cloud, (state) => {
            if (!Object.hasOwn(state.groups, key)) throw groupNotFound();
            delete state.groups[key];
          });
          store.drop(key);
          return {};
        },
        DescribeLogGroups(input, ctx) {
          const limit = integer(input, 'limit', 1, 50) ?? 50;
          const prefix = input.logGroupNamePrefix;
          const pattern = input.logGroupNamePattern;
          if (prefix !== undefined && pattern !== undefined) {
            throw invalidParameter(
              'LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.',
            );
          }
          const groups = Object.values(ctx.cloud.state.read(NS, init).groups)
            .filter((g) => g.region === ctx.region)
            .filter((g) => typeof prefix !== 'string' || g.name.startsWith(prefix))
            .filter(
              (g) => typeof pattern !== 'string' || g.name.toLowerCase().includes(pattern.toLowerCase()),
            )
            .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
          const { items, nextToken } = page(groups, input.nextToken, limit);
          return {
            logGroups: items.map((g) => groupView(g, store, ctx.cloud)),
            ...(nextToken ? { nextToken } : {}),
          };
        },
        async PutRetentionPolicy(input, ctx) {
          const groupName = name(input, 'logGroupName', GROUP_NAME);
          const days = input.retentionInDays;
          if (typeof days !== 'number' || !RETENTION_DAYS.includes(days)) {
            throw constraint(
              days,
              'retentionInDays',
              `Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`,
            );
          }
          await update(ctx.cloud, (state) => {
            const group = state.groups[groupKey(ctx.region, groupName)];
            if (!group) throw groupNotFound();
            group.retentionInDays = days;
          });
          return {};
        },
        async DeleteRetentionPolicy(input, ctx) {
          const groupName = name(input, 'logGroupName', GROUP_NAME);
          await update(ctx.cloud, (state) => {
            const group = state.groups[groupKey(ctx.region, groupName)];
            if (!group) throw groupNotFound();
            delete group.retentionInDays;
          });
          return {};
        },
        async TagResource(input, ctx) {
          const tags = tagsOf(input.tags);
          const found = groupByArn(ctx.cloud, input.resourceArn);
          await update(ctx.cloud, (state) => {
            const group = state.groups[groupKey(found.region, found.name)] as GroupRecord;
            const merged = { ...group.tags, ...tags };
            if (Object.keys(merged).length > MAX_TAGS)
              throw invalidParameter(`A log group can have at most ${MAX_TAGS} tags.`);
            group.tags = merged;
          });
          return {};
        },
        async UntagResource(input, ctx) {
          const keys = Array.isArray(input.tagKeys) ? input.tagKeys.map(String) : [];
          const found = groupByArn(ctx.cloud, input.resourceArn);
          await update(ctx.cloud, (state) => {
            const group = state.groups[groupKey(found.region, found.name)] as GroupRecord;
            for (const key of keys) delete group.tags[key];
          });
          return {};
        },
        ListTagsForResource(input, ctx) {
          return { tags: { ...groupByArn(ctx.cloud, input.resourceArn).tags } };
        },
        async CreateLogStream(input, ctx) {
          const groupName = name(input, 'logGroupName', GROUP_NAME);
          const streamName = name(input, 'logStreamName', STREAM_NAME);
          await update(ctx.cloud, (state) => {
            const group = state.groups[groupKey(ctx.region, groupName)];
            if (!group) throw groupNotFound();
            if (Object.hasOwn(group.streams, streamName)) {
              throw new ServiceError(
                'ResourceAlreadyExistsException',
                'The specified log stream already exists',
              );
            }
            group.streams[streamName] = { name: streamName, createdAt: ctx.cloud.now() };
          });
          return {};
        },
        DescribeLogStreams(input, ctx) {
          const group = findGroup(ctx.cloud, ctx.region, groupNameOf(input));
          const limit = integer(input, 'limit', 1, 50) ?? 50;
          const orderBy = input.orderBy ?? 'LogStreamName';
          if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime') {
            throw constraint(
              orderBy,
              'orderBy',
              'Member must satisfy enum value set: [LogStreamName, LastEventTime]',
            );
          }
          const prefix = input.logStreamNamePrefix;
          if (prefix !== undefined && orderBy === 'LastEventTime') {
            throw invalidParameter('Cannot order by LastEventTime with a logStreamNamePrefix.');
          }
          const events = store.events(group, ctx.cloud);
          const views = Object.keys(group.streams)
            .filter((s) => typeof prefix !== 'string' || s.startsWith(prefix))
            .map((s) => streamView(group, s, events));
          const key = (v: ReturnType<typeof streamView>) =>
            orderBy === 'LogStreamName' ? v.logStreamName : (v.lastEventTimestamp ?? 0);
          views.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
          if (input.descending === true) views.reverse();
          const { items, nextToken } = page(views, input.nextToken, limit);
          return { logStreams: items, ...(nextToken ? { nextToken } : {}) };
        },
        async PutLogEvents(input, ctx) {
          const groupName = name(input, 'logGroupName', GROUP_NAME);
          const streamName = name(input, 'logStreamName', STREAM_NAME);
          const group = findGroup(ctx.cloud, ctx.region, groupName);
          if (!Object.hasOwn(group.streams, streamName)) throw streamNotFound();
          const { accepted, rejected } = acceptEvents(group, input, ctx.cloud);
          store.append(groupKey(ctx.region, groupName), streamName, accepted, ctx.cloud.now());
          return Object.keys(rejected).length > 0 ? { rejectedLogEventsInfo: rejected } : {};
        },
        GetLogEvents(input, ctx) {
          const group = findGroup(ctx.cloud, ctx.region, groupNameOf(input));
          const streamName = name(input, 'logStreamName', STREAM_NAME);
          if (!Object.hasOwn(group.streams, streamName)) throw streamNotFound();
          const limit = integer(input, 'limit', 1, 10_000) ?? 10_000;
          const start = integer(input, 'startTime', 0, Number.MAX_SAFE_INTEGER);
          const end = integer(input, 'endTime', 0, Number.MAX_SAFE_INTEGER);
          const events = store
            .events(group, ctx.cloud)
            .filter((e) => e.s === streamName)
            .filter(
              (e) =>
                (start === undefined || e.timestamp >= start) && (end === undefined || e.timestamp < end),
            );
          // Tokens are positions: `f/<next index>` reads on, `b/<end index>` reads back.
          const token =
            typeof input.nextToken === 'string' ? /^([fb])\/(\d+)$/.exec(input.nextToken) : undefined;
          if (input.nextToken !== undefined && !token)
            throw invalidParameter('The specified nextToken is not valid.');
          let from: number;
          let to: number;
          if (token?.[1] === 'f') {
            from = Math.min(Number(token[2]), events.length);
            to = Math.min(from + limit, events.length);
          } else if (token?.[1] === 'b') {
            to = Math.min(Number(token[2]), events.length);
            from = Math.max(0, to - limit);
          } else if (input.startFromHead === true) {
            from = 0;
            to = Math.min(limit, events.length);
          } else {
            to = events.length;
            from = Math.max(0, to - limit);
          }
          return {
            events: events.slice(from, to).map(eventView),
            nextForwardToken: `f/${to}`,
            nextBackwardToken: `b/${from}`,
          };
        },
        FilterLogEvents(input, ctx) {
          const group = findGroup(ctx.cloud, ctx.region, groupNameOf(input));
          const names = input.logStreamNames;
          const prefix = input.logStreamNamePrefix;
          if (names !== undefined && prefix !== undefined) {
            throw invalidParameter(
              'logStreamNames and logStreamNamePrefix are mutually exclusive parameters.',
            );
          }
          if (names !== undefined && (!Array.isArray(names) || names.length < 1 || names.length > 100)) {
            throw constraint(names, 'logStreamNames', 'Member must have length between 1 and 100');
          }
          const limit = integer(input, 'limit', 1, 10_000) ?? 10_000;
          const start = integer(input, 'startTime', 0, Number.MAX_SAFE_INTEGER);
          const end = integer(input, 'endTime', 0, Number.MAX_SAFE_INTEGER);
          if (input.filterPattern !== undefined && typeof input.filterPattern !== 'string') {
            throw constraint(input.filterPattern, 'filterPattern', 'Member must be a string');
          }
          let matches: (message: string) => boolean;
          try {
            matches = parseFilterPattern(input.filterPattern as string | undefined);
          } catch (error) {
            if (error instanceof PatternError) throw invalidParameter(error.message);
            throw error;
          }
          const cursor = cursorOf(input.nextToken);
          const streams = new Set(Array.isArray(names) ? names.map(String) : []);
          const selected = store
            .events(group, ctx.cloud)
            .filter((e) => streams.size === 0 || streams.has(e.s))
            .filter((e) => typeof prefix !== 'string' || e.s.startsWith(prefix))
            .filter(
              (e) =>
                (start === undefined || e.timestamp >= start) && (end === undefined || e.timestamp <= end),
            )
            .filter(
              (e) => !cursor || e.timestamp > cursor.t || (e.timestamp === cursor.t && e.eventId > cursor.id),
            )
            .filter((e) => matches(e.message));
          const items = selected.slice(0, limit);
          const last = items.at(-1);
          return {
            events: items.map((e) => ({ logStreamName: e.s, ...eventView(e), eventId: e.eventId })),
            searchedLogStreams: Object.keys(group.streams)
              .filter((s) => streams.size === 0 || streams.has(s))
              .map((logStreamName) => ({ logStreamName, searchedCompletely: true })),
            ...(last && selected.length > limit
              ? {
                  nextToken: Buffer.from(JSON.stringify({ t: last.timestamp, id: last.eventId })).toString(
                    'base64',
                  ),
                }
              : {}),
          };
        },
      },
    }),
    counts(cloud) {
      const counts: Record<string, Record<string, number>> = {};
      for (const group of Object.values(cloud.state.read(NS, init).groups)) {
        const region = counts[group.region] ?? {};
        region.logGroups = (region.logGroups ?? 0) + 1;
        counts[group.region] = region;
      }
      return counts;
    },
    taggedResources: (cloud) =>
      Object.values(cloud.state.read(NS, init).groups).map((group) => ({
        arn: groupArn(group.region, group.name),
        region: group.region,
        resourceType: 'logs:log-group',
        tags: group.tags,
      })),
    async start(cloud) {
      store.load(cloud);
    },
  };
}
