/**
 * The one JSON document every command prints with `--json` (README: "JSON output"). Versioned: a
 * change of any key, an added one included, bumps SCHEMA_VERSION (the shapes test in
 * test/exercise/stack.e2e.test.ts fails otherwise). 1 is the first version any release carries: the
 * shapes changed while the envelope was built, before anything shipped with it.
 */
import type { FailureReport } from './errors.js';

export const SCHEMA_VERSION = 1;

export interface Envelope {
  schemaVersion: number;
  command: string;
  status: 'ok' | 'failed';
  exitCode: number;
  target: 'aws' | 'local';
  result: Record<string, unknown>;
  warnings: string[];
  error?: FailureReport;
}

export function envelope(parts: {
  command: string;
  target: 'aws' | 'local';
  exitCode: number;
  result?: unknown;
  warnings: string[];
  error?: FailureReport;
}): Envelope {
  return {
    schemaVersion: SCHEMA_VERSION,
    command: parts.command,
    status: parts.exitCode === 0 ? 'ok' : 'failed',
    exitCode: parts.exitCode,
    target: parts.target,
    result: (roundNumbers(parts.result ?? {}) ?? {}) as Record<string, unknown>,
    warnings: parts.warnings,
    ...(parts.error ? { error: parts.error } : {}),
  };
}

/**
 * The numbers rule, applied to every result in one place: a duration is milliseconds under a key
 * ending in `Ms` and an integer; the numbers inside an object under such a key (latency percentiles)
 * keep 0.1 ms; any other fraction (a rate) keeps one decimal.
 */
function roundNumbers(value: unknown, key = ''): unknown {
  if (typeof value === 'number') {
    if (Number.isInteger(value) || !Number.isFinite(value)) return value;
    if (key.endsWith('Ms')) return Math.round(value);
    return Math.round(value * 10) / 10;
  }
  if (Array.isArray(value)) return value.map((v) => roundNumbers(v));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    const isDurationGroup = key.endsWith('Ms');
    for (const [k, v] of Object.entries(value)) {
      // Inside `latencyMs: {p50…}` the keys are percentiles of a duration: 0.1 ms, not integers.
      out[k] = isDurationGroup && typeof v === 'number' ? Math.round(v * 10) / 10 : roundNumbers(v, k);
    }
    return out;
  }
  return value;
}
