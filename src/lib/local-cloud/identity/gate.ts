/**
 * The local cloud's front door: who signed a request (sigv4.ts against the credential store), and may
 * that principal make the call (actions.ts's checks, evaluated by evaluate.ts against the caller's
 * identity policies and the resource's policy). The server asks it before every call; Lambda and
 * EventBridge ask it for role sessions when they act as a role.
 */
import { accessDeniedMessage, checksFor, type OperationInput } from './actions.js';
import { authorize, type Caller } from './evaluate.js';
import type {
  AssumableRole,
  AssumeRoleRequest,
  CredentialStore,
  KeyOwner,
  RoleSession,
} from './principals.js';
import { type SignatureRefusal, type SignedRequest, verifySignature } from './sigv4.js';

/** What the gate reads from the services' state: roles and resource policies. */
export interface IdentityLookups {
  /** The role an ARN names, with its trust policy and inline policies, when it exists. */
  role(roleArn: string): (AssumableRole & { policies: string[] }) | undefined;
  /**
   * The resource-based policy of a resource (a function's policy), when it has one: JSON text, which the
   * evaluator compiles once per distinct text (a document object built per call would be compiled per call).
   */
  resourcePolicy(resourceArn: string): string | undefined;
}

export type Verification =
  | { ok: true; owner: KeyOwner; region: string; service: string }
  | { ok: false; refusal: SignatureRefusal; message: string };

/** A denied check: the message AWS gives for it. */
export interface Denial {
  action: string;
  resource: string;
  message: string;
}

const sourceContext = (source: { sourceAccount: string; sourceArn?: string }) => ({
  'aws:SourceAccount': source.sourceAccount,
  ...(source.sourceArn ? { 'aws:SourceArn': source.sourceArn } : {}),
});

type Check = { action: string; resource: string; context?: Record<string, string | string[] | undefined> };

/** A check with the keys its caller's session carries (a function's `lambda:SourceFunctionArn`). */
function withSession(check: Check, owner: KeyOwner): Check {
  if (!('context' in owner) || !owner.context) return check;
  return { ...check, context: { ...check.context, ...owner.context } };
}

/** The caller when enforcement is off (the bench's baseline): the account root, unchecked. */
function rootOwner(accountId: string): KeyOwner {
  return { caller: { kind: 'root', accountId, arn: `arn:aws:iam::${accountId}:root` } };
}

export class IdentityGate {
  constructor(
    readonly credentials: CredentialStore,
    private readonly lookups: IdentityLookups,
    private readonly accountId: string,
    /** false: no signature is verified and every call is allowed (for the bench's baseline only). */
    readonly enforced = true,
  ) {}

  async verify(request: SignedRequest, scope: { region: string; service: string } | undefined, now: number) {
    if (!this.enforced) {
      return scope
        ? ({ ok: true, owner: rootOwner(this.accountId), ...scope } satisfies Verification)
        : ({ ok: false, refusal: 'MissingAuthentication', message: 'Missing Authentication Token' } as const);
    }
    const verified = await verifySignature(request, (key) => this.credentials.signingSecret(key), now);
    if (!verified.ok) return verified;
    const owner = this.credentials.ownerOf(verified.accessKeyId);
    if (!owner)
      return {
        ok: false,
        refusal: 'UnknownAccessKey',
        message: 'The security token included in the request is invalid.',
      } as const;
    return { ok: true, owner, region: verified.region, service: verified.service } satisfies Verification;
  }

  /** The identity-based policies of a verified principal. */
  private identityPolicies(owner: KeyOwner): string[] {
    if ('policies' in owner) return owner.policies;
    if (owner.caller.kind === 'role-session') return this.lookups.role(owner.caller.roleArn)?.policies ?? [];
    return [];
  }

  /** The first check of the call its caller may not make, or undefined when every one is allowed. */
  denial(
    owner: KeyOwner,
    call: { service: string; operation: string; input: OperationInput; region: string },
  ): Denial | undefined {
    if (!this.enforced) return undefined;
    const checks = checksFor(call.service, call.operation, call.input, {
      region: call.region,
      accountId: this.accountId,
    });
    if (!checks) {
      const check = { action: `${call.service}:${call.operation}`, resource: '*' };
      return {
        ...check,
        message: accessDeniedMessage(owner.caller.arn, check, { explicit: false, missing: 'identity' }),
      };
    }
    for (const check of checks) {
      const denied = this.deny(owner.caller, withSession(check, owner), this.identityPolicies(owner));
      if (denied) return denied;
    }
    return undefined;
  }

  /** Is `caller` (with these identity policies) allowed `check`? The denial when not. */
  private deny(
    caller: Caller & { arn: string },
    check: { action: string; resource: string; context?: Record<string, string | string[] | undefined> },
    identity: string[],
  ): Denial | undefined {
    const resource = this.lookups.resourcePolicy(check.resource);
    const decision = authorize(
      { caller, ...check },
      { identity, ...(resource ? { resource } : {}), resourceAccount: this.accountId },
    );
    if (decision.effect === 'Allow') return undefined;
    return {
      action: check.action,
      resource: check.resource,
      message: accessDeniedMessage(caller.arn, check, decision),
    };
  }

  /** Does the key's owner (a DSQL token's signer) may `action` on `resource`? The denial when not. */
  denialFor(
    accessKeyId: string,
    action: string,
    resource: string,
    region: string,
    context: Record<string, string | string[]> = {},
  ): Denial | undefined {
    if (!this.enforced) return undefined;
    const owner = this.credentials.ownerOf(accessKeyId);
    if (!owner) {
      return { action, resource, message: 'The security token included in the request is invalid.' };
    }
    return this.deny(
      owner.caller,
      withSession({ action, resource, context: { ...context, 'aws:RequestedRegion': region } }, owner),
      this.identityPolicies(owner),
    );
  }

  /**
   * Session credentials for a service acting as `roleArn` (Lambda for a function, EventBridge for a
   * target), or why not: the role does not exist, or its trust policy does not let that service assume it
   * with the given source account and ARN.
   */
  assumeRole(roleArn: string, request: AssumeRoleRequest, now: number): RoleSession | { refused: string } {
    const role = this.lookups.role(roleArn);
    if (!role) return { refused: `The role ${roleArn} does not exist.` };
    return this.credentials.assumeRole(role, request, now);
  }

  /** Would the role's trust policy let `request.service` assume it (without issuing a session)? */
  trusts(roleArn: string, request: Omit<AssumeRoleRequest, 'sessionName'>): boolean {
    const role = this.lookups.role(roleArn);
    if (!role) return false;
    return (
      authorize(
        {
          caller: { kind: 'service', service: request.service },
          action: 'sts:AssumeRole',
          resource: roleArn,
          context: sourceContext(request),
        },
        { resource: role.trustPolicy, resourceAccount: this.accountId },
      ).effect === 'Allow'
    );
  }

  /**
   * May an AWS service (events.amazonaws.com delivering to a function) make `action` on `resource` on
   * behalf of `sourceArn`? Only the resource's policy can allow a service principal.
   */
  serviceAllowed(
    service: string,
    action: string,
    resource: string,
    source: { sourceAccount: string; sourceArn: string },
  ): boolean {
    const policy = this.lookups.resourcePolicy(resource);
    if (!policy) return false;
    return (
      authorize(
        { caller: { kind: 'service', service }, action, resource, context: sourceContext(source) },
        { resource: policy, resourceAccount: this.accountId },
      ).effect === 'Allow'
    );
  }
}
