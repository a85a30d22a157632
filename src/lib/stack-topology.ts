/**
 * Reads a deployed stack's topology (regions, witness) off its function role's tags, where `up`
 * records it: AWS is the only source of truth, so every command after `up` needs only `--stack`.
 */

import type { IAMClient } from '@aws-sdk/client-iam';
import { suggest } from './advice.js';
import { isAwsError, OwnershipError, UsageError } from './errors.js';
import { IAM_REGION } from './regions.js';
import { isOurs, STACK_TAG, stackNames, type Topology, tagsFromList, topologyFromTags } from './stack.js';
import type { Target } from './target.js';

/**
 * The stack's topology, or undefined when its function role does not exist (or carries no topology
 * tags yet). A role with the stack's name but not its ownership tag is refused: it is not ours.
 * `client`: an IAM client the caller already holds (and destroys); otherwise one is made for this read.
 */
export async function readStackTopology(
  target: Target,
  stack: string,
  client?: IAMClient,
): Promise<Topology | undefined> {
  const { IAMClient, GetRoleCommand } = await import('@aws-sdk/client-iam');
  const roleName = stackNames(stack).functionRole;
  const iam = client ?? new IAMClient(target.clientConfig(IAM_REGION));
  try {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
    const tags = tagsFromList(Role?.Tags);
    if (!isOurs(tags, stack)) {
      throw new OwnershipError(
        `IAM role ${roleName} exists but is not tagged ${STACK_TAG}=${stack}: it does not belong to stack "${stack}".`,
        { advice: 'Choose another --stack name, or remove the foreign role yourself.' },
      );
    }
    return topologyFromTags(tags);
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntityException', 'NoSuchEntity')) return undefined;
    throw error;
  } finally {
    if (!client) iam.destroy();
  }
}

/** The topology of a stack that must already be deployed; a clear usage error when it is not. */
export async function requireStackTopology(target: Target, stack: string): Promise<Topology> {
  const topology = await readStackTopology(target, stack);
  if (!topology) {
    throw new UsageError(`Stack "${stack}" not found — run ${suggest(`up --stack ${stack}`)}`, {
      advice: `No IAM role ${stackNames(stack).functionRole} with the stack's topology tags exists on the ${target.kind} target.`,
    });
  }
  return topology;
}
