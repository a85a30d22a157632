/**
 * Impairing a region through AWS Fault Injection Service, the same calls on both targets: a template
 * with `aws:dsql:cluster-connection-failure` on the region's cluster (`percentage` 100, `duration`),
 * run with the stack's FIS role (`<stack>-fis`, owned by `up`); template and experiment are tagged
 * `dsqlctl:stack=<stack>` (and `dsqlctl:drill`), so a later drill finds one a killed drill left running.
 */

import { hostname } from 'node:os';
import {
  CreateExperimentTemplateCommand,
  DeleteExperimentTemplateCommand,
  FisClient,
  type FisClientConfig,
  GetExperimentCommand,
  ListExperimentsCommand,
  StartExperimentCommand,
  StopExperimentCommand,
} from '@aws-sdk/client-fis';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { suggest } from '../advice.js';
import type { AwsClients } from '../aws-clients.js';
import { isAwsError, UsageError } from '../errors.js';
import { STACK_TAG, stackNames } from '../stack.js';

export const FIS_ACTION = 'aws:dsql:cluster-connection-failure';
export const DRILL_TAG = 'dsqlctl:drill';
/** States in which an experiment may still impair (or is about to). */
const LIVE_STATES = new Set(['pending', 'initiating', 'running']);
const POLL_MS = 200;

export interface LiveExperiment {
  id: string;
  region: string;
  status: string;
  /** The drill that started it: `<host>/<pid>/<run>`. */
  drill: string;
}

export function fisClient(clients: AwsClients, region: string): FisClient {
  // The registry's @aws-sdk/client-fis (3.523.0) is older than the other clients: the shared config is
  // structurally the same (credentials, endpoint, region, retry mode and attempts), but not its retry
  // strategy object (DSQLCTL_RETRY_BASE_DELAY_MS's, from the newer @smithy/core): the old retry middleware
  // fails on it with a TypeError at the first throttled call. This client keeps the SDK's own strategy.
  const { retryStrategy: _newerStrategy, ...config } = clients.target.clientConfig(region) as FisClientConfig;
  return new FisClient(config);
}

/** ISO-8601 for FIS's `duration` parameter: whole seconds (PT90S). */
export const isoSeconds = (ms: number) => `PT${Math.max(1, Math.round(ms / 1000))}S`;

/** The stack's cluster in `region`, found by its ownership tag. */
export async function clusterArnIn(clients: AwsClients, stack: string, region: string): Promise<string> {
  const page = await clients.tagging(region).send(
    new GetResourcesCommand({
      TagFilters: [{ Key: STACK_TAG, Values: [stack] }],
      ResourceTypeFilters: ['dsql:cluster'],
    }),
  );
  const arn = page.ResourceTagMappingList?.[0]?.ResourceARN;
  if (!arn) {
    throw new UsageError(`Stack "${stack}" has no cluster in ${region}.`, {
      advice: `Repair the stack first: ${suggest(`up --stack ${stack}`)}`,
    });
  }
  return arn;
}

/** The FIS role `up` owns; a stack deployed before drills existed needs `up` again. */
export async function fisRoleArn(clients: AwsClients, stack: string): Promise<string> {
  const { GetRoleCommand } = await import('@aws-sdk/client-iam');
  const name = stackNames(stack).fisRole;
  try {
    const { Role } = await clients.iam().send(new GetRoleCommand({ RoleName: name }));
    if (Role?.Arn) return Role.Arn;
  } catch (error) {
    if (!isAwsError(error, 'NoSuchEntityException', 'NoSuchEntity')) throw error;
  }
  throw new UsageError(`Stack "${stack}" has no FIS role ${name}.`, {
    advice: `Run ${suggest(`up --stack ${stack}`)} once: it creates the role drills run with.`,
  });
}

/** Drill experiments of the stack that may still impair, in the given regions. */
export async function liveExperiments(
  clients: AwsClients,
  stack: string,
  regions: string[],
): Promise<LiveExperiment[]> {
  const found: LiveExperiment[] = [];
  for (const region of regions) {
    const fis = fisClient(clients, region);
    try {
      let nextToken: string | undefined;
      do {
        const page = await fis.send(
          new ListExperimentsCommand({ maxResults: 100, ...(nextToken ? { nextToken } : {}) }),
        );
        for (const e of page.experiments ?? []) {
          const status = e.state?.status ?? '';
          if (e.id && e.tags?.[STACK_TAG] === stack && e.tags?.[DRILL_TAG] && LIVE_STATES.has(status)) {
            found.push({ id: e.id, region, status, drill: e.tags[DRILL_TAG] });
          }
        }
        nextToken = page.nextToken;
      } while (nextToken);
    } finally {
      fis.destroy();
    }
  }
  return found;
}

/** One drill's experiment: started, observed, stopped, and its template removed. */
export class Impairment {
  readonly #fis: FisClient;
  #templateId?: string;
  #experimentId?: string;

  constructor(
    clients: AwsClients,
    readonly stack: string,
    readonly region: string,
  ) {
    this.#fis = fisClient(clients, region);
  }

  get experimentId(): string | undefined {
    return this.#experimentId;
  }

  async start(clusterArn: string, roleArn: string, durationMs: number, drillId: string): Promise<void> {
    const tags = { [STACK_TAG]: this.stack, [DRILL_TAG]: drillId };
    const { experimentTemplate } = await this.#fis.send(
      new CreateExperimentTemplateCommand({
        description: `dsqlctl drill region-outage: ${this.region} of stack ${this.stack}`,
        roleArn,
        stopConditions: [{ source: 'none' }],
        targets: {
          Cluster: { resourceType: 'aws:dsql:cluster', resourceArns: [clusterArn], selectionMode: 'ALL' },
        },
        actions: {
          ConnectionFailure: {
            actionId: FIS_ACTION,
            parameters: { duration: isoSeconds(durationMs), percentage: '100' },
            targets: { Clusters: 'Cluster' },
          },
        },
        tags,
      }),
    );
    this.#templateId = experimentTemplate?.id;
    const { experiment } = await this.#fis.send(
      new StartExperimentCommand({ experimentTemplateId: this.#templateId, tags }),
    );
    this.#experimentId = experiment?.id;
  }

  async status(): Promise<{ status: string; reason?: string }> {
    const { experiment } = await this.#fis.send(new GetExperimentCommand({ id: this.#experimentId }));
    return {
      status: experiment?.state?.status ?? 'unknown',
      ...(experiment?.state?.reason ? { reason: experiment.state.reason } : {}),
    };
  }

  /** Polls until the experiment is in one of `states` (or has ended), returning the state seen. */
  async waitFor(states: string[], signal?: AbortSignal): Promise<{ status: string; reason?: string }> {
    for (;;) {
      const state = await this.status();
      if (states.includes(state.status) || ['completed', 'stopped', 'failed'].includes(state.status))
        return state;
      if (signal?.aborted) return state;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Stops the experiment if it may still impair, then removes the template. Never throws for "already gone". */
  async end(): Promise<void> {
    if (this.#experimentId) {
      const { status } = await this.status().catch(() => ({ status: 'unknown' }));
      if (LIVE_STATES.has(status)) await stopExperiment(this.#fis, this.#experimentId);
    }
    if (this.#templateId) {
      await this.#fis.send(new DeleteExperimentTemplateCommand({ id: this.#templateId })).catch((error) => {
        if (!isAwsError(error, 'ResourceNotFoundException')) throw error;
      });
      this.#templateId = undefined;
    }
  }

  close(): void {
    this.#fis.destroy();
  }
}

async function stopExperiment(fis: FisClient, id: string): Promise<void> {
  await fis.send(new StopExperimentCommand({ id })).catch((error) => {
    if (!isAwsError(error, 'ResourceNotFoundException')) throw error;
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when the drill that started `e` is known dead: its tag names this host and a pid that no longer
 * runs. A drill on another host (or a tag of another form) cannot be told from a live one.
 */
export function leftByKilledDrill(e: LiveExperiment): boolean {
  const [host, pid] = e.drill.split('/');
  return host === hostname() && pid !== undefined && /^\d+$/.test(pid) && !isAlive(Number(pid));
}

/** How to stop an experiment by hand (a drill still running, or one on another host). */
export const stopCommand = (e: LiveExperiment) => `aws fis stop-experiment --id ${e.id} --region ${e.region}`;

/** Stops experiments a killed drill left running (the next drill's, `status`'s and `down`'s cleanup). */
export async function stopLeftover(clients: AwsClients, experiments: LiveExperiment[]): Promise<void> {
  for (const e of experiments) {
    const fis = fisClient(clients, e.region);
    try {
      await stopExperiment(fis, e.id);
    } finally {
      fis.destroy();
    }
  }
}
