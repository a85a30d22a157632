/**
 * FIS experiments as stored, and their state at a given time. Transitions are timestamps, so nothing
 * has to settle them: an experiment is `initiating` until `runningAt`, `running` until `endsAt` (its
 * action's duration in wall-clock time, NOT scaled by the time scale: a drill's outage lasts as long
 * as the operator asked), then `completed`; StopExperiment makes it `stopping` until `stoppedAt`, then
 * `stopped`; an experiment whose role may not inject the fault is `failed` at once (as AWS fails it).
 */
export const DSQL_CONNECTION_FAILURE = 'aws:dsql:cluster-connection-failure';
export const DSQL_CLUSTER_TARGET = 'aws:dsql:cluster';

export type ExperimentStatus =
  | 'pending'
  | 'initiating'
  | 'running'
  | 'completed'
  | 'stopping'
  | 'stopped'
  | 'failed';

export interface TargetRecord {
  resourceType: string;
  resourceArns: string[];
  selectionMode: string;
}

export interface ActionRecord {
  actionId: string;
  description?: string;
  parameters: Record<string, string>;
  targets: Record<string, string>;
  startAfter: string[];
}

/** What a template holds and every experiment started from it copies. */
interface ExperimentDefinition {
  id: string;
  arn: string;
  region: string;
  roleArn: string;
  targets: Record<string, TargetRecord>;
  actions: Record<string, ActionRecord>;
  stopConditions: { source: string; value?: string }[];
  tags: Record<string, string>;
  creationTime: number;
}

export interface TemplateRecord extends ExperimentDefinition {
  description: string;
  lastUpdateTime: number;
}

export interface ExperimentRecord extends ExperimentDefinition {
  experimentTemplateId: string;
  runningAt: number;
  endsAt: number;
  /** The share of connections refused (the action's `percentage`, 1–100). */
  percentage: number;
  stopRequestedAt?: number;
  stoppedAt?: number;
  failedReason?: string;
}

export interface FisState {
  templates: Record<string, TemplateRecord>;
  experiments: Record<string, ExperimentRecord>;
  /** `<region> <clientToken>` → experiment or template id, for idempotent retries. */
  clientTokens: Record<string, string>;
}

export const initFis = (): FisState => ({ templates: {}, experiments: {}, clientTokens: {} });

export function statusAt(e: ExperimentRecord, now: number): { status: ExperimentStatus; reason: string } {
  if (e.failedReason) return { status: 'failed', reason: e.failedReason };
  if (e.stopRequestedAt !== undefined) {
    return (e.stoppedAt ?? 0) > now
      ? { status: 'stopping', reason: 'Stopping the experiment.' }
      : { status: 'stopped', reason: 'Experiment stopped.' };
  }
  if (now < e.runningAt) return { status: 'initiating', reason: 'Experiment is initiating.' };
  if (now < e.endsAt) return { status: 'running', reason: 'Experiment is running.' };
  return { status: 'completed', reason: 'Experiment completed.' };
}

/** When the experiment ended (completed, stopped or failed), or undefined while it is still going. */
export function endTimeAt(e: ExperimentRecord, now: number): number | undefined {
  const { status } = statusAt(e, now);
  if (status === 'completed') return e.endsAt;
  if (status === 'stopped') return e.stoppedAt;
  if (status === 'failed') return e.creationTime;
  return undefined;
}

/**
 * The share (0–100) of connections to `clusterArn` a running experiment refuses now; 0 when none does.
 * Only the `running` state impairs: while `stopping`, FIS has already stopped injecting.
 */
export function impairmentOf(state: FisState, clusterArn: string, now: number): number {
  let percentage = 0;
  for (const e of Object.values(state.experiments)) {
    if (statusAt(e, now).status !== 'running') continue;
    const hit = Object.values(e.actions).some(
      (a) =>
        a.actionId === DSQL_CONNECTION_FAILURE &&
        Object.values(a.targets).some((t) => e.targets[t]?.resourceArns.includes(clusterArn)),
    );
    if (hit) percentage = Math.max(percentage, e.percentage);
  }
  return percentage;
}

/** `PT1M`, `PT30S`, `PT1H30M`, `PT0.5S` → milliseconds; undefined when it is not an ISO-8601 duration of time. */
export function isoDurationMs(text: string): number | undefined {
  const match = /^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(text);
  if (!match || text === 'PT') return undefined;
  const [, h = '0', m = '0', s = '0'] = match;
  return Math.round((Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000);
}
