/** The drill's numbers from its samples and proof, its verdicts, and its terminal rendering. */
import { percentile } from '../stats.js';
import type { ForwardingReport } from './forwarding.js';
import type { Sample } from './load.js';
import type { Proof } from './prove.js';

/** The healthy region must answer at least this share of its requests during the outage. */
export const HEALTHY_AVAILABILITY_MIN = 0.99;

export interface SecondStats {
  /** Seconds since the drill started. */
  second: number;
  requests: number;
  successes: number;
  /** Of successful requests; null in a second without one. */
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface RegionStats {
  region: string;
  role: 'impaired' | 'healthy';
  requests: number;
  successes: number;
  failures: number;
  latencyMs: { p50: number; p99: number };
  /** Successes / requests answered while the experiment was running (null: none then). */
  availabilityDuringOutage: number | null;
  perSecond: SecondStats[];
}

export interface Verdict {
  check: 'lost' | 'duplicated' | 'counts' | 'healthy-availability' | 'recovery' | 'events' | 'forwarding';
  passed: boolean;
  detail: string;
}

export interface Outage {
  experimentId: string;
  finalStatus: string;
  /** ms since the drill started. */
  startMs: number;
  endMs: number;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Each second's requests (counted when answered), successes and p50/p99 of the successes' latency. */
export function perSecondStats(
  samples: readonly Pick<Sample, 'doneAt' | 'ok' | 'latencyMs'>[],
  seconds: number,
): SecondStats[] {
  const bySecond = Array.from({ length: seconds }, () => ({ requests: 0, latencies: [] as number[] }));
  for (const s of samples) {
    const bucket = bySecond[Math.floor(s.doneAt / 1000)];
    if (!bucket) continue;
    bucket.requests++;
    if (s.ok) bucket.latencies.push(s.latencyMs);
  }
  return bySecond.map(({ requests, latencies }, second) => ({
    second,
    requests,
    successes: latencies.length,
    p50Ms: latencies.length ? round(percentile(latencies, 50)) : null,
    p99Ms: latencies.length ? round(percentile(latencies, 99)) : null,
  }));
}

export function regionStats(
  samples: Sample[],
  region: string,
  role: RegionStats['role'],
  outage: Outage,
  seconds: number,
): RegionStats {
  const mine = samples.filter((s) => s.region === region);
  const ok = mine.filter((s) => s.ok).map((s) => s.latencyMs);
  const during = mine.filter((s) => s.doneAt >= outage.startMs && s.doneAt < outage.endMs);
  return {
    region,
    role,
    requests: mine.length,
    successes: ok.length,
    failures: mine.length - ok.length,
    latencyMs: { p50: round(percentile(ok, 50)), p99: round(percentile(ok, 99)) },
    availabilityDuringOutage: during.length ? during.filter((s) => s.ok).length / during.length : null,
    perSecond: perSecondStats(mine, seconds),
  };
}

/** Why an event put while the forwarding rule was disabled is not recovered (the same on AWS). */
const DROPPED =
  'a disabled rule matches nothing, and PutEvents accepted them, so the outbox counts them published: neither its sweep nor EventBridge retries send them again (the same on AWS)';

function forwardingVerdict(f: ForwardingReport, proof: Proof): Verdict {
  const window = `${f.rule} in ${f.region} disabled at ${(f.disabledMs / 1000).toFixed(1)} s, ${f.enabledMs === null ? 'never enabled again' : `enabled again at ${(f.enabledMs / 1000).toFixed(1)} s`}, ${f.stateAfter} now`;
  const put =
    f.putWhileDisabled === 0
      ? `no create was acknowledged by ${f.region} meanwhile (the outage refused them), so no event was put to be dropped`
      : `${f.putWhileDisabled} create(s) acknowledged by ${f.region} meanwhile, ${proof.events.missingWhileRuleDisabled} of their events lost: ${DROPPED}`;
  return {
    check: 'forwarding',
    passed: f.stateAfter === 'ENABLED' && proof.events.missingWhileRuleDisabled === 0,
    detail: `${window}; ${put}`,
  };
}

export function verdictsOf(
  proof: Proof,
  healthy: RegionStats,
  recoveryMs: number | null,
  forwarding: ForwardingReport | null,
): Verdict[] {
  const availability = healthy.availabilityDuringOutage;
  const dropped = proof.events.missingWhileRuleDisabled;
  return [
    {
      check: 'lost',
      passed: proof.lostCount === 0,
      detail:
        proof.lostCount === 0
          ? `all ${proof.acknowledged} acknowledged creates found in every region`
          : `${proof.lostCount} acknowledged create(s) missing: ${proof.lost.join(', ')}`,
    },
    {
      check: 'duplicated',
      passed: proof.duplicated === 0,
      detail:
        proof.duplicated === 0
          ? 'no row written twice'
          : `${proof.duplicated} row(s) more than the creates sent`,
    },
    {
      check: 'counts',
      passed: proof.countsAgree,
      detail: Object.entries(proof.counts)
        .map(([r, n]) => `${r} ${n}`)
        .join(', '),
    },
    {
      check: 'healthy-availability',
      passed: availability !== null && availability >= HEALTHY_AVAILABILITY_MIN,
      detail: `${healthy.region} answered ${availability === null ? 'no requests' : `${(availability * 100).toFixed(1)} %`} during the outage (needs ≥ ${HEALTHY_AVAILABILITY_MIN * 100} %)`,
    },
    {
      check: 'recovery',
      passed: recoveryMs !== null,
      detail:
        recoveryMs === null
          ? 'the impaired region never answered after the outage'
          : `first success ${Math.round(recoveryMs)} ms after the experiment ended`,
    },
    {
      check: 'events',
      passed: proof.events.delivered === proof.events.expected,
      detail: `${proof.events.delivered} of ${proof.events.expected} events reached the other region (waited ${proof.events.waitedMs} ms)${dropped > 0 ? `; ${dropped} of the missing were put while the forwarding rule was disabled` : ''}`,
    },
    ...(forwarding ? [forwardingVerdict(forwarding, proof)] : []),
  ];
}

const BARS = '▁▂▃▄▅▆▇█';

/** One character per second: the share of requests answered; `·` for a second without requests. */
export function sparkline(stats: RegionStats): string {
  return stats.perSecond
    .map((s) =>
      s.requests === 0 ? '·' : (BARS[Math.round((s.successes / s.requests) * (BARS.length - 1))] ?? '?'),
    )
    .join('');
}
