/**
 * The drill's inputs, checked before anything is impaired: the region must be a DSQL region of the
 * stack, the stack must have two peered regions (one keeps taking writes while the other is out), the
 * duration 1 s – 1 h, the rate 1–200 creates/s. Every refusal is a UsageError (exit 2).
 */
import { UsageError } from '../errors.js';
import { isDsqlRegion } from '../regions.js';
import { requireStackTopology } from '../stack-topology.js';
import type { Target } from '../target.js';

export const DRILL_LIMITS = { maxDurationMs: 3600_000, maxRate: 200 } as const;

export interface DrillPlan {
  stack: string;
  /** The region whose cluster is impaired. */
  region: string;
  /** The region that must keep taking writes. */
  healthy: string;
  durationMs: number;
  rate: number;
  /** `--events`: the impaired region's forwarding rule is disabled during the outage too (forwarding.ts). */
  events: boolean;
}

/** `60s`, `2m`, `1h`, `90` (seconds), `1m30s` → milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const plain = /^\d+(\.\d+)?$/.test(trimmed) ? `${trimmed}s` : trimmed;
  const parts = [...plain.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== plain) {
    throw new UsageError(
      `--duration "${text}" is not a duration: use seconds or units, e.g. 60s, 2m, 1m30s.`,
    );
  }
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000 };
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * (unit[p[2] ?? 's'] ?? 1000), 0);
  if (ms < 1000) throw new UsageError(`--duration must be at least 1s (got ${text}).`);
  if (ms > DRILL_LIMITS.maxDurationMs) throw new UsageError(`--duration must be at most 1h (got ${text}).`);
  return Math.round(ms);
}

export function parseRate(rate: number): number {
  if (!Number.isInteger(rate) || rate < 1 || rate > DRILL_LIMITS.maxRate) {
    throw new UsageError(
      `--rate must be a whole number of creates per second from 1 to ${DRILL_LIMITS.maxRate} (got ${rate}).`,
    );
  }
  return rate;
}

export async function planDrill(
  target: Target,
  input: { stack: string; region: string; duration: string; rate: number; events: boolean },
): Promise<DrillPlan> {
  const durationMs = parseDuration(input.duration);
  const rate = parseRate(input.rate);
  if (!isDsqlRegion(input.region)) {
    throw new UsageError(`--region ${input.region} is not a region where Aurora DSQL runs.`);
  }
  const { regions } = await requireStackTopology(target, input.stack);
  if (regions.length < 2) {
    throw new UsageError(
      `Stack "${input.stack}" has one region (${regions.join(', ')}): a region-outage drill needs two peered regions, one to impair and one that keeps taking writes.`,
      { advice: 'Deploy the stack in two regions with a witness: up --regions A,B --witness W.' },
    );
  }
  if (!regions.includes(input.region)) {
    throw new UsageError(
      `Stack "${input.stack}" is not deployed in ${input.region}; its regions are ${regions.join(', ')}.`,
    );
  }
  const healthy = regions.find((r) => r !== input.region) as string;
  return { stack: input.stack, region: input.region, healthy, durationMs, rate, events: input.events };
}
