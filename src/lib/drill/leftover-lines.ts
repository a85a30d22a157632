/** A drill's leftovers (leftovers.ts) in status's and down's human output; no SDK here (render.ts loads it). */
import { suggest } from '../advice.js';
import type { DrillLeftovers } from './leftovers.js';

/** Human lines for status and down: what was found, what was done, what is left to do. */
export function leftoverLines(
  l: DrillLeftovers,
  where: { stack: string; target: string },
  mode: 'status' | 'down',
): string[] {
  const lines: string[] = [];
  for (const e of l.experiments) {
    if (!e.stopped) {
      lines.push(
        `  drill: experiment ${e.id} in ${e.region} is ${e.status} (drill ${e.drill} still runs, or ran on another host); stop it: ${e.command}`,
      );
    } else if (mode === 'status') {
      lines.push(
        `  drill: stopped experiment ${e.id} in ${e.region}, left ${e.status} by a killed drill (${e.drill})`,
      );
    } else {
      lines.push(
        `  drill: stopped experiment ${e.id} in ${e.region} (${e.status}, drill ${e.drill}) before deleting`,
      );
    }
  }
  for (const t of l.templates) {
    lines.push(
      t.deleted
        ? `  drill: deleted experiment template ${t.id} in ${t.region}`
        : `  drill: experiment template ${t.id} in ${t.region} (a running drill's, or a killed one's: down deletes it)`,
    );
  }
  for (const r of l.disabledForwardRules) {
    const fix =
      mode === 'status'
        ? `${suggest(`up --stack ${where.stack}`, { target: where.target })} enables it`
        : 'deleted with the stack';
    lines.push(
      `  drill: forwarding rule ${r.name} in ${r.region} was left DISABLED by a killed drill --events (events from ${r.region} are not forwarded): ${fix}`,
    );
  }
  return lines;
}
