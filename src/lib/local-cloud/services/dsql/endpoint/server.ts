// The local DSQL endpoint: one TCP listener in front of the clusters' backend PostgreSQL.
//
// Routing: one port for every cluster, chosen by the TLS server name (SNI). DSQL's endpoints are
// all `<id>.dsql.<region>.on.aws:5432`: only the host name tells clusters apart, and it is also
// what tokens are signed for and what certificates are checked against. Routing by SNI keeps that
// shape (one kept port, a host name per cluster) and ties the three together: the name the client
// verified the certificate for selects the cluster whose host the token must be signed for. Clients
// connect to this listener's address with the cluster's host name as server name:
//   pg:   {host: '127.0.0.1', port, ssl: {ca, servername: '<id>.dsql.<region>.on.aws', rejectUnauthorized: true}}
//   psql: "host=<id>.dsql.<region>.on.aws hostaddr=127.0.0.1 port=<port> sslmode=verify-full sslrootcert=<ca.pem>"
// (libpq sends SNI for a host name since PostgreSQL 14; `hostaddr` skips the DNS lookup.)
//
// The front logs into the backend as the client's role itself (admin or the mapped role), not as a
// superuser with SET SESSION AUTHORIZATION, which a client could RESET. The backend must therefore
// let those roles in without a password on a path only the front reaches (a Unix socket in a 0700
// folder), or take the target's password.
//
// Where this still differs from DSQL:
// - PostgreSQL makes a writer wait on a row another open transaction has changed; DSQL does not
//   block and fails one of them at COMMIT. Both end in 40001 (OC000) for the loser, later here.
// - The size limit counts statement text and bound parameters (DSQL counts the data written, which
//   the front does not see). The row limit is exact: PostgreSQL counts the rows (system-schema.ts).
// - The transaction age is checked when the next statement arrives, not by a timer.
// - Rules applied at Parse time hold for every later Execute of that prepared statement.
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import { judge, loadParser, type Verdict } from './dsql-statements.js';
import {
  type AuthorizeRequest,
  type BackendTarget,
  type EndpointCluster,
  type EndpointLimits,
  type SessionContext,
  serveClient,
} from './session.js';
import { ensureEndpointCertificates } from './tls.js';
import type { KnownCredentials } from './token.js';

export type { AuthorizeRequest, BackendTarget, EndpointCluster, EndpointLimits } from './session.js';
export type { KnownCredentials } from './token.js';

export interface DsqlEndpointOptions {
  /** Listen address (default 127.0.0.1) and port (0 picks one; keep it in state to survive restarts). */
  host?: string;
  port?: number;
  /** Folder for the CA and server certificate (made once, kept). */
  certificateFolder: string;
  /** What the server certificate names: cluster host names or wildcards like `*.dsql.us-east-1.on.aws`. */
  certificateNames: string[];
  /** The cluster whose endpoint host name a client asked for (TLS SNI). */
  clusterFor(hostname: string): EndpointCluster | undefined;
  /** The backend database of a cluster (peered clusters share one). */
  backendFor(cluster: EndpointCluster): BackendTarget;
  /** The secret and identity of an access key the local cloud issued. */
  credentials(accessKeyId: string): KnownCredentials | undefined;
  /** Whether the signer's policies allow the action (default: allow; the daemon asks its identity gate). */
  authorize?(request: AuthorizeRequest): boolean | Promise<boolean>;
  /** IAM role ARNs mapped to a PostgreSQL role (`AWS IAM GRANT`), from the statements half's `mappingsFor`. */
  mappingsFor(cluster: EndpointCluster, pgRoleName: string): Promise<string[]>;
  /** The share (0–100) of connections to a cluster an injected fault refuses now (default: none). */
  impairment?(cluster: EndpointCluster): number;
  /** DSQL's limits; tests shorten the durations. */
  limits?: Partial<EndpointLimits>;
  /** Clock for token expiry and transaction age (default: the system clock). */
  now?(): Date;
}

export interface DsqlEndpoint {
  host: string;
  port: number;
  /** The CA file clients pass as `ssl.ca` / `sslrootcert`. */
  caFile: string;
  ca: string;
  /** Breaks each open session of the cluster with probability `percentage`/100 (an injected fault). */
  breakSessions(clusterId: string, percentage: number): number;
  close(): Promise<void>;
}

/** DSQL's quotas and limits (aws-facts.md, "Checked 2026-12-01"). */
const DSQL_LIMITS: EndpointLimits = {
  connectionsPerCluster: 10_000,
  connectionLifetimeMs: 60 * 60 * 1000,
  transactionAgeMs: 300 * 1000,
  transactionBytes: 10 * 1024 * 1024,
};

/**
 * Verdicts by statement text: `judge` is a pure function of the text, and clients send the same few
 * statements over and over (node-postgres re-sends Parse for every parameterized query), so the
 * parse — most of the front's own cost per statement — runs once per distinct text. Bounded; the
 * oldest entry goes first.
 */
class VerdictMemo {
  static readonly MAX_ENTRIES = 1000;
  /** Texts longer than this are judged each time (bulk statements rarely repeat). */
  static readonly MAX_TEXT = 4096;
  readonly #verdicts = new Map<string, Verdict[]>();

  verdicts(sql: string): Verdict[] {
    if (sql.length > VerdictMemo.MAX_TEXT) return judge(sql);
    let verdicts = this.#verdicts.get(sql);
    if (!verdicts) {
      verdicts = judge(sql);
      if (this.#verdicts.size >= VerdictMemo.MAX_ENTRIES) {
        this.#verdicts.delete(this.#verdicts.keys().next().value as string);
      }
      this.#verdicts.set(sql, verdicts);
    }
    return verdicts;
  }
}

export async function startDsqlEndpoint(options: DsqlEndpointOptions): Promise<DsqlEndpoint> {
  await loadParser();
  const judged = new VerdictMemo();
  const certificates = await ensureEndpointCertificates(options.certificateFolder, options.certificateNames);
  const authorize = options.authorize ?? (() => true);
  const context: SessionContext = {
    secureContext: createSecureContext({ key: certificates.key, cert: certificates.cert }),
    clusterFor: options.clusterFor,
    backendFor: options.backendFor,
    credentials: options.credentials,
    authorize: async (request) => authorize(request),
    mappingsFor: options.mappingsFor,
    judge: (sql) => judged.verdicts(sql),
    limits: { ...DSQL_LIMITS, ...options.limits },
    now: options.now ?? (() => new Date()),
    schemaVersions: new Map(),
    connections: new Map(),
    sockets: new Set<Socket>(),
    impairment: options.impairment ?? (() => 0),
    clusterSessions: new Map(),
  };
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    void serveClient(socket, context);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the DSQL endpoint has no TCP address');
  return {
    host,
    port: address.port,
    caFile: certificates.caFile,
    ca: certificates.ca,
    breakSessions(clusterId, percentage) {
      let broken = 0;
      for (const socket of context.clusterSessions.get(clusterId) ?? []) {
        if (Math.random() * 100 >= percentage) continue;
        socket.destroy();
        broken++;
      }
      return broken;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of context.sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
