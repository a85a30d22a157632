/**
 * The stack's EventBridge rules, in each region:
 *  - forward (peered stacks, on the stack's bus): events that originated HERE go to the peer region's
 *    bus (via the events role). Matching on `originRegion` keeps a forwarded event from being forwarded
 *    back (a second bus hop is refused).
 *  - deliver (peered stacks, on the stack's bus): events that originated in the PEER region go to the
 *    local function.
 *  - sweep (every stack, on the default bus, where EventBridge runs scheduled rules): `rate(1 minute)`
 *    invokes the function with `{"operation":"sweep","olderThanSeconds":30}` (time-scaled on the local
 *    cloud), which publishes the outbox's unpublished events older than that.
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
import { SWEEP, TRANSACTION_EVENT } from '../function-contract.js';
import { tagsToList } from '../stack.js';
import { busArn, ids, ownershipTags, peerOf, type RuleRole } from './desired.js';
import { foreignEventBridgeResource } from './event-bus.js';
import { ownershipError, sameJson, updateOrNoop } from './support.js';
import type { ProvisionContext, ResourceModule, ResourceRef } from './types.js';

interface ObservedRule {
  arn: string;
  pattern: unknown;
  schedule: string | undefined;
  state: string;
  targets: RuleTarget[];
}

const TARGET_ID = { forward: 'peer-bus', deliver: 'function', sweep: 'function' } as const;

const SWEEP_SCHEDULE = 'rate(1 minute)';

/**
 * The sweep's input: its age threshold stated explicitly, in the target's time. The schedule is AWS
 * time, which the local cloud runs faster (rate(1 minute) every 0.6 s at 0.01); the threshold is scaled
 * the same way (30 s → 0.3 s), or a local sweep would publish nothing for 30 real seconds. Too short a
 * threshold costs only duplicates: a sweep may publish an event a slow create is still resending, and
 * the receiver records it once.
 */
function sweepInput(timeScale: number): string {
  const olderThanSeconds = Math.round(SWEEP.defaultOlderThanSeconds * timeScale * 1000) / 1000;
  return JSON.stringify({ operation: 'sweep', olderThanSeconds });
}

/**
 * Each target's RetryPolicy, stated rather than left to EventBridge's defaults:
 *  - forward and deliver: the most EventBridge allows (185 attempts over 24 h). Once published, an
 *    event exists only in EventBridge: a delivery dropped after its retries is lost for good (the
 *    sweep republishes only what was never published), and the receiver records a repeat once.
 *  - sweep: no retries, 60 s age (the minimum). A missed sweep is repeated by the next minute's, and
 *    retrying stale sweeps would only pile them up behind an outage.
 */
export const RETRY_POLICY = {
  forward: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
  deliver: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
  sweep: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
} as const;

function roleOf(ref: ResourceRef): RuleRole {
  return ref.id.slice(ref.id.lastIndexOf(':') + 1) as RuleRole;
}

/** The sweep rule lives on the default bus; the others on the stack's bus. */
function busOf(ctx: ProvisionContext, ref: ResourceRef): string {
  return roleOf(ref) === 'sweep' ? 'default' : ctx.names.bus;
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
  const RetryPolicy = { ...RETRY_POLICY[role] };
  const functionArn = ctx.facts.get(ids.function(ref.region))?.arn;
  if (role === 'sweep') {
    const target = functionArn
      ? { Id: TARGET_ID.sweep, Arn: functionArn, Input: sweepInput(ctx.target.timeScale), RetryPolicy }
      : undefined;
    return { pattern: undefined, schedule: SWEEP_SCHEDULE, target };
  }
  const peer = peerOf(ctx.topology, ref.region) as string;
  const pattern = eventPattern(role === 'forward' ? ref.region : peer);
  let target: RuleTarget | undefined;
  if (role === 'forward') {
    const roleArn = ctx.facts.get(ids.eventsRole(ref.region))?.arn;
    target = roleArn
      ? { Id: TARGET_ID.forward, Arn: busArn(ctx, peer), RoleArn: roleArn, RetryPolicy }
      : undefined;
  } else {
    target = functionArn ? { Id: TARGET_ID.deliver, Arn: functionArn, RetryPolicy } : undefined;
  }
  return { pattern, schedule: undefined, target };
}

const sameTarget = (a: RuleTarget, b: RuleTarget) =>
  a.Id === b.Id &&
  a.Arn === b.Arn &&
  (a.RoleArn ?? '') === (b.RoleArn ?? '') &&
  (a.Input ?? '') === (b.Input ?? '') &&
  a.RetryPolicy?.MaximumRetryAttempts === b.RetryPolicy?.MaximumRetryAttempts &&
  a.RetryPolicy?.MaximumEventAgeInSeconds === b.RetryPolicy?.MaximumEventAgeInSeconds;

/** A rule has exactly the one desired target, or its targets are rewritten. */
const targetsDiffer = (targets: readonly RuleTarget[], want: RuleTarget) =>
  targets.length !== 1 || !sameTarget(targets[0] as RuleTarget, want);

function differences(ctx: ProvisionContext, ref: ResourceRef, rule: ObservedRule): string[] {
  const want = desired(ctx, ref);
  const out: string[] = [];
  if (!sameJson(rule.pattern, want.pattern)) out.push('event pattern differs');
  if (rule.schedule !== want.schedule) out.push('schedule differs');
  if (rule.state !== 'ENABLED') {
    // The one way dsqlctl itself leaves a rule disabled: a `drill region-outage --events` killed mid-way.
    const why = roleOf(ref) === 'forward' ? ' (a killed drill --events leaves it so)' : '';
    out.push(`state is ${rule.state}${why}`);
  }
  if (!want.target) out.push('target will be the resource about to be created');
  else if (targetsDiffer(rule.targets, want.target)) out.push('targets differ');
  return out;
}

/** The forwarding rules observed DISABLED, for status and down to report (a killed drill's leftover). */
export function disabledForwardRules(
  resources: readonly ResourceRef[],
  observations: ReadonlyMap<string, { state: string; status?: string }>,
): { name: string; region: string }[] {
  return resources
    .filter((r) => r.kind === 'event-rule' && r.id === ids.rule(r.region, 'forward'))
    .filter((r) => {
      const o = observations.get(r.id);
      return o?.state === 'present' && o.status === 'DISABLED';
    })
    .map((r) => ({ name: r.name, region: r.region }));
}

const DESCRIPTION: Record<RuleRole, string> = {
  forward: 'forward local events to the peer bus',
  deliver: 'deliver peer events to the function',
  sweep: 'publish the outbox events left unpublished',
};

export const eventRule: ResourceModule<ObservedRule> = {
  observePhase: 'first',
  deletedByDown: true,

  async observe(ctx, ref) {
    const events = ctx.clients.events(ref.region);
    try {
      const rule = await events.send(
        new DescribeRuleCommand({ Name: ref.name, EventBusName: busOf(ctx, ref) }),
      );
      const arn = rule.Arn as string;
      const foreign = await foreignEventBridgeResource(ctx, ref, arn, 'Event rule');
      if (foreign) return foreign;
      const { Targets = [] } = await events.send(
        new ListTargetsByRuleCommand({ Rule: ref.name, EventBusName: busOf(ctx, ref) }),
      );
      const value = {
        arn,
        pattern: rule.EventPattern ? JSON.parse(rule.EventPattern) : undefined,
        schedule: rule.ScheduleExpression,
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
    const bus = busOf(ctx, ref);
    if (
      !current ||
      !sameJson(current.pattern, want.pattern) ||
      current.schedule !== want.schedule ||
      current.state !== 'ENABLED'
    ) {
      // PutRule creates or replaces; on a rule someone else created in between, the tag check below holds.
      const put = await events.send(
        new PutRuleCommand({
          Name: ref.name,
          EventBusName: bus,
          ...(want.schedule
            ? { ScheduleExpression: want.schedule }
            : { EventPattern: JSON.stringify(want.pattern) }),
          State: 'ENABLED',
          Description: `dsqlctl stack ${ctx.stack}: ${DESCRIPTION[roleOf(ref)]}`,
          Tags: tagsToList(ownershipTags(ctx.stack)),
        }),
      );
      arn = put.RuleArn;
    }
    const targets = current?.targets ?? [];
    if (targetsDiffer(targets, want.target)) {
      const put = await events.send(
        new PutTargetsCommand({ Rule: ref.name, EventBusName: bus, Targets: [want.target] }),
      );
      if ((put.FailedEntryCount ?? 0) > 0) {
        const entry = put.FailedEntries?.[0];
        throw new Error(`PutTargets on ${ref.name} failed: ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
      }
      const extra = targets.map((t) => t.Id as string).filter((id) => id !== want.target?.Id);
      if (extra.length > 0) {
        await events.send(new RemoveTargetsCommand({ Rule: ref.name, EventBusName: bus, Ids: extra }));
      }
    }
    return { arn };
  },

  async remove(ctx, ref, observed) {
    if (observed.state !== 'present') return false;
    const events = ctx.clients.events(ref.region);
    const bus = busOf(ctx, ref);
    try {
      const { Targets = [] } = await events.send(
        new ListTargetsByRuleCommand({ Rule: ref.name, EventBusName: bus }),
      );
      if (Targets.length > 0) {
        await events.send(
          new RemoveTargetsCommand({
            Rule: ref.name,
            EventBusName: bus,
            Ids: Targets.map((t) => t.Id as string),
          }),
        );
      }
      await events.send(new DeleteRuleCommand({ Name: ref.name, EventBusName: bus }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return false;
      throw error;
    }
  },
};
