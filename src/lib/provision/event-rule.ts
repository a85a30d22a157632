/**
 * EventBridge rules on the stack's bus, in each region of a peered stack:
 *  - forward: events that originated HERE go to the peer region's bus (via the events role). Matching
 *    on `originRegion` keeps a forwarded event from being forwarded back (a second bus hop is refused).
 *  - deliver: events that originated in the PEER region go to the local function.
 */
import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  type Target as RuleTarget,
} from '@aws-sdk/client-eventbridge';
import { isAwsError } from '../errors.js';
import { TRANSACTION_EVENT } from '../function-contract.js';
import { tagsToList } from '../stack.js';
import { busArn, ids, ownershipTags, peerOf, type RuleRole } from './desired.js';
import { foreignEventBridgeResource } from './event-bus.js';
import { ownershipError, sameJson, updateOrNoop } from './support.js';
import type { ProvisionContext, ResourceModule, ResourceRef } from './types.js';

interface ObservedRule {
  arn: string;
  pattern: unknown;
  state: string;
  targets: RuleTarget[];
}

const TARGET_ID = { forward: 'peer-bus', deliver: 'function' } as const;

function roleOf(ref: ResourceRef): RuleRole {
  return ref.id.endsWith(':forward') ? 'forward' : 'deliver';
}

export function eventPattern(originRegion: string) {
  return {
    source: [TRANSACTION_EVENT.source],
    'detail-type': [TRANSACTION_EVENT.detailType],
    detail: { originRegion: [originRegion] },
  };
}

function desired(ctx: ProvisionContext, ref: ResourceRef) {
  const role = roleOf(ref);
  const peer = peerOf(ctx.topology, ref.region) as string;
  const pattern = eventPattern(role === 'forward' ? ref.region : peer);
  let target: RuleTarget | undefined;
  if (role === 'forward') {
    const roleArn = ctx.facts.get(ids.eventsRole)?.arn;
    target = roleArn ? { Id: TARGET_ID.forward, Arn: busArn(ctx, peer), RoleArn: roleArn } : undefined;
  } else {
    const functionArn = ctx.facts.get(ids.function(ref.region))?.arn;
    target = functionArn ? { Id: TARGET_ID.deliver, Arn: functionArn } : undefined;
  }
  return { pattern, target };
}

const sameTarget = (a: RuleTarget, b: RuleTarget) =>
  a.Id === b.Id && a.Arn === b.Arn && (a.RoleArn ?? '') === (b.RoleArn ?? '');

/** A rule has exactly the one desired target, or its targets are rewritten. */
const targetsDiffer = (targets: readonly RuleTarget[], want: RuleTarget) =>
  targets.length !== 1 || !sameTarget(targets[0] as RuleTarget, want);

function differences(ctx: ProvisionContext, ref: ResourceRef, rule: ObservedRule): string[] {
  const want = desired(ctx, ref);
  const out: string[] = [];
  if (!sameJson(rule.pattern, want.pattern)) out.push('event pattern differs');
  if (rule.state !== 'ENABLED') out.push(`state is ${rule.state}`);
  if (!want.target) out.push('target will be the resource about to be created');
  else if (targetsDiffer(rule.targets, want.target)) out.push('targets differ');
  return out;
}

export const eventRule: ResourceModule<ObservedRule> = {
  observePhase: 'first',
  deletedByDown: true,

  async observe(ctx, ref) {
    const events = ctx.clients.events(ref.region);
    try {
      const rule = await events.send(
        new DescribeRuleCommand({ Name: ref.name, EventBusName: ctx.names.bus }),
      );
      const arn = rule.Arn as string;
      const foreign = await foreignEventBridgeResource(ctx, ref, arn, 'Event rule');
      if (foreign) return foreign;
      const { Targets = [] } = await events.send(
        new ListTargetsByRuleCommand({ Rule: ref.name, EventBusName: ctx.names.bus }),
      );
      const value = {
        arn,
        pattern: rule.EventPattern ? JSON.parse(rule.EventPattern) : undefined,
        state: rule.State ?? 'unknown',
        targets: Targets,
      };
      return { state: 'present', value, facts: { arn }, status: value.state };
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return { state: 'absent' };
      throw error;
    }
  },

  diff(ctx, ref, observed) {
    if (observed.state !== 'present') return { action: 'create', reason: 'absent' };
    return updateOrNoop(differences(ctx, ref, observed.value));
  },

  async converge(ctx, ref, observed) {
    if (observed.state === 'foreign') throw ownershipError(ref, observed.detail, ctx.stack);
    const events = ctx.clients.events(ref.region);
    const want = desired(ctx, ref);
    if (!want.target) throw new Error(`Cannot target ${ref.name}: the resource it delivers to is unknown.`);
    const current: ObservedRule | undefined = observed.state === 'present' ? observed.value : undefined;
    let arn = current?.arn;
    if (!current || !sameJson(current.pattern, want.pattern) || current.state !== 'ENABLED') {
      // PutRule creates or replaces; on a rule someone else created in between, the tag check below holds.
      const put = await events.send(
        new PutRuleCommand({
          Name: ref.name,
          EventBusName: ctx.names.bus,
          EventPattern: JSON.stringify(want.pattern),
          State: 'ENABLED',
          Description: `dsqlctl stack ${ctx.stack}: ${roleOf(ref) === 'forward' ? 'forward local events to the peer bus' : 'deliver peer events to the function'}`,
          Tags: tagsToList(ownershipTags(ctx.stack)),
        }),
      );
      arn = put.RuleArn;
    }
    const targets = current?.targets ?? [];
    if (targetsDiffer(targets, want.target)) {
      const put = await events.send(
        new PutTargetsCommand({ Rule: ref.name, EventBusName: ctx.names.bus, Targets: [want.target] }),
      );
      if ((put.FailedEntryCount ?? 0) > 0) {
        const entry = put.FailedEntries?.[0];
        throw new Error(`PutTargets on ${ref.name} failed: ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
      }
      const extra = targets.map((t) => t.Id as string).filter((id) => id !== want.target?.Id);
      if (extra.length > 0) {
        await events.send(
          new RemoveTargetsCommand({ Rule: ref.name, EventBusName: ctx.names.bus, Ids: extra }),
        );
      }
    }
    return { arn };
  },

  async remove(ctx, ref, observed) {
    if (observed.state !== 'present') return false;
    const events = ctx.clients.events(ref.region);
    try {
      const { Targets = [] } = await events.send(
        new ListTargetsByRuleCommand({ Rule: ref.name, EventBusName: ctx.names.bus }),
      );
      if (Targets.length > 0) {
        await events.send(
          new RemoveTargetsCommand({
            Rule: ref.name,
            EventBusName: ctx.names.bus,
            Ids: Targets.map((t) => t.Id as string),
          }),
        );
      }
      await events.send(new DeleteRuleCommand({ Name: ref.name, EventBusName: ctx.names.bus }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return false;
      throw error;
    }
  },
};
