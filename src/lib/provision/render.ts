/**
 * Human output of up, down and status (with --json, oclif prints the typed results instead, and this
 * module with its table library is not loaded).
 */
import { leftoverLines } from '../drill/leftover-lines.js';
import type { Topology } from '../stack.js';
import { type Column, renderTable } from '../table.js';
import type { OrphanedResource } from './discover.js';
import { upCommand } from './next-commands.js';
import { describeChange } from './progress.js';
import type { DownResult, KindCounts, RegionOutbox, StatusResult, UpResult } from './results.js';

/** "us-east-1 + us-west-2 (witness us-east-2)". */
function describeTopology(topology: Topology): string {
  return `${topology.regions.join(' + ')}${topology.witness ? ` (witness ${topology.witness})` : ''}`;
}

function countsLines(counts: KindCounts): string[] {
  return Object.entries(counts).map(
    ([kind, byOutcome]) =>
      `  ${kind.padEnd(18)} ${Object.entries(byOutcome ?? {})
        .map(([outcome, n]) => `${n} ${outcome}`)
        .join(', ')}`,
  );
}

export function renderUp(result: UpResult): string {
  const lines: string[] = [];
  const where = describeTopology(result.topology);
  if (result.dryRun) {
    const changes = result.plan.filter((c) => c.action !== 'noop');
    lines.push(
      `Plan for stack ${result.stack} in ${where} on ${result.target}: ${changes.length} change(s), nothing applied.`,
    );
    for (const change of result.plan) lines.push(`  ${describeChange(change, 'would')}`);
    lines.push('', `Apply it: ${result.next[0]}`);
    return lines.join('\n');
  }
  if (result.error) {
    lines.push(
      `Stack ${result.stack} is not up: up stopped in ${where} on ${result.target} (${(result.durationMs / 1000).toFixed(1)} s).`,
      ...countsLines(result.counts),
    );
    return lines.join('\n');
  }
  lines.push(
    `Stack ${result.stack} is up in ${where} on ${result.target} (${(result.durationMs / 1000).toFixed(1)} s).`,
  );
  lines.push(...countsLines(result.counts));
  lines.push('');
  lines.push(
    renderTable(
      [
        { header: 'REGION' },
        { header: 'CLUSTER', shrink: true },
        { header: 'ENDPOINT', shrink: true },
        { header: 'FUNCTION', shrink: true },
      ],
      result.deployments.map((r) => [
        r.region,
        r.clusterIdentifier ?? '?',
        r.clusterEndpoint ?? '?',
        r.functionName,
      ]),
      { indent: 2 },
    ),
  );
  lines.push('', 'Next:', ...result.next.map((n) => `  ${n}`));
  return lines.join('\n');
}

export function renderDown(result: DownResult): string {
  if (!result.existed) {
    const extra = result.leftAlone.length > 0 ? ` ${result.leftAlone.join(' ')}` : '';
    return `Stack ${result.stack} does not exist on ${result.target}: nothing to delete.${extra}`;
  }
  if (result.cancelled) return `Cancelled: stack ${result.stack} was left as it is.`;
  const lines = [
    result.error
      ? `Stack ${result.stack} is not entirely down on ${result.target}: down stopped (${(result.durationMs / 1000).toFixed(1)} s).`
      : `Stack ${result.stack} is down on ${result.target} (${(result.durationMs / 1000).toFixed(1)} s).`,
  ];
  lines.push(...countsLines(result.counts));
  for (const note of result.leftAlone) lines.push(`  left alone: ${note}`);
  lines.push(...leftoverLines(result.drill, result, 'down'));
  lines.push(...orphanLines(result.orphaned));
  return lines.join('\n');
}

/** Leaked resources, each with the command that removes it. */
function orphanLines(orphaned: readonly OrphanedResource[]): string[] {
  return orphaned.flatMap((o) => [
    `  orphaned: ${o.type} ${o.arn}${o.region === 'global' ? '' : ` in ${o.region}`}`,
    `    remove: ${o.command}`,
  ]);
}

/** "outbox us-east-1  2 unpublished, the oldest (transaction t-1) 41 s old": the sweep's backlog. */
function outboxLines(outbox: readonly RegionOutbox[]): string[] {
  return outbox.map((o) => {
    const what =
      'unavailable' in o
        ? `not read: ${o.unavailable}`
        : o.unpublished === 0
          ? 'every event published'
          : `${o.unpublished} unpublished, the oldest (transaction ${o.oldestTransactionId}) ${Math.round(o.oldestAgeSeconds ?? 0)} s old`;
    return `  outbox ${o.region.padEnd(12)}  ${what}`;
  });
}

export function renderStatus(result: StatusResult): string {
  if (!result.exists && result.orphaned.length > 0) {
    return [
      `Stack ${result.stack} on ${result.target}: its function role is gone, but ${result.orphaned.length} of its resources remain.`,
      ...orphanLines(result.orphaned),
    ].join('\n');
  }
  if (!result.exists) return `Stack ${result.stack} does not exist on ${result.target}.`;
  const topology = result.topology;
  const lines = [
    `Stack ${result.stack} on ${result.target}: ${result.inSync ? 'in sync' : 'drift found'}`,
    ...(topology ? [`  regions ${describeTopology(topology)}`] : []),
    '',
  ];
  // A cluster is known by its identifier (what the DSQL console and the AWS CLI show), once it has one.
  const clusterIds = new Map(result.deployments.map((d) => [d.region, d.clusterIdentifier]));
  const drifted = result.resources.filter((r) => r.drift);
  const rows = result.resources.map((r) => [
    r.kind,
    (r.kind === 'dsql-cluster' ? clusterIds.get(r.region) : undefined) ?? r.name,
    r.region === 'global' ? '' : r.region,
    r.state,
    ...(drifted.length > 0 ? [r.drift ? `⚠ ${r.drift.action}` : ''] : []),
  ]);
  const columns: Column[] = [
    { header: 'KIND' },
    { header: 'NAME', shrink: true },
    { header: 'REGION' },
    { header: 'STATE', shrink: true },
    ...(drifted.length > 0 ? [{ header: 'DRIFT' }] : []),
  ];
  lines.push(renderTable(columns, rows, { indent: 2 }));
  // Each reason once, below the table: too long for a column, and never cut.
  for (const r of drifted) {
    lines.push(
      `  ⚠ ${r.kind} ${r.name}${r.region === 'global' ? '' : ` in ${r.region}`}: ${r.drift?.action}: ${r.drift?.reason}`,
    );
  }
  lines.push(...outboxLines(result.outbox));
  lines.push(...leftoverLines(result.drill, result, 'status'));
  lines.push(...orphanLines(result.orphaned));
  if (result.resources.some((r) => r.drift)) {
    lines.push('', `Converge: ${upCommand(result.stack, result.target, topology)}`);
  }
  return lines.join('\n');
}
