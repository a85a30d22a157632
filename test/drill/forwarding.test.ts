/**
 * `drill --events`'s honesty, decided in-process: which acknowledged creates may have had their event
 * put while the forwarding rule was disabled (their call overlaps the window, in the impaired region),
 * and the verdicts when such an event is missing — lost, as on AWS, and said so, never passed over.
 * The EventBridge client is a stand-in answering as AWS does (DisableRule/EnableRule answer `{}`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AwsClients } from '../../src/lib/aws-clients.js';
import { ForwardingOutage, type ForwardingReport } from '../../src/lib/drill/forwarding.js';
import type { Acknowledged } from '../../src/lib/drill/load.js';
import { eventsDelivered, type Proof } from '../../src/lib/drill/prove.js';
import { type RegionStats, verdictsOf } from '../../src/lib/drill/report.js';
import type { FunctionInvoker } from '../../src/lib/txn/invoke.js';

const [IMPAIRED, HEALTHY] = ['us-west-2', 'us-east-1'];

/** The forwarding outage of the tests: disabled from 1 s to 3 s, ENABLED after, `putWhileDisabled` creates meanwhile. */
const forwardingReport = (putWhileDisabled: number): ForwardingReport => ({
  rule: 'shop-forward',
  region: IMPAIRED,
  disabledMs: 1000,
  enabledMs: 3000,
  stateAfter: 'ENABLED',
  putWhileDisabled,
});

function outage(): { forwarding: ForwardingOutage; at: (ms: number) => void; calls: string[] } {
  let now = 0;
  const calls: string[] = [];
  const clients = {
    events: () => ({
      send: async (command: { constructor: { name: string } }) => {
        calls.push(command.constructor.name);
        return command.constructor.name === 'DescribeRuleCommand' ? { State: 'ENABLED' } : {};
      },
    }),
  } as unknown as AwsClients;
  return {
    forwarding: new ForwardingOutage(clients, 'shop', IMPAIRED, () => now),
    at: (ms) => (now = ms),
    calls,
  };
}

/** A create `region` acknowledged; its row made in `origin` (another region when an earlier attempt there committed). */
const ack = (region: string, at: number, doneAt: number, origin = region): Acknowledged => ({
  id: `${region}-${at}`,
  region,
  origin,
  amount: '1.00',
  at,
  doneAt,
});

const proof = (missingWhileRuleDisabled: number): Proof => ({
  acknowledged: 10,
  found: { [IMPAIRED]: 10, [HEALTHY]: 10 },
  lost: [],
  lostCount: 0,
  duplicated: 0,
  committedUnacknowledged: 0,
  counts: { [IMPAIRED]: 10, [HEALTHY]: 10 },
  countsAgree: true,
  events: {
    expected: 10,
    delivered: 10 - missingWhileRuleDisabled,
    missing: [],
    missingWhileRuleDisabled,
    waitedMs: 20,
  },
});

const healthy: RegionStats = {
  region: HEALTHY,
  role: 'healthy',
  requests: 10,
  successes: 10,
  failures: 0,
  latencyMs: { p50: 1, p99: 2 },
  availabilityDuringOutage: 1,
  perSecond: [],
};

describe('drill --events', () => {
  it('counts a create as put while the rule was disabled when its call overlaps the window, in the impaired region only', async () => {
    const { forwarding, at, calls } = outage();
    const before = ack(IMPAIRED, 500, 900);
    assert.equal(
      forwarding.putWhileDisabled(before),
      false,
      'nothing is at risk before the rule is disabled',
    );
    at(1000);
    await forwarding.disable();
    at(3000);
    await forwarding.enable();
    await forwarding.enable();
    assert.deepEqual(calls, ['DisableRuleCommand', 'EnableRuleCommand'], 'enabled once, however often asked');
    const cases: [Acknowledged, boolean][] = [
      [before, false],
      [ack(IMPAIRED, 900, 1100), true],
      [ack(IMPAIRED, 2000, 2100), true],
      [ack(IMPAIRED, 2900, 3100), true],
      [ack(IMPAIRED, 3100, 3200), false],
      [ack(HEALTHY, 2000, 2100), false],
      // The impaired region committed it before its answer was lost; the healthy one acknowledged the retry.
      [ack(HEALTHY, 2200, 2300, IMPAIRED), true],
    ];
    for (const [a, risk] of cases)
      assert.equal(forwarding.putWhileDisabled(a), risk, `${a.region} ${a.at}–${a.doneAt}`);
    const report = await forwarding.report(cases.map(([a]) => a));
    assert.deepEqual(report, forwardingReport(4));
  });

  it('an event put while the rule was disabled and missing fails the drill, saying it is lost on AWS too', async () => {
    const f = forwardingReport(2);
    const verdicts = verdictsOf(proof(1), healthy, 100, f);
    const forwarding = verdicts.find((v) => v.check === 'forwarding');
    assert.equal(forwarding?.passed, false);
    assert.match(
      forwarding?.detail ?? '',
      /2 create\(s\) acknowledged by us-west-2 meanwhile, 1 of their events lost/,
    );
    assert.match(
      forwarding?.detail ?? '',
      /a disabled rule matches nothing.*neither its sweep nor EventBridge retries.*the same on AWS/,
    );
    const events = verdicts.find((v) => v.check === 'events');
    assert.equal(events?.passed, false);
    assert.match(events?.detail ?? '', /1 of the missing were put while the forwarding rule was disabled/);
  });

  it('passes when nothing was put meanwhile and the rule is ENABLED again; fails when it is not', () => {
    const f = forwardingReport(0);
    const ok = verdictsOf(proof(0), healthy, 100, f).find((v) => v.check === 'forwarding');
    assert.equal(ok?.passed, true);
    assert.match(ok?.detail ?? '', /no create was acknowledged by us-west-2 meanwhile/);
    const stuck = verdictsOf(proof(0), healthy, 100, { ...f, enabledMs: null, stateAfter: 'DISABLED' }).find(
      (v) => v.check === 'forwarding',
    );
    assert.equal(stuck?.passed, false);
    assert.match(stuck?.detail ?? '', /never enabled again, DISABLED now/);
    assert.equal(
      verdictsOf(proof(0), healthy, 100, null).some((v) => v.check === 'forwarding'),
      false,
      'no --events: no verdict',
    );
  });
});

describe('the events proof', () => {
  // In-process stand-in for the functions' `received` answers: the one decision tested is which
  // region's event proves a create.
  const invokerWith = (events: { originRegion: string; receivedRegion: string }[]) =>
    ({ invoke: async () => ({ answer: { events } }) }) as unknown as FunctionInvoker;

  it("a create the healthy region acknowledged but the impaired one had committed is proven by the impaired region's event", async () => {
    const failedOver = ack(HEALTHY, 2200, 2300, IMPAIRED);
    const fromImpaired = invokerWith([{ originRegion: IMPAIRED, receivedRegion: HEALTHY }]);
    const proven = await eventsDelivered(fromImpaired, [IMPAIRED, HEALTHY], [failedOver], 0, () => false);
    assert.deepEqual([proven.delivered, proven.missing], [1, []]);
    // An event the acknowledging region sent would be another transaction's: it proves nothing here.
    const fromHealthy = invokerWith([{ originRegion: HEALTHY, receivedRegion: IMPAIRED }]);
    const unproven = await eventsDelivered(fromHealthy, [IMPAIRED, HEALTHY], [failedOver], 0, () => false);
    assert.deepEqual([unproven.delivered, unproven.missing], [0, [failedOver.id]]);
  });
});
