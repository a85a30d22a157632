/** Durations on the command line: `30s`, `500ms`, `2m`, or a bare number of seconds. */

import { UsageError } from '../errors.js';
import { echoInput } from '../input-echo.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
const RESOLUTION_MS = 1;

export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const ms = match ? Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1000) : Number.NaN;
  if (!(ms > 0) || ms > 3_600_000) {
    throw new UsageError(
      `Invalid ${flag} ${echoInput(text)}: use a duration up to 1 hour such as 30s, 500ms or 2m.`,
    );
  }
  // A wait is timed in whole milliseconds: anything shorter would be a verdict on no wait at all.
  if (ms < RESOLUTION_MS) {
    throw new UsageError(
      `Invalid ${flag} ${echoInput(text)}: below the ${RESOLUTION_MS} ms resolution of the wait.`,
    );
  }
  return ms;
}
