/** Durations on the command line: `30s`, `500ms`, `2m`, or a bare number of seconds. */
import { UsageError } from '../errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const ms = match ? Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1000) : Number.NaN;
  if (!(ms > 0) || ms > 3_600_000) {
    throw new UsageError(`Invalid ${flag} "${text}": use a duration up to 1 hour such as 30s, 500ms or 2m.`);
  }
  return ms;
}
