/**
 * `dsqlctl logs`: the events of the stack's function log groups, like `aws logs tail`: FilterLogEvents
 * polled in each region, events interleaved by time across regions, de-duplicated by event id, and
 * with `follow` polled again until the caller stops it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type FilteredLogEvent, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { suggest } from '../advice.js';
import { AwsClients } from '../aws-clients.js';
import { DsqlctlError, isAwsError, UsageError } from '../errors.js';
import { stackNames } from '../stack.js';
import type { Target } from '../target.js';

export interface LogEvent {
  region: string;
  timestamp: number;
  logStream: string;
  message: string;
  eventId: string;
}

export interface LogsOptions {
  stack: string;
  regions: string[];
  startTime: number;
  filterPattern?: string;
  /** Poll again until `signal` aborts. */
  follow: boolean;
  signal?: AbortSignal;
  /** How long to wait between polls when following (aws logs tail: about 5 s). */
  pollMs?: number;
  onEvent(event: LogEvent): void;
}

/** A stack deployed before dsqlctl owned its log groups: none to read until `up` adds them. */
export class NoLogGroupError extends DsqlctlError {}

async function fetchRegion(
  clients: AwsClients,
  options: LogsOptions,
  region: string,
  startTime: number,
): Promise<LogEvent[]> {
  const group = stackNames(options.stack).logGroup;
  const events: FilteredLogEvent[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const out = await clients.logs(region).send(
        new FilterLogEventsCommand({
          logGroupName: group,
          startTime,
          ...(options.filterPattern ? { filterPattern: options.filterPattern } : {}),
          nextToken,
        }),
      );
      events.push(...(out.events ?? []));
      nextToken = out.nextToken;
    } while (nextToken && !options.signal?.aborted);
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) {
      throw new NoLogGroupError(`Stack "${options.stack}" has no log group ${group} in ${region}.`, {
        advice: `It was deployed before dsqlctl owned its log groups: run ${suggest(`up --stack ${options.stack}`)} to add them.`,
      });
    }
    if (isAwsError(error, 'InvalidParameterException')) {
      throw new UsageError(`--filter: ${(error as Error).message}`);
    }
    throw error;
  }
  return events.map((e) => ({
    region,
    timestamp: e.timestamp ?? 0,
    logStream: e.logStreamName ?? '',
    message: (e.message ?? '').replace(/\n$/, ''),
    eventId: e.eventId ?? `${region}:${e.timestamp}:${e.message}`,
  }));
}

/** Reads (and with `follow`, keeps reading) the stack's log events, oldest first, each once. */
export async function tailLogs(target: Target, options: LogsOptions): Promise<void> {
  const clients = new AwsClients(target);
  const seen = new Set<string>();
  let from = options.startTime;
  try {
    for (;;) {
      const batches = await Promise.all(options.regions.map((r) => fetchRegion(clients, options, r, from)));
      const fresh = batches
        .flat()
        .filter((e) => !seen.has(e.eventId))
        .sort((a, b) => a.timestamp - b.timestamp || a.region.localeCompare(b.region));
      for (const event of fresh) {
        seen.add(event.eventId);
        options.onEvent(event);
      }
      // The next poll re-reads the last second (events may land late with earlier timestamps); the
      // ids already printed are skipped.
      const latest = Math.max(from, ...fresh.map((e) => e.timestamp));
      from = Math.max(options.startTime, latest - 1000);
      if (!options.follow || options.signal?.aborted) return;
      try {
        await sleep(options.pollMs ?? 1000, undefined, { signal: options.signal });
      } catch {
        return; // aborted: a clean stop
      }
    }
  } finally {
    clients.destroy();
  }
}
