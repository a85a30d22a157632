/**
 * What a drill killed mid-way (SIGKILL: no handler runs) leaves on a stack, as `status` and `down` find
 * it: an experiment still impairing a cluster, its experiment template, and, after `--events`, the
 * impaired region's forwarding rule still DISABLED. `status` and `down` stop an experiment whose drill
 * is known dead (a live drill's is reported by status, and refused by down); `down` deletes the
 * templates. The rule is `up`'s to converge (its State drifts from ENABLED); both report it.
 */
import { DeleteExperimentTemplateCommand, GetExperimentCommand } from '@aws-sdk/client-fis';
import type { AwsClients } from '../aws-clients.js';
import { isAwsError, UsageError } from '../errors.js';
import type { Topology } from '../stack.js';
import {
  fisClient,
  type LiveExperiment,
  leftByKilledDrill,
  liveExperiments,
  stopCommand,
  stopLeftover,
} from './impair.js';

export interface DrillExperiment extends LiveExperiment {
  /** Stopped by this command (its drill is known dead). */
  stopped: boolean;
  /** When not stopped: how to stop it by hand. */
  command?: string;
}

export interface DrillLeftovers {
  /** The stack's drill experiments that were still running (or about to) when the command looked. */
  experiments: DrillExperiment[];
  /** The drill's experiment templates found (a drill deletes its own; a killed one's stays). */
  templates: { id: string; region: string; deleted: boolean }[];
  /** Forwarding rules found DISABLED (a killed `drill region-outage --events`): `up` enables them. */
  disabledForwardRules: { name: string; region: string }[];
}

/** Drills run on peered stacks only: a one-region stack has nothing of theirs to look for (and no FIS permission). */
const drillable = (topology: Topology) => topology.regions.length === 2;

/** How long a command waits for a stopped experiment to leave `stopping` (it may still impair on AWS). */
const STOPPED_WAIT_MS = 60_000;
const POLL_MS = 200;

/**
 * The stack's live drill experiments, those of drills known dead stopped (and waited for, bounded), so
 * the command can then reach the clusters. `down` refuses (exit 2, nothing changed) beside a drill that
 * may still run: deleting its stack under it would be wrong, and its impaired cluster unreachable.
 * Run before observing the stack: observing reads the database through a cluster the experiment impairs.
 */
export async function stopKilledDrills(
  clients: AwsClients,
  stack: string,
  topology: Topology,
  mode: 'status' | 'down',
): Promise<DrillExperiment[]> {
  if (!drillable(topology)) return [];
  const live = await liveExperiments(clients, stack, topology.regions);
  const running = live.find((e) => !leftByKilledDrill(e));
  if (mode === 'down' && running) {
    throw new UsageError(
      `A drill's experiment ${running.id} is ${running.status} on stack "${stack}" in ${running.region} (drill ${running.drill}, still running or on another host): not deleting the stack under it.`,
      {
        advice: `Wait for the drill to end, or, if it is not running any more, stop it: ${stopCommand(running)}`,
      },
    );
  }
  const killed = live.filter(leftByKilledDrill);
  await stopLeftover(clients, killed);
  await waitUntilStopped(clients, killed);
  return live.map((e) =>
    killed.includes(e) ? { ...e, stopped: true } : { ...e, stopped: false, command: stopCommand(e) },
  );
}

async function waitUntilStopped(clients: AwsClients, experiments: readonly LiveExperiment[]): Promise<void> {
  const deadline = performance.now() + STOPPED_WAIT_MS;
  for (const e of experiments) {
    const fis = fisClient(clients, e.region);
    try {
      while (performance.now() < deadline) {
        const { experiment } = await fis.send(new GetExperimentCommand({ id: e.id }));
        if (!['pending', 'initiating', 'running', 'stopping'].includes(experiment?.state?.status ?? ''))
          break;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } finally {
      fis.destroy();
    }
  }
}

/** The drills' experiment templates among the stack's tagged resources (`discover` found them). */
export function drillTemplates(
  tagged: readonly { arn: string; region: string; type: string }[],
): { id: string; region: string }[] {
  return tagged
    .filter((t) => t.type === 'fis:experiment-template')
    .map((t) => ({ id: t.arn.slice(t.arn.lastIndexOf('/') + 1), region: t.region }));
}

export async function deleteTemplates(
  clients: AwsClients,
  templates: { id: string; region: string }[],
): Promise<void> {
  for (const t of templates) {
    const fis = fisClient(clients, t.region);
    try {
      await fis.send(new DeleteExperimentTemplateCommand({ id: t.id })).catch((error) => {
        if (!isAwsError(error, 'ResourceNotFoundException')) throw error;
      });
    } finally {
      fis.destroy();
    }
  }
}
