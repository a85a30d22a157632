/**
 * The local cloud's credential store: the operator's access key (the account root by default, or an IAM
 * user limited to one policy document) and temporary role-session credentials issued to AWS services
 * acting as a role (Lambda running a function, EventBridge delivering to another bus, FIS). A session is
 * issued only when the role's trust policy lets that service principal `sts:AssumeRole`, with the
 * `aws:SourceAccount`/`aws:SourceArn` keys the service would send, so confused-deputy conditions hold.
 * The store is plain JSON (`toJSON`/`fromJSON`): the daemon keeps it in its state file.
 */
import { randomBytes } from 'node:crypto';
import { authorize, type Caller } from './evaluate.js';
import type { SigningSecret } from './sigv4.js';

/** The operator's key pair, and the IAM user it acts as (absent: the account root). */
export interface OperatorCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  user?: { name: string; policy: string };
}

/** Temporary credentials for a role, as STS hands them out (Lambda sets them as AWS_* variables). */
export interface RoleSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch ms. */
  expiresAt: number;
  roleArn: string;
  sessionName: string;
  /**
   * Condition keys the issuing service puts in the context of every call made with these credentials:
   * Lambda's `lambda:SourceFunctionArn` (docs: "Using source function ARN to control function access").
   */
  context?: Record<string, string>;
}

export interface CredentialStoreState {
  accountId: string;
  operator: OperatorCredentials;
  sessions: RoleSession[];
}

/** The role a service asks to act as: its ARN and trust policy (JSON, as IAM stores it). */
export interface AssumableRole {
  arn: string;
  trustPolicy: string;
}

/** A service's request to act as a role, with the condition keys that service sends. */
export interface AssumeRoleRequest {
  service: 'lambda.amazonaws.com' | 'events.amazonaws.com' | 'fis.amazonaws.com';
  sessionName: string;
  /** The account of the resource on whose behalf the service acts (the function's, the rule's). */
  sourceAccount: string;
  /** The resource on whose behalf it acts (the rule's ARN for EventBridge); Lambda sends none. */
  sourceArn?: string;
  durationSeconds?: number;
  /** Keys for the session's calls (RoleSession.context). */
  sessionContext?: Record<string, string>;
}

/** Who an access key belongs to, and which identity policies apply to it. */
export type KeyOwner =
  | { caller: Caller & { kind: 'root' } }
  | { caller: Caller & { kind: 'user' }; policies: string[] }
  | { caller: Caller & { kind: 'role-session' }; roleName: string; context?: Record<string, string> };

/** STS's default session length (AssumeRole DurationSeconds defaults to 3600). */
const DEFAULT_SESSION_SECONDS = 3600;
/** Expired sessions are kept this long so their use is answered ExpiredToken, not an unknown key. */
const EXPIRED_KEPT_MS = 60 * 60 * 1000;
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomKeyId(prefix: 'AKIA' | 'ASIA'): string {
  const bytes = randomBytes(16);
  return prefix + Array.from(bytes, (b) => KEY_ALPHABET[b % KEY_ALPHABET.length]).join('');
}

const randomSecret = () => randomBytes(30).toString('base64');

/** `arn:aws:iam::<acct>:role/path/name` → `name` (the last path segment). */
function roleNameOf(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf('/') + 1);
}

export class CredentialStore {
  private constructor(private readonly state: CredentialStoreState) {}

  /** A new store with a freshly generated operator key (acting as `user` when given). */
  static create(accountId: string, user?: OperatorCredentials['user']): CredentialStore {
    return new CredentialStore({
      accountId,
      operator: {
        accessKeyId: randomKeyId('AKIA'),
        secretAccessKey: randomSecret(),
        ...(user ? { user } : {}),
      },
      sessions: [],
    });
  }

  static fromJSON(state: CredentialStoreState): CredentialStore {
    return new CredentialStore({ ...state, operator: { ...state.operator }, sessions: [...state.sessions] });
  }

  toJSON(): CredentialStoreState {
    return this.state;
  }

  get operator(): OperatorCredentials {
    return this.state.operator;
  }

  /** Makes the operator act as the IAM user `user` (or as the root when undefined), keeping its key. */
  setOperatorUser(user: OperatorCredentials['user'] | undefined): void {
    const { accessKeyId, secretAccessKey } = this.state.operator;
    this.state.operator = { accessKeyId, secretAccessKey, ...(user ? { user } : {}) };
  }

  /** The secret for SigV4 verification; session keys carry their token and expiry. */
  signingSecret(accessKeyId: string): SigningSecret | undefined {
    const { operator } = this.state;
    if (accessKeyId === operator.accessKeyId) return { secretAccessKey: operator.secretAccessKey };
    const session = this.state.sessions.find((s) => s.accessKeyId === accessKeyId);
    return session
      ? {
          secretAccessKey: session.secretAccessKey,
          sessionToken: session.sessionToken,
          expiresAt: session.expiresAt,
        }
      : undefined;
  }

  /** The principal behind a (verified) access key. */
  ownerOf(accessKeyId: string): KeyOwner | undefined {
    const { accountId, operator } = this.state;
    if (accessKeyId === operator.accessKeyId) {
      if (!operator.user)
        return { caller: { kind: 'root', accountId, arn: `arn:aws:iam::${accountId}:root` } };
      return {
        caller: { kind: 'user', accountId, arn: `arn:aws:iam::${accountId}:user/${operator.user.name}` },
        policies: [operator.user.policy],
      };
    }
    const session = this.state.sessions.find((s) => s.accessKeyId === accessKeyId);
    if (!session) return undefined;
    const roleName = roleNameOf(session.roleArn);
    return {
      caller: {
        kind: 'role-session',
        accountId,
        arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${session.sessionName}`,
        roleArn: session.roleArn,
      },
      roleName,
      ...(session.context ? { context: session.context } : {}),
    };
  }

  /**
   * Issues session credentials for `role` to a service, or says why its trust policy refuses them
   * (IAM's wording when Lambda cannot assume a role: "The role defined for the function cannot be
   * assumed by Lambda." is the caller's to give).
   */
  assumeRole(
    role: AssumableRole,
    request: AssumeRoleRequest,
    now: number,
  ): RoleSession | { refused: string } {
    const decision = authorize(
      {
        caller: { kind: 'service', service: request.service },
        action: 'sts:AssumeRole',
        resource: role.arn,
        context: {
          'aws:SourceAccount': request.sourceAccount,
          ...(request.sourceArn ? { 'aws:SourceArn': request.sourceArn } : {}),
        },
      },
      { resource: role.trustPolicy, resourceAccount: this.state.accountId },
    );
    if (decision.effect === 'Deny') {
      return {
        refused: `${request.service} is not authorized to perform: sts:AssumeRole on resource: ${role.arn} (its trust policy ${decision.explicit ? 'denies it' : 'does not allow it'}).`,
      };
    }
    this.state.sessions = this.state.sessions.filter((s) => s.expiresAt + EXPIRED_KEPT_MS > now);
    const session: RoleSession = {
      accessKeyId: randomKeyId('ASIA'),
      secretAccessKey: randomSecret(),
      sessionToken: randomBytes(48).toString('base64'),
      expiresAt: now + (request.durationSeconds ?? DEFAULT_SESSION_SECONDS) * 1000,
      roleArn: role.arn,
      sessionName: request.sessionName,
      ...(request.sessionContext ? { context: request.sessionContext } : {}),
    };
    this.state.sessions.push(session);
    return session;
  }
}
