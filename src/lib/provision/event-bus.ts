/** EventBridge buses: `<stack>` in each region, tagged with the ownership tag (its only desired property). */
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DescribeEventBusCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-eventbridge';
import { isAwsError } from '../errors.js';
import { ownershipTags } from './desired.js';
import { foreignDetail, isOurs, ownershipError, tagsFromList, tagsToList } from './support.js';
import type { ResourceModule } from './types.js';

export const eventBus: ResourceModule<{ arn: string }> = {
  async observe(rt, ref) {
    const events = rt.clients.events(ref.region);
    try {
      const bus = await events.send(new DescribeEventBusCommand({ Name: ref.name }));
      const arn = bus.Arn as string;
      const tags = tagsFromList(
        (await events.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags,
      );
      if (!isOurs(tags, rt.stack)) {
        return {
          state: 'foreign',
          detail: foreignDetail(`Event bus ${ref.name} in ${ref.region}`, rt.stack, tags),
        };
      }
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
