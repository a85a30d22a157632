/**
 * Runs a local cloud in this process: PostgreSQL, the state store, the services and the HTTP server.
 * The daemon (daemon.ts) is the only caller; everything else reaches it over HTTP.
 */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_ACCOUNT_ID } from './aws.js';
import type { FaultConfig } from './fault-config.js';
import { Faults } from './faults.js';
import { compilePolicy } from './identity/evaluate.js';
import { IdentityGate } from './identity/gate.js';
import { CredentialStore } from './identity/principals.js';
import { ensureOperatorKey } from './operator-key.js';
import { cloudPaths, PRIVATE_DIR_MODE, restrictModes } from './paths.js';
import { DATABASE_RESTARTED, type PostgresState, startPostgres } from './postgres.js';
import { jsonResponse } from './protocols/http.js';
import { RequestLog } from './request-log.js';
import { createLocalCloudServer } from './server.js';
import type { Cloud } from './service.js';
import { clusterEndpointHost, clusterEndpoints } from './services/dsql/index.js';
import { roleByArn } from './services/iam/index.js';
import { createServices, serviceRegistry } from './services/index.js';
import { functionPolicy } from './services/lambda/model.js';
import { StateStore } from './state-store.js';

/**
 * How to reach a cluster's database: the local cloud's own copy of the shape the CLI's DatabaseSettings
 * (target.ts) has, so this folder needs nothing from outside it. The cluster's endpoint host (TLS server
 * name, what tokens are signed for) reached at `hostaddr` (loopback), TLS verified against `caFile`.
 */
export interface ClusterDatabaseSettings {
  host: string;
  hostaddr: string;
  port: number;
  database: string;
  region: string;
  caFile: string;
}

/** What the daemon writes to runtime.json once it serves (read by `local start/stop/status`). */
export interface DaemonInfo {
  pid: number;
  endpoint: string;
  port: number;
  startedAt: string;
  /** The backing PostgreSQL: `host` is its Unix-socket folder (nothing listens on TCP). */
  postgres: { pid: number; host: string; port: number; dataDir: string };
  /** The DSQL endpoint every cluster is reached through (its port survives restarts). */
  dsqlEndpoint: { host: string; port: number; caFile: string };
  faults: FaultConfig;
}

/** What `GET /_dsqlctl/status` answers. */
export interface CloudStatus extends Omit<DaemonInfo, 'postgres'> {
  /** `state` is live: `restarting` after PostgreSQL died, until the daemon has it running again. */
  postgres: DaemonInfo['postgres'] & { state: PostgresState };
  uptimeSeconds: number;
  /** Resources per region (`global` for IAM). */
  resources: Record<string, Record<string, number>>;
  /** Each cluster's endpoint: host (the TLS server name and token host) and port, reached at dsqlEndpoint's address. */
  clusters: { region: string; identifier: string; host: string; port: number }[];
}

/** Where the DSQL endpoint listens (clients pass the cluster's host as TLS server name). */
const LOOPBACK = '127.0.0.1';

/** The operator's IAM user when it is limited to a policy (`local start --operator-policy`). */
export const OPERATOR_USER = 'dsqlctl-operator';

export async function runLocalCloud(options: {
  home: string;
  port?: number;
  faults?: FaultConfig;
  /** A policy document (JSON text): the operator acts as an IAM user limited to it instead of the root. */
  operatorPolicy?: string;
  /** false: no signature verified, every call allowed (the bench's baseline only). */
  enforcement?: boolean;
}): Promise<{ info: DaemonInfo; stop(): Promise<void> }> {
  const paths = cloudPaths(options.home);
  mkdirSync(paths.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  restrictModes(paths.dir, join(paths.dir, 'postgres'));
  const faults = new Faults(options.faults ?? {});
  const state = StateStore.open(paths.state);
  const postgres = await startPostgres({ cloudDir: paths.dir });
  const log = new RequestLog(paths.requests);
  const services = serviceRegistry(createServices());
  const startedAt = new Date();

  if (options.operatorPolicy !== undefined) compilePolicy(options.operatorPolicy);
  const credentials = CredentialStore.fromJSON({
    accountId: LOCAL_ACCOUNT_ID,
    operator: {
      ...ensureOperatorKey(paths),
      ...(options.operatorPolicy !== undefined
        ? { user: { name: OPERATOR_USER, policy: options.operatorPolicy } }
        : {}),
    },
    sessions: [],
  });
  // The lookups read the services' state through `cloud`, once it exists (they run per request).
  const identity = new IdentityGate(
    credentials,
    {
      role(roleArn) {
        const role = roleByArn(cloud, roleArn);
        return role
          ? {
              arn: role.Arn,
              trustPolicy: role.AssumeRolePolicyDocument,
              policies: Object.values(role.policies),
            }
          : undefined;
      },
      resourcePolicy: (resource) => functionPolicy(cloud, resource),
    },
    LOCAL_ACCOUNT_ID,
    options.enforcement ?? true,
  );
  const cloud: Cloud = {
    state,
    faults,
    postgres,
    endpoint: '',
    dir: paths.dir,
    log,
    identity,
    now: () => Date.now(),
  };
  let info: DaemonInfo | undefined;

  const server = createLocalCloudServer({
    cloud,
    services,
    log,
    async control(request) {
      switch (request.path) {
        case '/_dsqlctl/health':
          return jsonResponse(200, { ok: true, pid: process.pid });
        case '/_dsqlctl/failures': {
          // Tests only (testing.ts): the failure rules replaced, as a JSON list of faults.ts's rules.
          if (request.method !== 'PUT') return jsonResponse(405, { message: 'Use PUT.' });
          try {
            faults.replaceFailures(JSON.parse(request.body.toString('utf8')));
          } catch (error) {
            return jsonResponse(400, { message: (error as Error).message });
          }
          return jsonResponse(200, { failures: faults.config.failures ?? [] });
        }
        case '/_dsqlctl/status': {
          const resources: Record<string, Record<string, number>> = {};
          for (const service of services.values()) {
            for (const [region, counts] of Object.entries(service.counts?.(cloud) ?? {})) {
              resources[region] = { ...resources[region], ...counts };
            }
          }
          const uptimeSeconds = (Date.now() - startedAt.getTime()) / 1000;
          if (!info) return jsonResponse(503, { message: 'The local cloud is still starting.' });
          const live = { ...info.postgres, pid: postgres.pid, state: postgres.state };
          return jsonResponse(200, {
            ...info,
            postgres: live,
            uptimeSeconds,
            resources,
            clusters: clusterEndpoints(cloud),
          } satisfies CloudStatus);
        }
        case '/_dsqlctl/database-settings': {
          if (postgres.state !== 'running') return jsonResponse(503, { message: DATABASE_RESTARTED });
          const region = request.query.get('region') ?? '';
          const identifier = request.query.get('identifier') ?? '';
          const host = clusterEndpointHost(cloud, region, identifier);
          const endpoint = cloud.dsqlEndpoint;
          if (!host || !endpoint) {
            return jsonResponse(404, {
              message: `No cluster ${identifier} in ${region} on the local cloud.`,
            });
          }
          const settings: ClusterDatabaseSettings = {
            host,
            hostaddr: LOOPBACK,
            port: endpoint.port,
            database: 'postgres',
            region,
            caFile: endpoint.caFile,
          };
          return jsonResponse(200, settings);
        }
        case '/_dsqlctl/operator-policy': {
          // Tests swap the operator's policy on a running cloud (the minimality table runs one cloud
          // for many policies); `null` makes the operator the account root again.
          if (request.method !== 'PUT') return jsonResponse(405, { message: 'PUT a {"policy"} body.' });
          const { policy } = JSON.parse(request.body.toString() || '{}') as { policy?: string | null };
          if (typeof policy === 'string') compilePolicy(policy);
          credentials.setOperatorUser(
            typeof policy === 'string' ? { name: OPERATOR_USER, policy } : undefined,
          );
          return jsonResponse(200, { ok: true });
        }
        default:
          return undefined;
      }
    },
  });

  try {
    const port = await server.listen(options.port ?? 0);
    cloud.endpoint = `http://127.0.0.1:${port}`;
    for (const service of services.values()) await service.start?.(cloud);
    info = {
      pid: process.pid,
      endpoint: cloud.endpoint,
      port,
      startedAt: startedAt.toISOString(),
      postgres: { pid: postgres.pid, host: postgres.host, port: postgres.port, dataDir: postgres.dataDir },
      dsqlEndpoint: {
        host: LOOPBACK,
        port: cloud.dsqlEndpoint?.port ?? 0,
        caFile: cloud.dsqlEndpoint?.caFile ?? '',
      },
      faults: faults.config,
    };
  } catch (error) {
    await server.close();
    await postgres.stop();
    throw error;
  }

  return {
    info,
    async stop() {
      await server.close();
      for (const service of services.values()) await service.stop?.();
      await postgres.stop();
      log.close();
    },
  };
}
