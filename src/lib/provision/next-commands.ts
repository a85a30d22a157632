/**
 * The one place the commands dsqlctl suggests running next are written: in results and errors as well
 * as in human output, so it stays apart from the renderers (and their table library).
 */
import { suggest } from '../advice.js';
import type { Topology } from '../stack.js';

/** "--regions us-east-1,us-west-2 --witness us-east-2": a stack's own topology, as up's flags. */
export function topologyFlags(topology: Topology): string {
  return `--regions ${topology.regions.join(',')}${topology.witness ? ` --witness ${topology.witness}` : ''}`;
}

/** The `up` of a stack, with its topology when given (so the command is never refused as a change). */
export function upCommand(stack: string, target: string, topology?: Topology): string {
  return suggest(`up --stack ${stack}${topology ? ` ${topologyFlags(topology)}` : ''}`, { target });
}

/** What to try once a stack is up (each repeating the run's target and profile). */
export function upNextCommands(stack: string, target: string, topology: Topology): string[] {
  const s = `--stack ${stack}`;
  return [
    suggest(`txn create ${s} --amount 100.50`, { target }),
    suggest(`txn list ${s} --limit 10`, { target }),
    ...(topology.regions.length === 2 ? [suggest(`verify consistency ${s}`, { target })] : []),
    suggest(`status ${s}`, { target }),
    suggest(`down ${s}`, { target, last: '--yes' }),
  ];
}
