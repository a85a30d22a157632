/**
 * `drill region-outage --events`: EventBridge lost in the impaired region, imitated by disabling that
 * region's forwarding rule (`<stack>-forward` on its bus: the events that originated there, to the peer's
 * bus) with DisableRule, and enabling it again with EnableRule (FIS has no EventBridge action).
 *
 * What a disabled rule does to an event (AWS, DisableRule: "A disabled rule won't match any events"):
 * PutEvents accepts it, so the outbox marks it published; no rule sends it on; EventBridge's retries are
 * for failed deliveries of matched events only, and the sweep republishes only what PutEvents refused.
 * An event put while the rule is disabled is lost, on AWS as on the local cloud. So the drill disables
 * the rule only once the experiment runs (the impaired region then commits nothing, so puts no event) and
 * enables it again ENABLE_AHEAD_MS before the experiment can end (AWS: a changed rule takes "a short period
 * of time" to take effect, both ways); a create the impaired region acknowledged while the rule was
 * disabled is still counted, and its event, if missing, reported as dropped by the disabled rule.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeRuleCommand, DisableRuleCommand, EnableRuleCommand } from '@aws-sdk/client-eventbridge';
import type { AwsClients } from '../aws-clients.js';
import { isAwsError } from '../errors.js';
import { stackNames } from '../stack.js';
import type { Acknowledged } from './load.js';

/** The rule is enabled this long before the experiment's earliest possible end (at most a quarter of it). */
const ENABLE_AHEAD_MS = 1000;

export interface ForwardingReport {
  rule: string;
  region: string;
  /** ms since the drill started: DisableRule sent, EnableRule answered (null: never enabled again). */
  disabledMs: number;
  enabledMs: number | null;
  /** The rule's State read back after the drill (ENABLED unless EnableRule failed). */
  stateAfter: string;
  /** Creates the impaired region acknowledged while the rule was disabled: their events were put then. */
  putWhileDisabled: number;
}

export class ForwardingOutage {
  readonly rule: string;
  readonly #bus: string;
  #disabledMs?: number;
  #enabledMs?: number;

  constructor(
    readonly clients: AwsClients,
    stack: string,
    readonly region: string,
    readonly since: () => number,
  ) {
    const names = stackNames(stack);
    this.rule = names.forwardRule;
    this.#bus = names.bus;
  }

  async disable(): Promise<void> {
    this.#disabledMs = this.since();
    await this.clients
      .events(this.region)
      .send(new DisableRuleCommand({ Name: this.rule, EventBusName: this.#bus }));
  }

  /** Enables the rule again if this drill disabled it (once; safe to call on every way out). */
  async enable(): Promise<void> {
    if (this.#disabledMs === undefined || this.#enabledMs !== undefined) return;
    await this.clients
      .events(this.region)
      .send(new EnableRuleCommand({ Name: this.rule, EventBusName: this.#bus }));
    this.#enabledMs = this.since();
  }

  /**
   * Enables the rule ahead of the experiment's earliest end: it started after `startSentMs` (the drill
   * sent StartExperiment then), so it cannot end before `startSentMs + durationMs`. `ended` cuts the wait
   * short (the experiment ended early: stopped, or failed).
   */
  async enableBeforeEnd(startSentMs: number, durationMs: number, ended: AbortSignal): Promise<void> {
    const ahead = Math.min(ENABLE_AHEAD_MS, durationMs / 4);
    const wait = Math.max(0, startSentMs + durationMs - ahead - this.since());
    await sleep(wait, undefined, { signal: ended }).catch(() => undefined);
    await this.enable();
  }

  async report(acknowledged: readonly Acknowledged[]): Promise<ForwardingReport> {
    const { State } = await this.clients
      .events(this.region)
      .send(new DescribeRuleCommand({ Name: this.rule, EventBusName: this.#bus }));
    return {
      rule: this.rule,
      region: this.region,
      disabledMs: Math.round(this.#disabledMs ?? 0),
      enabledMs: this.#enabledMs === undefined ? null : Math.round(this.#enabledMs),
      stateAfter: State ?? 'unknown',
      putWhileDisabled: acknowledged.filter((a) => this.putWhileDisabled(a)).length,
    };
  }

  /** The create's event may have been put while the rule was disabled: its call overlaps that window. */
  putWhileDisabled(a: Acknowledged): boolean {
    if (this.#disabledMs === undefined || a.origin !== this.region) return false;
    return a.doneAt >= this.#disabledMs && a.at <= (this.#enabledMs ?? Number.POSITIVE_INFINITY);
  }
}

/**
 * Forwarding rules of the stack found DISABLED before a drill (a killed `--events` drill's), enabled
 * again: with one disabled, the drill's events could not reach the other region.
 */
export async function enableLeftoverRules(
  clients: AwsClients,
  stack: string,
  regions: readonly string[],
): Promise<{ name: string; region: string }[]> {
  const names = stackNames(stack);
  const enabled: { name: string; region: string }[] = [];
  for (const region of regions) {
    const events = clients.events(region);
    const rule = await events
      .send(new DescribeRuleCommand({ Name: names.forwardRule, EventBusName: names.bus }))
      .catch((error) => {
        // A stack without its rule: the proof shows the events that did not cross; `up` repairs it.
        if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
        throw error;
      });
    if (rule?.State === 'DISABLED') {
      await events.send(new EnableRuleCommand({ Name: names.forwardRule, EventBusName: names.bus }));
      enabled.push({ name: names.forwardRule, region });
    }
  }
  return enabled;
}
