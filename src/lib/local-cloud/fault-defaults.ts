/** The local cloud's fault defaults: no schema library, so the CLI can read them at start-up for free. */
import type { FaultConfig } from './fault-config.js';

const DEFAULT_TIME_SCALE = 0.01;

/** Real-AWS-ish durations (seconds) of the transitions the local cloud simulates. */
export const DEFAULT_DURATIONS: Readonly<Record<string, number>> = {
  'dsql:CreateCluster': 60,
  'dsql:UpdateCluster': 30,
  'dsql:DeleteCluster': 30,
  'dsql:IndexBuild': 10,
  'lambda:CreateFunction': 5,
  'lambda:Update': 5,
  'lambda:AsyncRetry': 60,
  'iam:Propagation': 0,
  'events:RetryBackoff': 1,
  // Before an experiment's action runs, and until a stop has rolled it back (scaled; the action's
  // own duration is wall-clock time: services/fis/experiment.ts).
  'fis:StartExperiment': 5,
  'fis:StopExperiment': 5,
};

/** The signing names the local cloud serves (services/index.ts; a test keeps the two lists equal). */
export const FAULT_SERVICES = ['dsql', 'iam', 'sts', 'events', 'lambda', 'logs', 'tagging', 'fis'] as const;

/** Real seconds per AWS second under `faults`. */
export function timeScaleOf(faults: FaultConfig): number {
  return faults.timeScale ?? DEFAULT_TIME_SCALE;
}

/** Real milliseconds a transition takes under `faults`: its AWS-time duration × the time scale. */
export function scaledDurationMs(faults: FaultConfig, key: string): number {
  const seconds =
    faults.durations?.[key as keyof NonNullable<FaultConfig['durations']>] ?? DEFAULT_DURATIONS[key] ?? 0;
  return seconds * 1000 * timeScaleOf(faults);
}
