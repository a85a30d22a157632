/**
 * The local cloud's test entry: what tests and benches may use besides the production entry (index.ts).
 * Kept apart so the CLI cannot start a cloud its tests' way by accident.
 */
import { type StopResult, startDaemon, stopDaemon } from './control.js';
import type { FaultConfig } from './faults.js';
import { readRequestLog } from './index.js';
import { dsqlctlHome } from './paths.js';
import type { RequestLogEntry } from './request-log.js';

/** A local cloud in `home` with `faults`, and a way to stop it and read its request log. */
export interface TestLocalCloud {
  endpoint: string;
  home: string;
  pid: number;
  postgresPid: number;
  requests(): RequestLogEntry[];
  stop(): Promise<StopResult>;
}

export async function startTestLocalCloud(options: {
  home: string;
  faults?: FaultConfig;
}): Promise<TestLocalCloud> {
  const home = dsqlctlHome(options.home);
  const { info } = await startDaemon({ home, ...(options.faults ? { faults: options.faults } : {}) });
  return {
    endpoint: info.endpoint,
    home,
    pid: info.pid,
    postgresPid: info.postgres.pid,
    requests: () => readRequestLog({ home }),
    stop: () => stopDaemon({ home }),
  };
}

// Units the local cloud's unit tests check without a daemon (the folder's internals stay unimported).
export { Faults } from './faults.js';
export { isAlive, waitForExit } from './pids.js';
export { postgresDataDir } from './postgres.js';
export { parseQueryInput, toXml } from './protocols/aws-query.js';
export { credentialScope } from './server.js';
export { type ClusterRecord, type DsqlState, nextStatus, settle } from './services/dsql/cluster-state.js';
export { startIndexJobs } from './services/dsql/endpoint/index-jobs.js';
export type { DsqlEndpoint, EndpointCluster } from './services/dsql/endpoint/server.js';
// The DSQL endpoint's parts, for tests that put it in front of the throwaway PostgreSQL.
export { startDsqlEndpoint } from './services/dsql/endpoint/server.js';
export { installSystemSchema, mappingsFor } from './services/dsql/endpoint/system-schema.js';
export { matchesPattern, PatternError, parsePattern } from './services/events/pattern.js';
