/**
 * Runs scheduled rules. Each rule's next fire time is kept in the state document (ScheduleRecord), so
 * a restart resumes the schedule instead of resetting it; one timer wakes at the earliest of them. A
 * rule overdue after a restart fires once, then moves to its next future occurrence (no catch-up, as
 * EventBridge does not fire missed invocations again).
 *
 * Time scale: AWS time runs 1/timeScale times faster than real time around the rule's anchor, so
 * `rate(1 minute)` fires every 0.6 s at the default scale 0.01, like the other transitions.
 */
import { randomUUID } from 'node:crypto';
import type { Cloud } from '../../service.js';
import { type Deliveries, newEvent } from './delivery.js';
import { nextOccurrence, parseSchedule } from './schedule.js';
import { type BusRecord, init, NS, type RuleRecord, type ScheduleRecord } from './state.js';

/** Scheduled rules never fire closer together than this, whatever the time scale. */
const MIN_GAP_MS = 10;

/** The next fire time (real epoch ms) strictly after `now`, or undefined when none is left. */
export function nextFireAt(
  expression: string,
  anchor: number,
  now: number,
  timeScale: number,
): number | undefined {
  const scale = Math.max(timeScale, 1e-6);
  const awsNow = anchor + (now - anchor) / scale;
  const next = nextOccurrence(parseSchedule(expression), anchor, awsNow);
  return next === undefined ? undefined : Math.max(anchor + (next - anchor) * scale, now + MIN_GAP_MS);
}

/** A new schedule for a rule (PutRule): anchored now. */
export function newSchedule(expression: string, now: number, timeScale: number): ScheduleRecord {
  const next = nextFireAt(expression, now, now, timeScale);
  return { anchor: now, ...(next === undefined ? {} : { nextFireAt: next }) };
}

const scheduled = (rule: RuleRecord) =>
  rule.state === 'ENABLED' &&
  rule.scheduleExpression !== undefined &&
  rule.schedule?.nextFireAt !== undefined;

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly cloud: Cloud,
    private readonly deliveries: Deliveries,
  ) {}

  /** (Re)arms the timer at the earliest next fire time: call after any change to rules. */
  arm(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    let due = Number.POSITIVE_INFINITY;
    for (const bus of Object.values(this.cloud.state.read(NS, init).buses)) {
      for (const rule of Object.values(bus.rules)) {
        if (scheduled(rule)) due = Math.min(due, rule.schedule?.nextFireAt as number);
      }
    }
    if (due === Number.POSITIVE_INFINITY) return;
    const wait = Math.min(Math.max(due - Date.now(), 0), 2 ** 31 - 1);
    this.timer = setTimeout(() => {
      this.fireDue().catch((error: unknown) => {
        process.stderr.write(
          `${new Date().toISOString()} scheduled rules failed: ${(error as Error).stack}\n`,
        );
      });
    }, wait);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async fireDue(): Promise<void> {
    if (this.stopped) return;
    const now = Date.now();
    const fired: { bus: BusRecord; rule: RuleRecord }[] = [];
    await this.cloud.state.update(NS, init, (state) => {
      for (const bus of Object.values(state.buses)) {
        for (const rule of Object.values(bus.rules)) {
          const schedule = rule.schedule;
          if (!scheduled(rule) || !schedule || (schedule.nextFireAt as number) > now) continue;
          const next = nextFireAt(
            rule.scheduleExpression as string,
            schedule.anchor,
            now,
            this.cloud.faults.timeScale,
          );
          if (next === undefined) delete schedule.nextFireAt;
          else schedule.nextFireAt = next;
          fired.push({ bus, rule: structuredClone(rule) });
        }
      }
    });
    for (const { bus, rule } of fired) {
      const event = newEvent({
        id: randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: bus.region,
        resources: [rule.arn],
        detail: {},
      });
      this.deliveries.fire(bus, rule, event);
    }
    this.arm();
  }
}
