/**
 * Schedule expressions of scheduled rules, validated as EventBridge validates them (eb-scheduled-rule-
 * pattern in the EventBridge user guide):
 *  - `rate(value unit)`: a positive whole value; the unit singular when the value is 1 (`minute`,
 *    `hour`, `day`) and plural otherwise (`rate(1 hours)` and `rate(5 hour)` are invalid).
 *  - `cron(minutes hours day-of-month month day-of-week year)`: six fields, UTC; exactly one of
 *    day-of-month and day-of-week is `?`; wildcards `, - * /` everywhere, `L W` in day-of-month,
 *    `L #` in day-of-week; a `#` expression stands alone in its field.
 * aws-cron-parser computes cron occurrences but checks little (it assumes AWS validated the text), so
 * the validation is here and the library only walks the calendar.
 */
import awsCron from 'aws-cron-parser';

export class ScheduleError extends Error {}

export type Schedule = { kind: 'rate'; periodMs: number } | { kind: 'cron'; fields: string };

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface Field {
  min: number;
  max: number;
  names?: string[];
  /** The field's special tokens beyond `, - * /` (matched whole). */
  special?: RegExp;
}

const FIELDS: Field[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31, special: /^(L|\d{1,2}W|\?)$/ },
  { min: 1, max: 12, names: MONTHS },
  { min: 1, max: 7, names: DAYS, special: /^(L|\?|[1-7]L|[1-7]#[1-5])$/ },
  { min: 1970, max: 2199 },
];

function fieldValue(text: string, field: Field): number | undefined {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  const value = named >= 0 ? named + 1 : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  return value >= field.min && value <= field.max ? value : undefined;
}

/** One comma-separated element: `*`, `v`, `a-b`, or one of those with `/step`. */
function elementValid(element: string, field: Field): boolean {
  if (field.special?.test(element)) {
    const [day] = element.match(/^\d+/) ?? [];
    return day === undefined || fieldValue(day, field) !== undefined;
  }
  const [range, step, ...extra] = element.split('/');
  if (extra.length > 0 || range === undefined) return false;
  if (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1 && Number(step) <= field.max)) {
    return false;
  }
  if (range === '*') return true;
  const bounds = range.split('-');
  if (bounds.length > 2) return false;
  const values = bounds.map((b) => fieldValue(b, field));
  return (
    values.every((v) => v !== undefined) && (values.length === 1 || (values[0] ?? 0) <= (values[1] ?? 0))
  );
}

function fieldValid(text: string, field: Field): boolean {
  const elements = text.split(',');
  // `?` and `#` stand alone: "3#1,6#3" is two expressions, which EventBridge refuses.
  if (elements.length > 1 && elements.some((e) => e === '?' || e.includes('#'))) return false;
  return elements.every((e) => e.length > 0 && elementValid(e, field));
}

/** Parses a ScheduleExpression; throws ScheduleError when EventBridge would refuse it. */
export function parseSchedule(expression: string): Schedule {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] as string;
    const singular = !unit.endsWith('s');
    if (value < 1 || singular !== (value === 1)) throw new ScheduleError(expression);
    return { kind: 'rate', periodMs: value * UNIT_MS[unit.replace(/s$/, '') as keyof typeof UNIT_MS] };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  const fields = cron?.[1]?.trim().split(/\s+/) ?? [];
  if (fields.length !== FIELDS.length) throw new ScheduleError(expression);
  if (!fields.every((text, i) => fieldValid(text, FIELDS[i] as Field))) throw new ScheduleError(expression);
  // Exactly one of day-of-month and day-of-week is "?".
  if ((fields[2] === '?') === (fields[4] === '?')) throw new ScheduleError(expression);
  const normalized = fields.join(' ');
  if (awsCron.next(awsCron.parse(normalized), new Date(0)) === null) throw new ScheduleError(expression);
  return { kind: 'cron', fields: normalized };
}

/**
 * The first occurrence strictly after `after` (epoch ms of AWS time), or undefined when a cron schedule
 * has none left (its years are past). A rate schedule counts periods from `anchor` (the rule's creation).
 */
export function nextOccurrence(schedule: Schedule, anchor: number, after: number): number | undefined {
  if (schedule.kind === 'rate') {
    const periods = Math.floor((after - anchor) / schedule.periodMs) + 1;
    return anchor + Math.max(periods, 1) * schedule.periodMs;
  }
  // The library answers the first minute at or after `from`: start one second past `after`'s minute.
  const from = new Date(Math.floor(after / 60_000) * 60_000 + 1000);
  const next = awsCron.next(awsCron.parse(schedule.fields), from);
  return next ? next.getTime() : undefined;
}
