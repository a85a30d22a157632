/**
 * Operator access to a stack's cluster: `db token` (an IAM token, as `aws dsql
 * generate-db-connect[-admin]-auth-token` prints it) and `db shell` (psql on the cluster). Both use
 * the connection code path the CLI connects with (dsql-connection.ts: @aws-sdk/dsql-signer, the
 * target's database settings), so the token and TLS settings are the ones `up` uses on either target.
 *
 * The SDK clients and the provisioning module that finds clusters are imported when a command runs,
 * so `db --help` stays light.
 */
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import { suggest } from './advice.js';
import { ADMIN_USER, authTokenProvider } from './dsql-connection.js';
import { UsageError } from './errors.js';
import { echoInput } from './input-echo.js';
import { stackNames } from './stack.js';
import type { DatabaseSettings, Target } from './target.js';

/**
 * Token lifetime bounds, as AWS documents them (Aurora DSQL user guide, "Generating an authentication
 * token", checked 2026-12-01): the CLI and SDKs default to 15 minutes, the maximum is 604,800 s (one
 * week, SigV4's presigning limit). X-Amz-Expires is whole seconds.
 */
const TOKEN_EXPIRY_SECONDS = { default: 900, min: 1, max: 604_800 } as const;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `--expires`: `30s`, `15m`, `2h`, `1d`, `1w` or a bare number of seconds, from 1 s to one week. */
export function parseExpires(text: string): number {
  const match = /^(\d+)([smhdw])?$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * (UNIT_SECONDS[match[2] ?? 's'] as number) : Number.NaN;
  if (!(seconds >= TOKEN_EXPIRY_SECONDS.min && seconds <= TOKEN_EXPIRY_SECONDS.max)) {
    throw new UsageError(
      `Invalid --expires ${echoInput(text)}: use whole seconds or a duration such as 30s, 15m, 2h or 1d, from 1s to 1w (604800 s), the lifetimes DSQL accepts.`,
    );
  }
  return seconds;
}

export interface DbScope {
  stack: string;
  region?: string;
  /** `admin` with a DbConnectAdmin token; otherwise the stack's role `<stack>_app` with a DbConnect token. */
  admin: boolean;
}

/** Where and as whom to connect: the cluster of the stack in one region. */
interface ClusterLogin {
  stack: string;
  region: string;
  clusterIdentifier: string;
  user: string;
  settings: DatabaseSettings;
}

/** The stack's cluster in the region asked for (default its first); exit 2 when there is none. */
async function clusterLogin(target: Target, scope: DbScope): Promise<ClusterLogin> {
  const { resolveRegion } = await import('./txn/index.js');
  const region = await resolveRegion(target, scope);
  const { DSQLClient } = await import('@aws-sdk/client-dsql');
  const { findStackClusters, USABLE } = await import('./provision/dsql-cluster.js');
  const dsql = new DSQLClient(target.clientConfig(region));
  let clusters: Awaited<ReturnType<typeof findStackClusters>>;
  try {
    clusters = await findStackClusters(dsql, scope.stack, false);
  } finally {
    dsql.destroy();
  }
  const cluster = clusters[0];
  const repair = `Deploy it: ${suggest(`up --stack ${scope.stack}`)}`;
  if (!cluster?.identifier) {
    throw new UsageError(`Stack "${scope.stack}" has no cluster in ${region}.`, { advice: repair });
  }
  if (!USABLE.has(cluster.status ?? '')) {
    throw new UsageError(
      `Cluster ${cluster.identifier} of stack "${scope.stack}" in ${region} is ${cluster.status}, not ready for connections.`,
      { advice: repair },
    );
  }
  const settings = await target.databaseSettings({
    identifier: cluster.identifier,
    region,
    ...(cluster.endpoint ? { endpoint: cluster.endpoint } : {}),
  });
  return {
    stack: scope.stack,
    region,
    clusterIdentifier: cluster.identifier,
    user: scope.admin ? ADMIN_USER : stackNames(scope.stack).databaseRole,
    settings,
  };
}

/** `db token --json`: the token and everything a client needs beside it. */
export interface DbTokenResult {
  stack: string;
  region: string;
  clusterIdentifier: string;
  host: string;
  /** Where to connect when `host` does not resolve there (the local cloud's loopback; libpq's hostaddr). */
  hostaddr?: string;
  port: number;
  database: string;
  /** The database role the token is meant for: `admin`, or the stack's role `<stack>_app`. */
  user: string;
  action: 'DbConnectAdmin' | 'DbConnect';
  /** The CA to verify the server with (the local cloud's); the system's roots when absent. */
  caFile?: string;
  expiresAt: string;
  token: string;
}

/** When a presigned token stops being accepted: its X-Amz-Date plus X-Amz-Expires. */
function tokenExpiry(token: string): string {
  const query = new URL(`https://${token}`).searchParams;
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get('X-Amz-Date') ?? '');
  const expires = Number(query.get('X-Amz-Expires'));
  if (!date || !Number.isInteger(expires)) throw new Error('The signer made a token without a date.');
  const [, y, mo, d, h, mi, s] = date.map(Number) as number[];
  return new Date(Date.UTC(y as number, (mo as number) - 1, d, h, mi, s) + expires * 1000).toISOString();
}

function signToken(target: Target, login: ClusterLogin, expiresInSeconds: number): Promise<string> {
  const { credentials } = target.clientConfig(login.region);
  return authTokenProvider(login.settings, login.user, credentials, expiresInSeconds)();
}

export async function dbToken(
  target: Target,
  scope: DbScope & { expiresInSeconds: number },
): Promise<DbTokenResult> {
  const login = await clusterLogin(target, scope);
  const token = await signToken(target, login, scope.expiresInSeconds);
  const { settings } = login;
  return {
    stack: login.stack,
    region: login.region,
    clusterIdentifier: login.clusterIdentifier,
    host: settings.host,
    ...(settings.hostaddr ? { hostaddr: settings.hostaddr } : {}),
    port: settings.port,
    database: settings.database,
    user: login.user,
    action: scope.admin ? 'DbConnectAdmin' : 'DbConnect',
    ...(settings.caFile ? { caFile: settings.caFile } : {}),
    expiresAt: tokenExpiry(token),
    token,
  };
}

/** psql is not on PATH: exit 2 (a missing prerequisite; nothing was called), naming the packages. */
class PsqlNotFoundError extends UsageError {
  constructor() {
    super('psql is not installed (not found on PATH): db shell runs the PostgreSQL client.', {
      advice:
        'Install it: Debian/Ubuntu `sudo apt-get install postgresql-client`, Fedora/RHEL `sudo dnf install postgresql`, macOS `brew install libpq` (then add its bin folder to PATH).',
    });
  }
}

/** The psql executable on PATH; checked before anything else runs. */
export function findPsql(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'psql');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  throw new PsqlNotFoundError();
}

/** The system's CA bundle files (Debian/Ubuntu/Alpine, Fedora/RHEL, openSUSE, macOS). */
const SYSTEM_CA_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/ssl/cert.pem',
];

/**
 * What psql verifies the server with. Local: the local cloud's CA file. AWS: the system's roots, which
 * hold Amazon Root CA 1 — `sslrootcert=system` as AWS documents (libpq 16+); an older psql gets the
 * system's bundle file instead, since it would read "system" as a file name.
 */
function rootCertificate(settings: DatabaseSettings, psql: string): string {
  if (settings.caFile) return settings.caFile;
  const version = execFileSync(psql, ['--version'], { encoding: 'utf8' });
  const major = Number(/(\d+)(?:\.\d+)?/.exec(version)?.[1] ?? 0);
  if (major >= 16) return 'system';
  const bundle = SYSTEM_CA_BUNDLES.find((file) => existsSync(file));
  if (bundle) return bundle;
  throw new UsageError(
    `psql ${major} cannot use the system's certificate authorities (sslrootcert=system needs PostgreSQL 16+), and no CA bundle file was found.`,
    { advice: 'Install postgresql-client 16 or newer, or your system’s ca-certificates package.' },
  );
}

/** A libpq conninfo value, quoted as libpq reads it. */
function conninfoValue(value: string | number): string {
  return `'${String(value).replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** The conninfo psql gets: verify-full against the cluster's host name, the CA, the login's role. */
function psqlConninfo(settings: DatabaseSettings, user: string, sslrootcert: string): string {
  const parts: [string, string | number][] = [
    ['host', settings.host],
    ...(settings.hostaddr ? [['hostaddr', settings.hostaddr] as [string, string]] : []),
    ['port', settings.port],
    ['dbname', settings.database],
    ['user', user],
    ['sslmode', 'verify-full'],
    ['sslrootcert', sslrootcert],
  ];
  return parts.map(([key, value]) => `${key}=${conninfoValue(value)}`).join(' ');
}

export interface DbShellOptions extends DbScope {
  /** The psql executable (findPsql). */
  psql: string;
  /** Arguments passed on to psql (after `--`). */
  psqlArgs: string[];
}

/**
 * Runs psql on the cluster with the terminal (stdio inherited) and a fresh token as PGPASSWORD;
 * answers psql's exit code (128 + the signal number when a signal ended it). Ctrl-C belongs to psql
 * (it cancels the running query), so this process ignores SIGINT meanwhile; SIGTERM and SIGHUP are
 * passed on.
 */
export async function dbShell(target: Target, options: DbShellOptions): Promise<number> {
  const login = await clusterLogin(target, options);
  const conninfo = psqlConninfo(login.settings, login.user, rootCertificate(login.settings, options.psql));
  const token = await signToken(target, login, TOKEN_EXPIRY_SECONDS.default);
  const child = spawn(options.psql, [conninfo, ...options.psqlArgs], {
    stdio: 'inherit',
    env: { ...process.env, PGPASSWORD: token },
  });
  const ignore = () => {};
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', ignore);
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        resolve(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0));
      });
    });
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', forward);
    process.off('SIGHUP', forward);
  }
}
