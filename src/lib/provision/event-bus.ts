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
import type { ProvisionContext, ResourceModule, ResourceRef } from './types.js';

/**
 * Reads an EventBridge resource's tags (buses and rules alike): a `foreign` observation when it does
 * not carry the stack's ownership tag, undefined when it is ours.
 */
export async function foreignEventBridgeResource(
  ctx: ProvisionContext,
  ref: ResourceRef,
  arn: string,
  what: string,
): Promise<{ state: 'foreign'; detail: string } | undefined> {
  const { Tags } = await ctx.clients
    .events(ref.region)
    .send(new ListTagsForResourceCommand({ ResourceARN: arn }));
  const tags = tagsFromList(Tags);
  if (isOurs(tags, ctx.stack)) return undefined;
  return { state: 'foreign', detail: foreignDetail(`${what} ${ref.name} in ${ref.region}`, ctx.stack, tags) };
}

export const eventBus: ResourceModule<{ arn: string }> = {
  observePhase: 'first',
  deletedByDown: true,

  async observe(ctx, ref) {
    try {
      const bus = await ctx.clients.events(ref.region).send(new DescribeEventBusCommand({ Name: ref.name }));
      const arn = bus.Arn as string;
      const foreign = await foreignEventBridgeResource(ctx, ref, arn, 'Event bus');
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

  async converge(ctx, ref, observed) {
    if (observed.state === 'present') return { arn: observed.value.arn };
    try {
      const { EventBusArn } = await ctx.clients
        .events(ref.region)
        .send(new CreateEventBusCommand({ Name: ref.name, Tags: tagsToList(ownershipTags(ctx.stack)) }));
      return { arn: EventBusArn };
    } catch (error) {
      // A previous, interrupted run created it: adopt it if it is ours.
      if (!isAwsError(error, 'ResourceAlreadyExistsException')) throw error;
      const again = await eventBus.observe(ctx, ref);
      if (again.state === 'foreign') throw ownershipError(ref, again.detail, ctx.stack);
      if (again.state !== 'present') throw error;
      return again.facts;
    }
  },

  async remove(ctx, ref, observed) {
    if (observed.state !== 'present') return false;
    try {
      await ctx.clients.events(ref.region).send(new DeleteEventBusCommand({ Name: ref.name }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return false;
      throw error;
    }
  },
};
