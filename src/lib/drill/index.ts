/**
 * `drill region-outage`: impair one region's cluster through FIS (impair.ts), drive creates over both
 * regions meanwhile (load.ts), let the experiment end and the impaired function recover, prove nothing
 * was lost or doubled (prove.ts), and report (report.ts). With `--events`, the impaired region's
 * forwarding rule is disabled while the experiment runs (forwarding.ts). The experiment is stopped (and
 * the rule enabled) on every way out: an error, Ctrl-C or SIGTERM (then the process exits 130/143).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AwsClients } from '../aws-clients.js';
import { type FailureReport, failureReport, InconsistencyError, UsageError } from '../errors.js';
import type { Target } from '../target.js';
import { FunctionInvoker } from '../txn/invoke.js';
import { enableLeftoverRules, ForwardingOutage, type ForwardingReport } from './forwarding.js';
import {
  clusterArnIn,
  fisRoleArn,
  Impairment,
  type LiveExperiment,
  leftByKilledDrill,
  liveExperiments,
  stopCommand,
  stopLeftover,
} from './impair.js';
import { DrillLoad } from './load.js';
import type { DrillPlan } from './plan.js';
import { countIn, type Proof, prove } from './prove.js';
import { type Outage, type RegionStats, regionStats, type Verdict, verdictsOf } from './report.js';

/** Load before the experiment starts, so each region's baseline is in the charts. */
const BASELINE_MS = 1000;
/** After the experiment ends: how long to wait for the impaired region's first success. */
const RECOVERY_LIMIT_MS = 30_000;
/** Load kept after that first success, so the recovered second is in the charts. */
const TAIL_MS = 1000;
/** After Lambda's last retry of a failed delivery could have run: time for it and the check's reads. */
const EVENT_MARGIN_MS = 20_000;

/**
 * How long the events check may wait for an event: a delivery the impaired region's function failed
 * during the outage is retried by Lambda after its retry wait and again after twice that (one and two
 * minutes on AWS), so an event can arrive up to three waits after the outage, and is not lost.
 */
export function eventTimeoutMs(target: Pick<Target, 'lambdaAsyncRetryMs'>): number {
  return 3 * target.lambdaAsyncRetryMs + EVENT_MARGIN_MS;
}

export interface DrillReport {
  stack: string;
  impairedRegion: string;
  healthyRegion: string;
  durationMs: number;
  rate: number;
  /** Experiments a killed drill had left running, stopped before this one started. */
  stoppedLeftovers: LiveExperiment[];
  /** Forwarding rules a killed `--events` drill had left DISABLED, enabled before this one started. */
  enabledLeftoverRules: { name: string; region: string }[];
  /** `--events`: the forwarding rule's outage; null without it. */
  forwarding: ForwardingReport | null;
  outage: Outage;
  regions: RegionStats[];
  failovers: number;
  /** From the experiment's end to the first success in the impaired region (null: none). */
  recoveryMs: number | null;
  proof: Proof;
  verdicts: Verdict[];
  passed: boolean;
  /** Set when a verdict failed (exit 5): the report is the result either way. */
  error?: FailureReport;
}

/** A drill's tag value: who runs it, so the next drill can tell a killed one (dead pid here) from a live one. */
const drillId = () => `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;

/** Stops experiments of drills that died on this host; refuses to start beside one still running. */
async function clearLeftovers(clients: AwsClients, plan: DrillPlan): Promise<LiveExperiment[]> {
  const live = await liveExperiments(clients, plan.stack, [plan.region, plan.healthy]);
  const running = live.find((e) => !leftByKilledDrill(e));
  if (running) {
    throw new UsageError(
      `Another drill's experiment ${running.id} is ${running.status} on stack "${plan.stack}" in ${running.region}: one drill at a time.`,
      { advice: `Wait for it to end, or, if no drill is running any more, stop it: ${stopCommand(running)}` },
    );
  }
  await stopLeftover(clients, live);
  return live;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runDrill(
  target: Target,
  plan: DrillPlan,
  options: { onPhase?: (message: string) => void } = {},
): Promise<DrillReport> {
  const say = options.onPhase ?? (() => undefined);
  const clients = new AwsClients(target);
  const invoker = new FunctionInvoker(target, plan.stack);
  const impairment = new Impairment(clients, plan.stack, plan.region);
  const origin = performance.now();
  const since = () => performance.now() - origin;
  const forwarding = plan.events ? new ForwardingOutage(clients, plan.stack, plan.region, since) : undefined;
  // Ctrl-C or SIGTERM mid-drill: stop the experiment (and enable the rule) first, then leave with the signal's exit code.
  const onSignal = (signal: NodeJS.Signals) => {
    say(`${signal}: stopping the experiment before exiting`);
    void Promise.allSettled([impairment.end(), forwarding?.enable()]).finally(() =>
      process.exit(signal === 'SIGINT' ? 130 : 143),
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const stoppedLeftovers = await clearLeftovers(clients, plan);
    for (const e of stoppedLeftovers)
      say(`stopped experiment ${e.id} (${e.region}) a killed drill left ${e.status}`);
    const enabledLeftoverRules = await enableLeftoverRules(clients, plan.stack, [plan.region, plan.healthy]);
    for (const r of enabledLeftoverRules)
      say(`enabled forwarding rule ${r.name} (${r.region}) a killed drill --events left DISABLED`);
    const [clusterArn, roleArn] = await Promise.all([
      clusterArnIn(clients, plan.stack, plan.region),
      fisRoleArn(clients, plan.stack),
    ]);
    const regions = [plan.region, plan.healthy] as const;
    const countsBefore = Object.fromEntries(
      await Promise.all(regions.map(async (r) => [r, await countIn(invoker, r)] as const)),
    );

    const load = new DrillLoad(invoker, [plan.healthy, plan.region], plan.rate, origin);
    load.start();
    let outage: Outage;
    const ended = new AbortController();
    let enabling: Promise<void> = Promise.resolve();
    try {
      await sleep(BASELINE_MS);
      const startSentMs = since();
      await impairment.start(clusterArn, roleArn, plan.durationMs, drillId());
      say(`experiment ${impairment.experimentId} started on ${plan.region}'s cluster`);
      const running = await impairment.waitFor(['running']);
      if (running.status !== 'running') {
        throw new UsageError(
          `The FIS experiment did not run: it is ${running.status}${running.reason ? ` (${running.reason})` : ''}.`,
        );
      }
      const startMs = since();
      say(`${plan.region} impaired for ${plan.durationMs / 1000} s`);
      if (forwarding) {
        // Only now: the impaired region commits nothing while the experiment runs, so puts no event to lose.
        await forwarding.disable();
        say(`forwarding rule ${forwarding.rule} in ${plan.region} disabled`);
        enabling = forwarding.enableBeforeEnd(startSentMs, plan.durationMs, ended.signal);
        // Awaited below (or in finally); a failure meanwhile must not count as unhandled.
        enabling.catch(() => undefined);
      }
      const final = await impairment.waitFor(['completed', 'stopped', 'failed']);
      const endMs = since();
      ended.abort();
      await enabling;
      if (forwarding) say(`forwarding rule ${forwarding.rule} in ${plan.region} enabled again`);
      outage = { experimentId: impairment.experimentId ?? '', finalStatus: final.status, startMs, endMs };
      say(`experiment ${final.status}; waiting for ${plan.region} to recover`);
      const deadline = performance.now() + RECOVERY_LIMIT_MS;
      while (!load.firstSuccessIn(plan.region, endMs) && performance.now() < deadline) await sleep(100);
      await sleep(TAIL_MS);
    } finally {
      ended.abort();
      await load.stop();
      // The rule first, then the experiment: each is undone even when the other fails.
      try {
        await enabling.catch(() => undefined);
        await forwarding?.enable();
      } finally {
        await impairment.end();
      }
    }
    const seconds = Math.ceil(since() / 1000);
    const eventWaitMs = eventTimeoutMs(target);
    say(
      `proving: reading every create back through both regions, then waiting up to ${Math.ceil(eventWaitMs / 1000)} s for their events (Lambda retries a failed delivery twice)`,
    );
    const proof = await prove(invoker, regions, {
      acknowledged: load.acknowledged,
      attempted: load.attempted,
      countsBefore,
      eventTimeoutMs: eventWaitMs,
      ...(forwarding ? { putWhileRuleDisabled: (a) => forwarding.putWhileDisabled(a) } : {}),
    });
    const forwardingReport = forwarding ? await forwarding.report(load.acknowledged) : null;
    const impaired = regionStats(load.samples, plan.region, 'impaired', outage, seconds);
    const healthy = regionStats(load.samples, plan.healthy, 'healthy', outage, seconds);
    const recovered = load.firstSuccessIn(plan.region, outage.endMs);
    const recoveryMs = recovered ? recovered.doneAt - outage.endMs : null;
    const verdicts = verdictsOf(proof, healthy, recoveryMs, forwardingReport);
    const failed = verdicts.filter((v) => !v.passed);
    return {
      stack: plan.stack,
      impairedRegion: plan.region,
      healthyRegion: plan.healthy,
      durationMs: plan.durationMs,
      rate: plan.rate,
      stoppedLeftovers,
      enabledLeftoverRules,
      forwarding: forwardingReport,
      outage,
      regions: [impaired, healthy],
      failovers: load.failovers,
      recoveryMs,
      proof,
      verdicts,
      passed: failed.length === 0,
      ...(failed.length > 0
        ? {
            error: failureReport(
              new InconsistencyError(
                `Drill failed for stack "${plan.stack}": ${failed.map((v) => `${v.check}: ${v.detail}`).join('; ')}`,
              ),
            ),
          }
        : {}),
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    impairment.close();
    invoker.close();
    clients.destroy();
  }
}
