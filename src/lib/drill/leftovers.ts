/**
 * What a drill killed mid-way (SIGKILL: no handler runs) leaves on a stack, as `status` and `down` find
 * it: an experiment still impairing a cluster, its experiment template, and, after `--events`, the
 * impaired region's forwarding rule still DISABLED. `status` stops an experiment whose drill is known
 * dead (a live drill's is only reported); `down` stops every one (the stack is going) and deletes the
 * templates. The rule is `up`'s to converge (its State drifts from ENABLED); both report it.
 */
import { DeleteExperimentTemplateCommand } from '@aws-sdk/client-fis';
import type { AwsClients } from '../aws-clients.js';
import { isAwsError } from '../errors.js';
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
  /** Stopped by this command (status: its drill is known dead; down: always). */
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

/** `arn:aws:fis:<region>:<account>:experiment-template/<id>` of the tagged resources `discover` found. */
function templatesOf(tagged: readonly { arn: string; region: string; type: string }[]) {
  return tagged
    .filter((t) => t.type === 'fis:experiment-template')
    .map((t) => ({ id: t.arn.slice(t.arn.lastIndexOf('/') + 1), region: t.region }));
}

/**
 * Finds the stack's drill leftovers; `mode` says what is done about them: `status` stops the
 * experiments of drills known dead, `down` stops every experiment and deletes the templates.
 */
export async function handleDrillLeftovers(
  clients: AwsClients,
  stack: string,
  topology: Topology,
  found: {
    tagged: readonly { arn: string; region: string; type: string }[];
    disabledForwardRules: DrillLeftovers['disabledForwardRules'];
  },
  mode: 'status' | 'down',
): Promise<DrillLeftovers> {
  if (!drillable(topology)) return { experiments: [], templates: [], disabledForwardRules: [] };
  const live = await liveExperiments(clients, stack, topology.regions);
  const toStop = live.filter((e) => mode === 'down' || leftByKilledDrill(e));
  await stopLeftover(clients, toStop);
  const templates = templatesOf(found.tagged);
  if (mode === 'down') await deleteTemplates(clients, templates);
  return {
    experiments: live.map((e) =>
      toStop.includes(e) ? { ...e, stopped: true } : { ...e, stopped: false, command: stopCommand(e) },
    ),
    templates: templates.map((t) => ({ ...t, deleted: mode === 'down' })),
    disabledForwardRules: found.disabledForwardRules,
  };
}

async function deleteTemplates(
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
