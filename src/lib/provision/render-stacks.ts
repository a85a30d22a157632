/** Human output of `stacks`: one row per stack, and what to run for a partial one. */
import { suggest } from '../advice.js';
import type { Topology } from '../stack.js';
import { upCommand } from './next-commands.js';
import type { StackSummary, StacksResult } from './stacks.js';

function where(stack: StackSummary): string {
  const regions = stack.regions.length > 0 ? stack.regions.join(',') : '-';
  return stack.witness ? `${regions} (witness ${stack.witness})` : regions;
}

/** The topology the stack's function role recorded (none when the role is gone: `up` then uses its defaults). */
function topologyOf(stack: StackSummary): Topology | undefined {
  if (stack.missing.includes('iam-role:fn')) return undefined;
  return { regions: stack.regions, ...(stack.witness ? { witness: stack.witness } : {}) };
}

export function renderStacks(result: StacksResult): string {
  if (result.stacks.length === 0) return `No stacks in ${result.regions.length} region(s).`;
  const header = ['STACK', 'REGIONS', 'RESOURCES', 'STATE'];
  const rows = result.stacks.map((s) => [s.stack, where(s), String(s.resourceCount), s.state]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const lines = [line(header), ...rows.map(line)];
  for (const s of result.stacks.filter((x) => x.state === 'partial')) {
    lines.push(
      '',
      `${s.stack} is partial: missing ${s.missing.join(', ')}.`,
      `  Resume: ${upCommand(s.stack, result.target, topologyOf(s))}`,
      `  Remove: ${suggest(`down --stack ${s.stack}`, { target: result.target, last: '--yes' })}`,
    );
  }
  return lines.join('\n');
}
