// One client connection: TLS, startup, token authentication, then a relay to a backend
// PostgreSQL connection opened as the client's role, inspecting frontend Query/Parse messages
// (DSQL's transaction rules and limits) and backend replies (command tags, OCC errors).
//
// A refused statement is not answered by the front alone: the front sends the backend a
// statement that fails to parse (POISON) in its place and rewrites the backend's ErrorResponse
// into the refusal. The backend then does what PostgreSQL does after any error — aborts an open
// transaction block, discards extended-protocol messages until Sync, reports the status in
// ReadyForQuery — so client and backend never disagree about the transaction state.
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import { serialize } from 'pg-protocol';
import type { Verdict } from './dsql-statements.js';
import { Inbox } from './inbox.js';
import {
  authenticationCleartextPassword,
  CANCEL_REQUEST_CODE,
  code,
  type ErrorFields,
  errorResponse,
  GSSENC_REQUEST_CODE,
  type Message,
  PROTOCOL_3,
  readBind,
  readCString,
  readErrorFields,
  readParse,
  readStartupPacket,
  SSL_REQUEST_CODE,
  WILL_DO_TLS,
  WILL_NOT,
  withMessage,
} from './protocol.js';
import { checkToken, type KnownCredentials, roleArnOf, type TokenAction } from './token.js';
import { WriteBatch } from './write-batch.js';

export interface EndpointCluster {
  id: string;
  arn: string;
  region: string;
  /** The endpoint host name clients put in TLS SNI and tokens are signed for. */
  hostname: string;
}

/** Where a cluster's data lives. `host` starting with `/` is a Unix-socket folder (libpq's convention). */
export interface BackendTarget {
  host: string;
  port: number;
  database: string;
  password?: string;
}

export interface EndpointLimits {
  connectionsPerCluster: number;
  connectionLifetimeMs: number;
  transactionAgeMs: number;
  transactionBytes: number;
}

/** A verified token's signer asking to connect: may it make `action` on the cluster? */
export interface AuthorizeRequest {
  accessKeyId: string;
  principalArn: string;
  action: `dsql:${TokenAction}`;
  clusterArn: string;
  region: string;
}

/** Everything a session needs from its server. */
export interface SessionContext {
  secureContext: SecureContext;
  clusterFor(hostname: string): EndpointCluster | undefined;
  backendFor(cluster: EndpointCluster): BackendTarget;
  credentials(accessKeyId: string): KnownCredentials | undefined;
  authorize(request: AuthorizeRequest): Promise<boolean>;
  mappingsFor(cluster: EndpointCluster, pgRoleName: string): Promise<string[]>;
  judge(sql: string): Verdict[];
  limits: EndpointLimits;
  now(): Date;
  /** Per backend database: bumped when a transaction with DDL commits (for OC001). */
  schemaVersions: Map<string, number>;
  /** Per cluster id: open sessions (for the connections limit). */
  connections: Map<string, number>;
  /** Live sessions, so the server can close them. */
  sockets: Set<Socket>;
  /** The share (0–100) of connections an injected fault refuses now (an AWS FIS experiment). */
  impairment(cluster: EndpointCluster): number;
  /** Per cluster id: its open sessions' sockets, so an injected fault can break them. */
  clusterSessions: Map<string, Set<TLSSocket>>;
}

/** Fails to parse on PostgreSQL, so the backend raises an error exactly where a refusal goes. */
const POISON = 'dsql endpoint refused this statement';

const OC000 = 'mutation conflicts with another transaction, retry as needed (OC000)';
const OC001 = 'schema has been updated by another transaction, please retry: (OC001)';
/** Startup parameters passed on to the backend; the rest (e.g. `options`) could change server settings. */
const PASSED_PARAMETERS = [
  'application_name',
  'client_encoding',
  'DateStyle',
  'TimeZone',
  'extra_float_digits',
];

const fatal = (errorCode: string, message: string): ErrorFields => ({
  severity: 'FATAL',
  code: errorCode,
  message,
});
const refusal = (errorCode: string, message: string): ErrorFields => ({
  severity: 'ERROR',
  code: errorCode,
  message,
});

export async function serveClient(raw: Socket, context: SessionContext): Promise<void> {
  context.sockets.add(raw);
  raw.on('error', () => {});
  raw.once('close', () => context.sockets.delete(raw));
  try {
    const secure = await negotiateTls(raw, context);
    if (secure) await startSession(secure, context);
  } catch {
    raw.destroy();
  }
}

/** Answers SSLRequest with TLS; a plaintext StartupMessage is refused as on DSQL. */
async function negotiateTls(raw: Socket, context: SessionContext): Promise<TLSSocket | undefined> {
  const inbox = new Inbox(raw, true);
  for (;;) {
    const packet = await inbox.next();
    if (!packet) return undefined;
    const { code: requestCode } = readStartupPacket(packet);
    if (requestCode === GSSENC_REQUEST_CODE) {
      raw.write(WILL_NOT);
      continue;
    }
    if (requestCode === SSL_REQUEST_CODE) {
      inbox.detach();
      raw.write(WILL_DO_TLS);
      const secure = new TLSSocket(raw, { isServer: true, secureContext: context.secureContext });
      secure.on('error', () => raw.destroy());
      await new Promise<void>((resolve, reject) => {
        secure.once('secure', resolve);
        secure.once('error', reject);
        secure.once('close', () => reject(new Error('closed during the TLS handshake')));
      });
      return secure;
    }
    if (requestCode !== CANCEL_REQUEST_CODE) {
      raw.end(errorResponse(fatal('28000', 'SSL/TLS is required: connect with sslmode=require or stronger')));
    } else raw.end();
    return undefined;
  }
}

async function startSession(client: TLSSocket, context: SessionContext): Promise<void> {
  const inbox = new Inbox(client, true);
  const refuse = (error: ErrorFields) => {
    client.end(errorResponse(error));
  };
  const startup = await inbox.next();
  if (!startup) return;
  const { code: version, parameters } = readStartupPacket(startup);
  if (version !== PROTOCOL_3)
    return refuse(fatal('08P01', `unsupported frontend protocol ${version >> 16}.${version & 0xffff}`));
  const user = parameters.user ?? '';
  const database = parameters.database || user;
  const servername = typeof client.servername === 'string' ? client.servername : '';
  const cluster = servername ? context.clusterFor(servername) : undefined;
  if (!cluster) {
    return refuse(
      fatal(
        '28000',
        servername
          ? `no cluster endpoint is named ${servername}`
          : 'connect with the cluster endpoint as host name (TLS SNI): the endpoint serves several clusters',
      ),
    );
  }
  if (database !== 'postgres') return refuse(fatal('3D000', `database "${database}" does not exist`));
  const impairment = context.impairment(cluster);
  if (impairment > 0 && Math.random() * 100 < impairment) {
    return refuse(
      fatal('08006', `connection failure on ${cluster.hostname}: injected by an AWS FIS experiment`),
    );
  }

  client.write(authenticationCleartextPassword());
  inbox.untyped = false;
  const password = await inbox.next();
  if (!password) return;
  if (password.type !== code('p')) return refuse(fatal('08P01', 'expected a password message'));
  const denial = await authenticate(cluster, user, readCString(password.body), context);
  if (denial) return refuse(denial);

  const open = context.connections.get(cluster.id) ?? 0;
  if (open >= context.limits.connectionsPerCluster) {
    return refuse(
      fatal('53300', `too many connections: the cluster allows ${context.limits.connectionsPerCluster}`),
    );
  }
  context.connections.set(cluster.id, open + 1);
  const sessions = context.clusterSessions.get(cluster.id) ?? new Set<TLSSocket>();
  context.clusterSessions.set(cluster.id, sessions);
  sessions.add(client);
  client.once('close', () => {
    context.connections.set(cluster.id, (context.connections.get(cluster.id) ?? 1) - 1);
    sessions.delete(client);
  });
  const target = context.backendFor(cluster);
  const backend = await openBackend(target, user, parameters);
  if ('error' in backend) return refuse(backend.error);
  client.write(backend.authenticationOk);
  new Relay(client, inbox, backend.socket, backend.inbox, target, context).run();
}

/** Why the token does not let `user` in, or undefined when it does. */
async function authenticate(
  cluster: EndpointCluster,
  user: string,
  token: string,
  context: SessionContext,
): Promise<ErrorFields | undefined> {
  const action: TokenAction = user === 'admin' ? 'DbConnectAdmin' : 'DbConnect';
  const check = await checkToken(token, {
    hostname: cluster.hostname,
    region: cluster.region,
    action,
    credentials: context.credentials,
    now: context.now(),
  });
  if (!check.ok) return fatal('28P01', `password authentication failed for user "${user}": ${check.message}`);
  const { accessKeyId, principalArn } = check;
  const allowed = await context.authorize({
    accessKeyId,
    principalArn,
    action: `dsql:${action}`,
    clusterArn: cluster.arn,
    region: cluster.region,
  });
  if (!allowed) {
    return fatal('28000', `${principalArn} is not authorized to perform dsql:${action} on ${cluster.arn}`);
  }
  if (user === 'admin') return undefined;
  const roleArn = roleArnOf(principalArn);
  const mapped = await context.mappingsFor(cluster, user);
  if (!mapped.includes(roleArn)) {
    return fatal(
      '28000',
      `role "${user}" has no IAM mapping to ${roleArn} (AWS IAM GRANT ${user} TO '<role arn>')`,
    );
  }
  return undefined;
}

/** Logs into the backend as the client's role (trust, or the target's password). */
async function openBackend(
  target: BackendTarget,
  user: string,
  parameters: Record<string, string>,
): Promise<{ socket: Socket; inbox: Inbox; authenticationOk: Buffer } | { error: ErrorFields }> {
  const socket = target.host.startsWith('/')
    ? connect({ path: `${target.host}/.s.PGSQL.${target.port}` })
    : connect({ host: target.host, port: target.port });
  socket.setNoDelay(true);
  const failed = await new Promise<Error | undefined>((resolve) => {
    socket.once('connect', () => resolve(undefined));
    socket.once('error', resolve);
  });
  if (failed) return { error: fatal('08006', `the cluster's database is unreachable: ${failed.message}`) };
  socket.on('error', () => {});
  const inbox = new Inbox(socket, false);
  const passed = Object.fromEntries(
    PASSED_PARAMETERS.filter((name) => parameters[name]).map((name) => [name, parameters[name]]),
  );
  socket.write(serialize.startup({ ...passed, user, database: target.database }));
  for (;;) {
    const message = await inbox.next();
    if (!message) return { error: fatal('08006', "the cluster's database closed the connection") };
    if (message.type === code('E')) {
      socket.destroy();
      const fields = readErrorFields(message.body);
      return { error: fatal(fields.get('C') ?? 'XX000', fields.get('M') ?? 'backend error') };
    }
    if (message.type !== code('R')) continue;
    const method = message.body.readInt32BE(0);
    if (method === 0) {
      // AuthenticationOk and what follows (ParameterStatus, BackendKeyData, ReadyForQuery) go to the client.
      return { socket, inbox, authenticationOk: message.raw };
    }
    if (method === 3 && target.password !== undefined) socket.write(serialize.password(target.password));
    else if (method === 5 && target.password !== undefined) {
      const inner = createHash('md5')
        .update(target.password + user)
        .digest('hex');
      const salt = message.body.subarray(4, 8);
      socket.write(serialize.password(`md5${createHash('md5').update(inner).update(salt).digest('hex')}`));
    } else {
      socket.destroy();
      return {
        error: fatal(
          '08006',
          `the cluster's database asks for an authentication method (${method}) the endpoint does not use`,
        ),
      };
    }
  }
}

type ForwardVerdict = Extract<Verdict, { action: 'forward' }>;

interface Transaction {
  startedAt: number;
  schemaVersion: number;
  ddl: number;
  dml: boolean;
  bytes: number;
}

/** What the front does to the backend's replies of the current cycle (until ReadyForQuery). */
interface ReplyRewrite {
  /** Replace the next ErrorResponse (the POISON's) with this one. */
  error?: ErrorFields;
  /** Replace the next CommandComplete with this error (a COMMIT turned into ROLLBACK). */
  completeAsError?: ErrorFields;
}

/** COPY data the client streams while the backend waits for it, before any ReadyForQuery. */
const isCopy = (type: number) => type === code('d') || type === code('c') || type === code('f');

/**
 * The relay's data path is synchronous: a received chunk's messages are judged (verdicts memoized,
 * see server.ts) and forwarded in the same tick, and what it writes to each side goes out as one
 * write per chunk (WriteBatch), so an allowed statement costs no re-encoding, no promise per message
 * and no write per message.
 */
class Relay {
  private status: 'I' | 'T' | 'E' = 'I';
  private transaction: Transaction | undefined;
  private rewrite: ReplyRewrite = {};
  private cycleFailed = false;
  private lastTag = '';
  /**
   * A Query or Sync went to the backend and its ReadyForQuery has not come back: the client's next
   * messages are held, since their verdicts depend on the transaction status it reports.
   */
  private cycleOpen = false;
  private held: Message[] = [];
  /**
   * The forwarded verdicts of each prepared statement, by name, and whether its Parse has already
   * counted its next execution: a Bind without a new Parse runs it again, and DSQL's rules count
   * every execution.
   */
  private readonly prepared = new Map<string, { verdicts: ForwardVerdict[]; counted: boolean }>();
  private readonly toBackend: WriteBatch;
  private readonly toClient: WriteBatch;
  private readonly databaseKey: string;
  private lifetime: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly client: TLSSocket,
    private readonly clientInbox: Inbox,
    private readonly backend: Socket,
    private readonly backendInbox: Inbox,
    target: BackendTarget,
    private readonly context: SessionContext,
  ) {
    this.databaseKey = `${target.host}:${target.port}/${target.database}`;
    this.toBackend = new WriteBatch(backend);
    this.toClient = new WriteBatch(client);
  }

  run(): void {
    this.lifetime = setTimeout(() => {
      const minutes = this.context.limits.connectionLifetimeMs / 60_000;
      this.close(
        fatal(
          '08006',
          `connection closed: the maximum connection lifetime of ${minutes} minutes was reached`,
        ),
      );
    }, this.context.limits.connectionLifetimeMs);
    for (const socket of [this.client, this.backend]) {
      socket.once('end', () => this.close());
      socket.once('close', () => this.close());
    }
    this.backendInbox.consume((messages) => this.fromBackend(messages));
    this.clientInbox.consume((messages) => this.fromClient(messages));
  }

  private close(error?: ErrorFields): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.lifetime);
    this.toClient.flush();
    this.toBackend.flush();
    if (error) this.client.end(errorResponse(error));
    else this.client.end();
    this.backend.end();
  }

  private fromClient(messages: Message[]): void {
    for (const message of messages) {
      // COPY data flows while the cycle is open: pass it straight on.
      if (isCopy(message.type)) this.toBackend.add(message.raw);
      else this.held.push(message);
    }
    this.pump();
  }

  /** Forwards held client messages up to the next Query or Sync, then sends them in one write. */
  private pump(): void {
    let taken = 0;
    while (taken < this.held.length && !this.cycleOpen && !this.closed) this.forward(this.held[taken++]);
    this.held = taken === this.held.length ? [] : this.held.slice(taken);
    if (!this.closed) this.toBackend.flush();
  }

  private forward(message: Message): void {
    switch (message.type) {
      case code('Q'): {
        const sql = readCString(message.body);
        const decision = this.decide(sql, message.body.length);
        this.cycleOpen = true;
        if ('error' in decision) {
          this.rewrite.error = decision.error;
          this.toBackend.add(serialize.query(POISON));
        } else if (decision.commitAs === 'oc001') {
          this.rewrite.completeAsError = refusal('40001', OC001);
          this.toBackend.add(serialize.query('ROLLBACK'));
        } else {
          this.toBackend.add(decision.sql === sql ? message.raw : serialize.query(decision.sql));
        }
        return;
      }
      case code('P'): {
        const { name, text } = readParse(message.body);
        const decision = this.decide(text, message.body.length, true);
        if ('error' in decision) {
          this.prepared.delete(name);
          this.rewrite.error = decision.error;
          this.toBackend.add(serialize.parse({ name, text: POISON }));
        } else {
          this.prepared.set(name, { verdicts: decision.verdicts, counted: true });
          this.toBackend.add(
            decision.sql === text ? message.raw : reparse(message, name, text, decision.sql),
          );
        }
        return;
      }
      case code('B'): {
        const statement = this.prepared.get(readBind(message.body).statement);
        if (statement && !statement.counted) {
          // Executed again without a Parse: the transaction's rules count this execution too.
          const decision = this.account(statement.verdicts, message.body.length);
          if ('error' in decision) {
            this.rewrite.error = decision.error;
            this.toBackend.add(serialize.parse({ name: '', text: POISON }));
            return;
          }
        } else if (this.transaction) {
          // Bound parameters count toward the transaction's written bytes (approximation, see decide()).
          this.transaction.bytes += message.body.length;
        }
        if (statement) statement.counted = false;
        this.toBackend.add(message.raw);
        return;
      }
      case code('S'):
        this.cycleOpen = true;
        this.toBackend.add(message.raw);
        return;
      case code('X'):
        this.toBackend.add(message.raw);
        this.close();
        return;
      default:
        this.toBackend.add(message.raw);
    }
  }

  /**
   * DSQL's per-transaction rules for one Query string or Parse. The 10 MiB limit is approximated
   * by the bytes of statement texts and bound parameters sent in the transaction (DSQL counts
   * written data, which the front cannot see).
   */
  private decide(
    sql: string,
    size: number,
    single = false,
  ): { error: ErrorFields } | { sql: string; verdicts: ForwardVerdict[]; commitAs?: 'oc001' } {
    const verdicts = this.context.judge(sql);
    const refused = verdicts.find((verdict) => verdict.action === 'refuse');
    if (refused) return { error: refusal(refused.sqlstate, refused.message) };
    const forwarded = verdicts.filter((verdict): verdict is ForwardVerdict => verdict.action === 'forward');
    if (single && forwarded.length > 1) {
      return { error: refusal('42601', 'cannot insert multiple commands into a prepared statement') };
    }
    const decision = this.account(forwarded, size);
    if ('error' in decision) return decision;
    return { ...decision, sql: forwarded.map((verdict) => verdict.sql).join(';\n'), verdicts: forwarded };
  }

  /** The transaction's rules and limits for one execution of `forwarded` (`size` bytes sent). */
  private account(
    forwarded: ForwardVerdict[],
    size: number,
  ): { error: ErrorFields } | { commitAs?: 'oc001' } {
    const { limits } = this.context;
    const open = this.transaction;
    const now = this.context.now().getTime();
    if (this.status === 'T' && open && now - open.startedAt > limits.transactionAgeMs) {
      return {
        error: refusal('54000', `transaction age limit of ${limits.transactionAgeMs / 1000}s exceeded`),
      };
    }
    if (
      forwarded.length === 1 &&
      forwarded[0].transaction === 'commit' &&
      this.status === 'T' &&
      open &&
      (this.context.schemaVersions.get(this.databaseKey) ?? 0) !== open.schemaVersion
    ) {
      return { commitAs: 'oc001' };
    }
    const next: Transaction = open
      ? { ...open }
      : {
          startedAt: now,
          schemaVersion: this.context.schemaVersions.get(this.databaseKey) ?? 0,
          ddl: 0,
          dml: false,
          bytes: 0,
        };
    let inBlock = this.status !== 'I';
    for (const verdict of forwarded) {
      if (verdict.transaction === 'begin') {
        inBlock = true;
        continue;
      }
      if (verdict.transaction) {
        inBlock = false;
        Object.assign(next, { ddl: 0, dml: false, bytes: 0 });
        continue;
      }
      if (verdict.outsideTransactionOnly && inBlock) {
        return { error: refusal('25001', 'this statement cannot run inside a transaction block') };
      }
      if (verdict.ddl) {
        if (next.dml) return { error: mixRefusal() };
        if (next.ddl >= 1) {
          return {
            error: refusal(
              '0A000',
              'unsupported operation: only one DDL statement is allowed per transaction',
            ),
          };
        }
        next.ddl += 1;
      }
      if (verdict.dml) {
        if (next.ddl > 0) return { error: mixRefusal() };
        next.dml = true;
      }
    }
    next.bytes += size;
    if (next.bytes > limits.transactionBytes) {
      return {
        error: refusal('54000', `transaction size limit of ${limits.transactionBytes} bytes exceeded`),
      };
    }
    this.transaction = next;
    return {};
  }

  private fromBackend(messages: Message[]): void {
    for (const message of messages) {
      if (this.closed) return;
      this.fromBackendMessage(message);
    }
    this.toClient.flush();
    // A ReadyForQuery in this chunk ended the cycle: forward what the client sent meanwhile.
    this.pump();
  }

  private fromBackendMessage(message: Message): void {
    const rewrite = this.rewrite;
    if (message.type === code('Z')) {
      this.readyForQuery(message);
      return;
    }
    if (message.type === code('E')) {
      this.cycleFailed = true;
      if (rewrite.error) {
        this.toClient.add(errorResponse(rewrite.error));
        rewrite.error = undefined;
        return;
      }
      const fields = readErrorFields(message.body);
      this.toClient.add(fields.get('C') === '40001' ? withMessage(message.body, OC000) : message.raw);
      return;
    }
    if (message.type === code('C')) {
      const tag = readCString(message.body);
      this.lastTag = tag;
      if (rewrite.completeAsError) {
        this.toClient.add(errorResponse(rewrite.completeAsError));
        rewrite.completeAsError = undefined;
        return;
      }
    }
    this.toClient.add(message.raw);
  }

  private readyForQuery(message: Message): void {
    const status = String.fromCharCode(message.body[0]) as 'I' | 'T' | 'E';
    if (status === 'I') {
      const transaction = this.transaction;
      if (transaction && transaction.ddl > 0 && !this.cycleFailed && this.lastTag !== 'ROLLBACK') {
        this.context.schemaVersions.set(
          this.databaseKey,
          (this.context.schemaVersions.get(this.databaseKey) ?? 0) + 1,
        );
      }
      this.transaction = undefined;
    }
    this.status = status;
    this.rewrite = {};
    this.cycleFailed = false;
    this.lastTag = '';
    this.cycleOpen = false;
    this.toClient.add(message.raw);
  }
}

const mixRefusal = () =>
  refusal('0A000', 'unsupported operation: DDL and DML are not allowed in the same transaction');

/** The Parse message with its query text replaced, its statement name and parameter types kept. */
function reparse(message: Message, name: string, text: string, sql: string): Buffer {
  const typesOffset = Buffer.byteLength(name) + 1 + Buffer.byteLength(text) + 1;
  const body = Buffer.concat([Buffer.from(`${name}\0${sql}\0`), message.body.subarray(typesOffset)]);
  const head = Buffer.alloc(5);
  head[0] = code('P');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
