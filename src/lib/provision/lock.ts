/**
 * One `up` or `down` of a stack at a time. The lock is an IAM role `<stack>-lock`: CreateRole is
 * atomic (EntityAlreadyExists for the second caller), works before any other resource of the stack
 * exists, and needs no state outside AWS. Its tags say who holds it and until when; its trust policy
 * only denies, so nobody can assume it. A holder that died is taken over: on the same host when its
 * process is gone, anywhere once the expiry has passed. The second command waits (bounded, shown).
 */
import { hostname } from 'node:os';
import { CreateRoleCommand, DeleteRoleCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import type { AwsClients } from '../aws-clients.js';
import { DsqlctlError, isAwsError, WaitTimeoutError } from '../errors.js';
import { sleepUnlessInterrupted, throwIfInterrupted } from '../interrupt.js';
import { STACK_TAG, stackNames, tagsFromList } from '../stack.js';
import { waitLimitSeconds } from './wait.js';

const OWNER_TAG = 'dsqlctl:lock-owner';
const EXPIRES_TAG = 'dsqlctl:lock-expires';
/** Longer than any up or down (their waits are bounded well below it). */
const LOCK_TTL_MS = 60 * 60 * 1000;
const POLL_MS = 250;

const TRUST_NOBODY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

interface Holder {
  owner: string;
  expires: number;
}

/** "up, pid 123 on host" — read back to tell whether the holder is still alive. */
function ownerOf(operation: string): string {
  return `${operation} pid ${process.pid} on ${hostname()}`;
}

function isDead(owner: string): boolean {
  const match = /pid (\d+) on (.+)$/.exec(owner);
  if (!match || match[2] !== hostname()) return false;
  try {
    process.kill(Number(match[1]), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function readHolder(clients: AwsClients, name: string): Promise<Holder | undefined> {
  try {
    const { Role } = await clients.iam().send(new GetRoleCommand({ RoleName: name }));
    const tags = tagsFromList(Role?.Tags);
    return { owner: tags[OWNER_TAG] ?? 'unknown', expires: Date.parse(tags[EXPIRES_TAG] ?? '') || 0 };
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntityException', 'NoSuchEntity')) return undefined;
    throw error;
  }
}

async function deleteLock(clients: AwsClients, name: string): Promise<void> {
  await clients
    .iam()
    .send(new DeleteRoleCommand({ RoleName: name }))
    .catch((error: unknown) => {
      if (!isAwsError(error, 'NoSuchEntityException', 'NoSuchEntity')) throw error;
    });
}

/**
 * A failed call on the lock role, saying it was the lock (not a resource of the stack); exit code and
 * advice still come from the cause (an AccessDenied is exit 3 with the permission to grant).
 */
function lockError(what: string, cause: unknown): DsqlctlError {
  return new DsqlctlError(what.charAt(0).toUpperCase() + what.slice(1), { cause });
}

/**
 * Takes the stack's lock, waiting while another live command holds it; returns its release.
 * `onWait` reports who holds it (shown to the operator).
 */
export async function acquireStackLock(
  clients: AwsClients,
  stack: string,
  operation: 'up' | 'down',
  onWait: (message: string) => void,
): Promise<() => Promise<void>> {
  const name = stackNames(stack).lockRole;
  const deadline = Date.now() + waitLimitSeconds('lock') * 1000;
  let shown = '';
  for (;;) {
    try {
      await clients.iam().send(
        new CreateRoleCommand({
          RoleName: name,
          AssumeRolePolicyDocument: TRUST_NOBODY,
          Description: `dsqlctl: lock of stack ${stack} (held while up or down runs)`,
          Tags: [
            { Key: STACK_TAG, Value: stack },
            { Key: OWNER_TAG, Value: ownerOf(operation) },
            { Key: EXPIRES_TAG, Value: new Date(Date.now() + LOCK_TTL_MS).toISOString() },
          ],
        }),
      );
      return () =>
        deleteLock(clients, name).catch((error: unknown) => {
          throw lockError(`releasing stack ${stack}'s lock (IAM role ${name}) failed`, error);
        });
    } catch (error) {
      if (!isAwsError(error, 'EntityAlreadyExistsException', 'EntityAlreadyExists'))
        throw lockError(`taking stack ${stack}'s lock (IAM role ${name}) failed`, error);
    }
    const holder = await readHolder(clients, name);
    if (holder && (isDead(holder.owner) || holder.expires < Date.now())) {
      // The holder died: its lock is stale. Two takers race on the CreateRole after it, as before.
      await deleteLock(clients, name);
      continue;
    }
    if (holder) {
      const message = `waiting for stack ${stack}'s lock, held by ${holder.owner}`;
      if (message !== shown) onWait(message);
      shown = message;
      if (Date.now() + POLL_MS > deadline) {
        throw new WaitTimeoutError(`Timed out ${message.replace('waiting', 'after waiting')}.`, {
          advice: `Run the same command again once it has finished (the lock expires at ${new Date(holder.expires).toISOString()}).`,
        });
      }
    }
    // An interrupted command stops waiting (it holds nothing yet).
    await sleepUnlessInterrupted(POLL_MS);
    throwIfInterrupted();
  }
}
