/**
 * CloudWatch Logs' data. Log groups and their streams are durable state (the state store, written on
 * the rare create/delete/retention/tag call); the events themselves live in memory and in an
 * append-only JSON Lines file (`logs/events.jsonl`), because they arrive with every Lambda invocation
 * and rewriting the whole state document each time would slow every invocation down. The file is
 * rewritten only when a group is deleted or expired events are dropped.
 *
 * Retention is time-scaled like the other transitions: an event expires once its age exceeds
 * `retentionInDays` of AWS time × the time scale (faults.ts). With time scale 0 nothing expires (every
 * event would otherwise expire the instant it is written).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { arn, ServiceError } from '../../aws.js';
import type { Cloud } from '../../service.js';
import { atomicWrite } from '../../state-store.js';

export interface StreamRecord {
  name: string;
  createdAt: number;
}

export interface GroupRecord {
  name: string;
  region: string;
  createdAt: number;
  retentionInDays?: number;
  tags: Record<string, string>;
  streams: Record<string, StreamRecord>;
}

export interface LogsState {
  /** By `<region>/<name>`. */
  groups: Record<string, GroupRecord>;
}

export const NS = 'logs';
export const init = (): LogsState => ({ groups: {} });
export const groupKey = (region: string, name: string) => `${region}/${name}`;

/** `logGroupArn` (no suffix); DescribeLogGroups' `arn` adds `:*`, as AWS's does. */
export const groupArn = (region: string, name: string) => arn('logs', region, `log-group:${name}`);

export const invalidParameter = (message: string) => new ServiceError('InvalidParameterException', message);
export const groupNotFound = () =>
  new ServiceError('ResourceNotFoundException', 'The specified log group does not exist.');
export const streamNotFound = () =>
  new ServiceError('ResourceNotFoundException', 'The specified log stream does not exist.');

export interface StoredEvent {
  /** Group key `<region>/<name>`. */
  g: string;
  s: string;
  timestamp: number;
  ingestionTime: number;
  message: string;
  eventId: string;
}

/** Events of every group, in memory and in the append-only file. */
export class EventStore {
  private readonly byGroup = new Map<string, StoredEvent[]>();
  private sequence = 0;
  private file = '';
  /** The file, open for appending: every invocation appends, and opening it each time cost two more calls. */
  private fd: number | undefined;

  load(cloud: Cloud): void {
    const dir = join(cloud.dir, 'logs');
    mkdirSync(dir, { recursive: true });
    this.closeFile();
    this.file = join(dir, 'events.jsonl');
    if (!existsSync(this.file)) return;
    const groups = cloud.state.read(NS, init).groups;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line) continue;
      let event: StoredEvent;
      try {
        event = JSON.parse(line) as StoredEvent;
      } catch {
        continue; // a line cut short by a kill: the events before it are intact
      }
      if (!Object.hasOwn(groups, event.g)) continue;
      this.listOf(event.g).push(event);
      this.sequence = Math.max(this.sequence, Number(event.eventId));
    }
  }

  private closeFile(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private listOf(group: string): StoredEvent[] {
    let list = this.byGroup.get(group);
    if (!list) {
      list = [];
      this.byGroup.set(group, list);
    }
    return list;
  }

  /** Appends events (already validated) to a stream; returns them with their ids. */
  append(
    group: string,
    stream: string,
    events: { timestamp: number; message: string }[],
    now: number,
  ): StoredEvent[] {
    const stored = events.map((e) => ({
      g: group,
      s: stream,
      timestamp: e.timestamp,
      ingestionTime: now,
      message: e.message,
      // CloudWatch's event ids are 56 digits; ours count up, so they are unique and ordered.
      eventId: String(++this.sequence).padStart(56, '0'),
    }));
    this.listOf(group).push(...stored);
    if (stored.length > 0) {
      this.fd ??= openSync(this.file, 'a');
      writeSync(this.fd, `${stored.map((e) => JSON.stringify(e)).join('\n')}\n`);
    }
    return stored;
  }

  /** The group's unexpired events, oldest first (by timestamp, then arrival). */
  events(group: GroupRecord, cloud: Cloud): StoredEvent[] {
    const key = groupKey(group.region, group.name);
    const list = this.byGroup.get(key) ?? [];
    const cutoff = expiryCutoff(group, cloud);
    const live = cutoff === undefined ? list : list.filter((e) => e.timestamp >= cutoff);
    if (live.length !== list.length) this.byGroup.set(key, live);
    return [...live].sort((a, b) => a.timestamp - b.timestamp || a.eventId.localeCompare(b.eventId));
  }

  /** Forgets a deleted group's (or stream's) events and rewrites the file without them. */
  drop(group: string, stream?: string): void {
    const list = this.byGroup.get(group) ?? [];
    if (stream === undefined) this.byGroup.delete(group);
    else
      this.byGroup.set(
        group,
        list.filter((e) => e.s !== stream),
      );
    const all = [...this.byGroup.values()].flat().sort((a, b) => a.eventId.localeCompare(b.eventId));
    // The rewrite replaces the file: later appends go to the new one.
    this.closeFile();
    atomicWrite(this.file, all.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }
}

/** Epoch ms before which the group's events have expired, or undefined when they never do. */
export function expiryCutoff(group: GroupRecord, cloud: Cloud): number | undefined {
  if (group.retentionInDays === undefined || cloud.faults.timeScale === 0) return undefined;
  return cloud.now() - group.retentionInDays * 86_400_000 * cloud.faults.timeScale;
}
