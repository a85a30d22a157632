/** `--since`: a duration back from now (`30s`, `10m`, `2h`, `1d`, `1w`) or an ISO-8601 time. */
import { UsageError } from '../errors.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Epoch ms the events start at; a UsageError (exit 2) naming the rule for anything else. */
export function parseSince(value: string, now = Date.now()): number {
  const relative = /^(\d+)([smhdw])$/.exec(value.trim());
  if (relative) return now - Number(relative[1]) * (UNIT_MS[relative[2] as string] as number);
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const at = Date.parse(value);
    if (Number.isFinite(at)) return at;
  }
  throw new UsageError(
    `Invalid --since "${value}": use a duration such as 30s, 10m, 2h, 1d or 1w, or an ISO-8601 time such as 2026-12-01T10:00:00Z.`,
  );
}
