/** Human output of the `local` commands (the --json output is the typed results themselves). */
import type { StartResult, StopResult } from './control.js';
import type { CloudStatus } from './instance.js';

function duration(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function renderStart(result: StartResult): string {
  const { info } = result;
  const verb = result.alreadyRunning ? 'already running' : 'started';
  return [
    `Local cloud ${verb} (pid ${info.pid}): ${info.endpoint}`,
    `DSQL endpoint on 127.0.0.1:${info.dsqlEndpoint.port} (TLS, IAM tokens; CA ${info.dsqlEndpoint.caFile})`,
    ...(result.alreadyRunning
      ? ['Options given now were not applied: run `dsqlctl local stop` first to change them.']
      : []),
  ].join('\n');
}

export function renderStop(result: StopResult): string {
  if (result.stoppedPid) return `Local cloud stopped (pid ${result.stoppedPid}), PostgreSQL too.`;
  if (result.stoppedOrphanPostgres)
    return 'The local cloud was not running; stopped its leftover PostgreSQL.';
  return 'The local cloud was not running.';
}

export function renderStatus(status: CloudStatus | undefined, home: string): string {
  if (!status)
    return `The local cloud is not running (DSQLCTL_HOME ${home}). Start it with: dsqlctl local start`;
  const resources = Object.entries(status.resources)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([region, counts]) =>
        `${region}: ${Object.entries(counts)
          .map(([k, n]) => `${n} ${k}`)
          .join(', ')}`,
    );
  const faults = Object.keys(status.faults).length > 0 ? JSON.stringify(status.faults) : 'none';
  const database =
    status.postgres.state === 'running'
      ? ''
      : status.postgres.state === 'restarting'
        ? ', its database restarting after PostgreSQL died'
        : ', its database FAILED to restart (see daemon.log; `dsqlctl local stop` then start)';
  // One fact a line, each under 80 columns but for a long path (never cut: it is there to be copied).
  const more = '              ';
  return [
    `Local cloud ${database ? 'degraded' : 'running'} (pid ${status.pid}, up ${duration(status.uptimeSeconds)})${database}`,
    `  endpoint    ${status.endpoint}`,
    `  clusters    ${status.dsqlEndpoint.host}:${status.dsqlEndpoint.port} (TLS, server name <id>.dsql.<region>.on.aws),`,
    `${more}database postgres, IAM token as password`,
    `  CA file     ${status.dsqlEndpoint.caFile}`,
    `  backend     PostgreSQL, only the endpoint's, on the Unix socket in`,
    `${more}${status.postgres.host}`,
    // Each cluster's name and port; the address is the endpoint's (hostaddr, above): 80 columns.
    ...status.clusters.map((c) => `  cluster     ${c.region} ${c.host}:${c.port}`),
    `  data        ${status.postgres.dataDir}`,
    ...(resources.length > 0
      ? resources.map((line, i) => `${i === 0 ? '  resources   ' : more}${line}`)
      : ['  resources   none']),
    `  faults      ${faults}`,
  ].join('\n');
}
