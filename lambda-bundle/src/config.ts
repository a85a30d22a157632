/**
 * The function's configuration, read from its environment once at cold start and validated as a
 * whole: a misconfigured deployment fails its first invocation with every problem listed, instead of
 * failing later on the first query that needs the missing value.
 */
import type { ConnectionSettings } from '../../src/lib/dsql-connection.js';
import { ADMIN_USER } from '../../src/lib/dsql-connection.js';
import { FunctionEnv } from '../../src/lib/function-contract.js';

export interface FunctionConfig {
  /** The region the function runs in (Lambda's AWS_REGION): stamped on rows and events, signs tokens. */
  region: string;
  connection: ConnectionSettings;
  /** The non-admin database role the function logs in as. */
  user: string;
  busName: string;
  /**
   * The stack's other region, the only origin whose events are recorded. Undefined until provisioning
   * sets PEER_REGION: then every delivered event is refused (and, thrown, retried by EventBridge).
   */
  peerRegion: string | undefined;
}

export function readFunctionConfig(env: NodeJS.ProcessEnv): FunctionConfig {
  const problems: string[] = [];
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is not set`);
    return value ?? '';
  };

  const region = required('AWS_REGION');
  const host = required(FunctionEnv.endpoint);
  const user = required(FunctionEnv.user);
  const busName = required(FunctionEnv.busName);
  const peerRegion = env[FunctionEnv.peerRegion]?.trim() || undefined;
  if (peerRegion !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(peerRegion)) {
    problems.push(`${FunctionEnv.peerRegion} must be a region name, not "${peerRegion.slice(0, 40)}"`);
  } else if (peerRegion !== undefined && peerRegion === region) {
    problems.push(`${FunctionEnv.peerRegion} must name the other region, not this one (${region})`);
  }
  // Defaults are DSQL's: port 5432, database postgres. TLS is always on and verified (dsql-connection.ts):
  // on the local cloud the runtime trusts its CA and resolves cluster hosts to its endpoint.
  const portText = env[FunctionEnv.port]?.trim() || '5432';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    problems.push(`${FunctionEnv.port} must be a port number, not "${portText}"`);
  }
  const database = env[FunctionEnv.database]?.trim() || 'postgres';
  // The function connects with dsql:DbConnect only; an admin login would need DbConnectAdmin.
  if (user === ADMIN_USER)
    problems.push(`${FunctionEnv.user} must name the function's role, not ${ADMIN_USER}`);

  if (problems.length > 0) {
    throw new Error(`The function is misconfigured: ${problems.join('; ')}.`);
  }
  return { region, connection: { host, port, database, region }, user, busName, peerRegion };
}
