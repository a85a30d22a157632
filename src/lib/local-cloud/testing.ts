/**
 * The local cloud's test entry: what tests and benches may use besides the production entry (index.ts).
 * Kept apart so the CLI cannot start a cloud its tests' way by accident.
 */
import { type StopResult, startDaemon, stopDaemon } from './control.js';
import type { FailureRule, FaultConfig } from './fault-config.js';
import { readRequestLog } from './index.js';
import { ensureOperatorKey, type OperatorKey } from './operator-key.js';
import { cloudPaths, dsqlctlHome } from './paths.js';
import type { RequestLogEntry } from './request-log.js';

/** A local cloud in `home` with `faults`, and a way to stop it and read its request log. */
export interface TestLocalCloud {
  endpoint: string;
  home: string;
  /** The operator's key (from the home, as every client gets it). */
  credentials: OperatorKey;
  pid: number;
  postgresPid: number;
  requests(): RequestLogEntry[];
  /** Replaces the running cloud's failure rules (faults.ts), their call counts restarting from zero. */
  replaceFailures(failures: FailureRule[]): Promise<void>;
  /** Makes the operator an IAM user limited to `policy` (JSON text), or the root again (undefined). */
  setOperatorPolicy(policy: string | undefined): Promise<void>;
  stop(): Promise<StopResult>;
}

export async function startTestLocalCloud(options: {
  home: string;
  faults?: FaultConfig;
  /** The operator as an IAM user limited to this policy document (JSON text); default the root. */
  operatorPolicy?: string;
  /** false: signatures and policies are not checked (the bench's baseline only). */
  enforcement?: boolean;
}): Promise<TestLocalCloud> {
  const home = dsqlctlHome(options.home);
  const { info } = await startDaemon({
    home,
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.operatorPolicy !== undefined ? { operatorPolicy: options.operatorPolicy } : {}),
    ...(options.enforcement !== undefined ? { enforcement: options.enforcement } : {}),
  });
  const credentials = ensureOperatorKey(cloudPaths(home));
  return {
    endpoint: info.endpoint,
    home,
    credentials,
    pid: info.pid,
    postgresPid: info.postgres.pid,
    requests: () => readRequestLog({ home }),
    async replaceFailures(failures) {
      const response = await fetch(`${info.endpoint}/_dsqlctl/failures`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${credentials.secretAccessKey}` },
        body: JSON.stringify(failures),
      });
      if (!response.ok) throw new Error(`replacing the failure rules: ${await response.text()}`);
    },
    async setOperatorPolicy(policy) {
      const response = await fetch(new URL('/_dsqlctl/operator-policy', info.endpoint), {
        method: 'PUT',
        headers: { authorization: `Bearer ${credentials.secretAccessKey}` },
        body: JSON.stringify({ policy: policy ?? null }),
      });
      if (!response.ok) throw new Error(`operator-policy: ${response.status} ${await response.text()}`);
    },
    stop: () => stopDaemon({ home }),
  };
}

// Units the local cloud's unit tests check without a daemon (the folder's internals stay unimported).
export { parseFailFlag, readFaults } from './fault-config.js';
export { FAULT_SERVICES } from './fault-defaults.js';
export { Faults, statusForCode } from './faults.js';
export { accessDeniedMessage, checksFor, OPERATION_CHECKS } from './identity/actions.js';
export {
  type ApplicablePolicies,
  type AuthorizationRequest,
  authorize,
  type Caller,
  compilePolicy,
  type PolicyDocument,
  PolicyDocumentError,
  type PolicyStatement,
} from './identity/evaluate.js';
export { IdentityGate } from './identity/gate.js';
export { CredentialStore, type RoleSession } from './identity/principals.js';
export {
  REFUSAL_ERRORS,
  type SignedRequest,
  type SigningProtocol,
  type SigningSecret,
  verifySignature,
} from './identity/sigv4.js';
export { isAlive, waitForExit } from './pids.js';
export { postgresDataDir } from './postgres.js';
export { parseQueryInput, toXml } from './protocols/aws-query.js';
export { parseJsonBody } from './protocols/http.js';
export { RequestLog, readRequestLogFile, rotatedFile } from './request-log.js';
export { credentialScope } from './server.js';
export { type ClusterRecord, type DsqlState, nextStatus, settle } from './services/dsql/cluster-state.js';
export { judge, loadParser, type Verdict } from './services/dsql/endpoint/dsql-statements.js';
export { startIndexJobs } from './services/dsql/endpoint/index-jobs.js';
export type { DsqlEndpoint, DsqlEndpointOptions, EndpointCluster } from './services/dsql/endpoint/server.js';
// The DSQL endpoint's parts, for tests that put it in front of the throwaway PostgreSQL.
export { startDsqlEndpoint } from './services/dsql/endpoint/server.js';
export { installSystemSchema, mappingsFor } from './services/dsql/endpoint/system-schema.js';
export { matchesPattern, PatternError, parsePattern } from './services/events/pattern.js';
export { createServices } from './services/index.js';
export { functionPolicy } from './services/lambda/model.js';
