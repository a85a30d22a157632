/** EventBridge buses: `<stack>` in each region, tagged with the ownership tag (its only desired property). */
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DescribeEventBusCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-eventbridge';
import { isAwsError } from '../errors.js';
import { isOurs, tagsFromList, tagsToList } from '../stack.js';
import { ownershipTags } from './desired.js';
import { foreignDetail, ownershipError } from './support.js';
import type { ResourceModule, ResourceRef, Runtime } from './types.js';

/**
 * Reads an EventBridge resource's tags (buses and rules alike): a `foreign` observation when it does
 * not carry the stack's ownership tag, undefined when it is ours.
 */
export async function foreignEventBridgeResource(
  rt: Runtime,
  ref: ResourceRef,
  arn: string,
  what: string,
): Promise<{ state: 'foreign'; detail: string } | undefined> {
  const { Tags } = await rt.clients
    .events(ref.region)
    .send(new ListTagsForResourceCommand({ ResourceARN: arn }));
  const tags = tagsFromList(Tags);
  if (isOurs(tags, rt.stack)) return undefined;
  return { state: 'foreign', detail: foreignDetail(`${what} ${ref.name} in ${ref.region}`, rt.stack, tags) };
}

export const eventBus: ResourceModule<{ arn: string }> = {
  async observe(rt, ref) {
    try {
      const bus = await rt.clients.events(ref.region).send(new DescribeEventBusCommand({ Name: ref.name }));
      const arn = bus.Arn as string;
      const foreign = await foreignEventBridgeResource(rt, ref, arn, 'Event bus');
      if (foreign) return foreign;
      return { state: 'present', value: { arn }, facts: { arn }, status: 'exists' };
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return { state: 'absent' };
      throw error;
    }
  },

  diff(_rt, _ref, observed) {
    return observed.state === 'present'
      ? { action: 'noop', reason: 'up to date' }
      : { action: 'create', reason: 'absent' };
  },

  async converge(rt, ref, observed) {
    if (observed.state === 'present') return { arn: observed.value.arn };
    try {
      const { EventBusArn } = await rt.clients
        .events(ref.region)
        .send(new CreateEventBusCommand({ Name: ref.name, Tags: tagsToList(ownershipTags(rt.stack)) }));
      return { arn: EventBusArn };
    } catch (error) {
      // A previous, interrupted run created it: adopt it if it is ours.
      if (!isAwsError(error, 'ResourceAlreadyExistsException')) throw error;
      const again = await eventBus.observe(rt, ref);
      if (again.state === 'foreign') throw ownershipError(ref, again.detail, rt.stack);
      if (again.state !== 'present') throw error;
      return again.facts;
    }
  },

  async remove(rt, ref, observed) {
    if (observed.state !== 'present') return false;
    try {
      await rt.clients.events(ref.region).send(new DeleteEventBusCommand({ Name: ref.name }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return false;
      throw error;
    }
  },
};
