/**
 * The plan and the apply engine as pure data and pure scheduling: the dependency graph in both
 * directions, parallel start of independent steps, dependents skipped after a failure, and the plan
 * surviving a JSON round trip (no closures in it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPlan, StepFailedError } from '../../src/lib/provision/apply.js';
import { desiredResources, ids } from '../../src/lib/provision/desired.js';
import { downDependencies, planDown } from '../../src/lib/provision/plan.js';
import { plainReporter } from '../../src/lib/provision/progress.js';
import type { Change } from '../../src/lib/provision/types.js';
import { stackNames } from '../../src/lib/stack.js';

const TWO = { regions: ['us-east-1', 'us-west-2'], witness: 'us-east-2' };
const ONE = { regions: ['eu-west-1'] };

function change(id: string, dependsOn: string[] = []): Change {
  return { id, kind: 'event-bus', name: id, region: 'global', action: 'create', reason: 'absent', dependsOn };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every id reachable from `id` through `edges` (not `id` itself). */
function reachable(edges: (id: string) => readonly string[], id: string): Set<string> {
  const seen = new Set<string>();
  const walk = (from: string) => {
    for (const next of edges(from)) {
      if (seen.has(next)) continue;
      seen.add(next);
      walk(next);
    }
  };
  walk(id);
  return seen;
}

describe('desired resources', () => {
  it('two regions: 28 resources (an events role and its policy per region, the FIS role and its policy), every dependency known, no cycle either way', async () => {
    const resources = desiredResources('shop', TWO, stackNames('shop'));
    assert.equal(resources.length, 28);
    const known = new Set(resources.map((r) => r.id));
    const down = downDependencies(resources);
    for (const r of resources) {
      for (const d of [...r.dependsOn, ...(r.createdAfter ?? []), ...(down.get(r.id) ?? [])])
        assert.ok(known.has(d), `${r.id} → ${d}`);
    }
    const noop = async () => ({ outcome: 'unchanged' as const });
    await applyPlan(
      resources.map((r) => ({ ...change(r.id), dependsOn: [...r.dependsOn, ...(r.createdAfter ?? [])] })),
      noop,
      plainReporter(() => {}),
    );
    await applyPlan(
      [...down].map(([id, dependsOn]) => ({ ...change(id), dependsOn })),
      noop,
      plainReporter(() => {}),
    );
  });

  it('one region: no witness, no peering, no events role, only the sweep rule and its permission', () => {
    const kinds = desiredResources('solo', ONE, stackNames('solo')).map((r) => r.id);
    assert.deepEqual(kinds.sort(), [
      'database',
      'dsql-cluster:eu-west-1',
      'event-bus:eu-west-1',
      'event-rule:eu-west-1:sweep',
      'iam-role-policy:fn',
      'iam-role:fn',
      'lambda-function:eu-west-1',
      'lambda-permission:eu-west-1:sweep',
      'log-group:eu-west-1',
    ]);
  });

  it('up: functions wait for role, bus, their own cluster and log group; the database waits for the peering', () => {
    const byId = new Map(desiredResources('shop', TWO, stackNames('shop')).map((r) => [r.id, r]));
    assert.deepEqual(byId.get(ids.function('us-west-2'))?.dependsOn, [
      ids.functionRole,
      ids.bus('us-west-2'),
      ids.cluster('us-west-2'),
      ids.logGroup('us-west-2'),
    ]);
    assert.deepEqual(byId.get(ids.peering)?.dependsOn, [ids.cluster('us-east-1'), ids.cluster('us-west-2')]);
    assert.ok(byId.get(ids.database)?.dependsOn.includes(ids.peering));
  });

  it('down: rules first, clusters after the functions, the topology-carrying role last', () => {
    const down = downDependencies(desiredResources('shop', TWO, stackNames('shop')));
    assert.deepEqual(down.get(ids.rule('us-east-1', 'forward')), []);
    assert.ok(down.get(ids.function('us-east-1'))?.includes(ids.permission('us-east-1')));
    assert.ok(
      down.get(ids.logGroup('us-east-1'))?.includes(ids.function('us-east-1')),
      'log group after the function',
    );
    assert.ok(down.get(ids.bus('us-east-1'))?.includes(ids.rule('us-east-1', 'deliver')));
    for (const region of TWO.regions) {
      assert.ok(down.get(ids.cluster(region))?.includes(ids.database));
      assert.ok(down.get(ids.functionRole)?.includes(ids.cluster(region)));
    }
  });

  it("down: a peered pair of clusters is deleted as one, after both regions' functions", () => {
    // A peered cluster sits in PENDING_DELETE until its peer is deleted: deleting one while the other
    // region's function failed to go would wait out the limit and fail a second time.
    const down = downDependencies(desiredResources('shop', TWO, stackNames('shop')));
    for (const region of TWO.regions) {
      const before = down.get(ids.cluster(region)) ?? [];
      for (const other of TWO.regions)
        assert.ok(before.includes(ids.function(other)), `${region} after ${other}`);
      assert.ok(!before.some((id) => id.startsWith('dsql-cluster:')), before.join(', '));
    }
  });

  for (const [label, topology] of [
    ['two regions', TWO],
    ['one region', ONE],
  ] as const) {
    it(`${label}: down deletes each resource after everything that depended on it in up, the function role after everything`, () => {
      const resources = desiredResources('shop', topology, stackNames('shop'));
      const observations = new Map(
        resources.map((r) => [r.id, { state: 'present' as const, value: {}, facts: {}, status: 'exists' }]),
      );
      const plan = planDown(resources, observations);
      const deleted = new Set(plan.map((c) => c.id));
      const downEdges = new Map(plan.map((c) => [c.id, c.dependsOn]));
      const upDependents = (id: string) => resources.filter((r) => r.dependsOn.includes(id)).map((r) => r.id);
      for (const r of plan) {
        const deletedBefore = reachable((id) => downEdges.get(id) ?? [], r.id);
        for (const dependent of reachable(upDependents, r.id)) {
          if (deleted.has(dependent))
            assert.ok(deletedBefore.has(dependent), `${r.id} is deleted only after ${dependent}`);
        }
      }
      const beforeRole = reachable((id) => downEdges.get(id) ?? [], ids.functionRole);
      assert.deepEqual(
        [...deleted].filter((id) => id !== ids.functionRole && !beforeRole.has(id)),
        [],
        'the function role goes after everything',
      );
      // The second cluster needed the first one's ARN only to be created: the pair is deleted together.
      if (topology.regions.length === 2) {
        const [a, b] = topology.regions.map(ids.cluster) as [string, string];
        assert.equal(reachable((id) => downEdges.get(id) ?? [], a).has(b), false);
        assert.equal(reachable((id) => downEdges.get(id) ?? [], b).has(a), false);
      }
    });
  }

  it('the down plan is plain data: gone is a no-op, foreign is left alone, JSON round trip is lossless', () => {
    const resources = desiredResources('shop', TWO, stackNames('shop'));
    const observations = new Map(
      resources.map((r) => [
        r.id,
        r.id === ids.bus('us-east-1')
          ? { state: 'foreign' as const, detail: 'Event bus shop in us-east-1 exists but is not tagged' }
          : r.kind === 'dsql-cluster'
            ? { state: 'present' as const, value: {}, facts: {}, status: 'ACTIVE' }
            : { state: 'absent' as const },
      ]),
    );
    const plan = planDown(resources, observations);
    assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan);
    assert.equal(plan.find((c) => c.id === ids.bus('us-east-1'))?.action, 'noop');
    assert.match(plan.find((c) => c.id === ids.bus('us-east-1'))?.reason ?? '', /left alone/);
    assert.equal(plan.find((c) => c.id === ids.cluster('us-west-2'))?.action, 'delete');
    assert.equal(plan.find((c) => c.id === ids.function('us-west-2'))?.reason, 'already gone');
    assert.equal(
      plan.some((c) => c.kind === 'dsql-peering'),
      false,
    );
  });
});

describe('apply engine', () => {
  it('starts independent steps together and each dependent as soon as its own dependencies end', async () => {
    // Each step runs until the test releases it, so the order is checked by events, not by timings.
    const release = new Map<string, () => void>();
    const running = new Set<string>();
    const started: string[] = [];
    let changed: () => void = () => {};
    // A hang guard only (a serial engine never starts b): the assertions never depend on time.
    const until = async (condition: () => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!condition()) {
        assert.ok(Date.now() < deadline, `the engine stalled; started so far: ${started.join(', ')}`);
        await new Promise<void>((resolve) => {
          changed = resolve;
          setTimeout(resolve, 50);
        });
      }
    };
    // a and b independent; c after b; d after a and c.
    const plan = [change('a'), change('b'), change('c', ['b']), change('d', ['a', 'c'])];
    const applied = applyPlan(
      plan,
      async (c) => {
        started.push(c.id);
        running.add(c.id);
        await new Promise<void>((resolve) => {
          release.set(c.id, resolve);
          changed();
        });
        running.delete(c.id);
        changed();
        return { outcome: 'created' };
      },
      plainReporter(() => {}),
    );
    const finish = async (id: string) => {
      await until(() => release.has(id));
      release.get(id)?.();
      release.delete(id);
      await until(() => !running.has(id));
    };
    await until(() => release.has('a') && release.has('b'));
    assert.deepEqual([...started].sort(), ['a', 'b'], 'a and b start together, nothing else');
    await finish('b');
    await until(() => release.has('c'));
    assert.ok(running.has('a'), 'c starts as soon as b ends, while a still runs');
    await finish('c');
    await new Promise((r) => setImmediate(r));
    assert.ok(!started.includes('d'), 'd waits for a');
    await finish('a');
    await finish('d');
    await applied;
    assert.deepEqual(started, ['a', 'b', 'c', 'd']);
  });

  it('a failure skips its dependents, lets independent steps finish, and is rethrown with every result', async () => {
    const ran: string[] = [];
    const plan = [change('a'), change('b', ['a']), change('c'), change('d', ['b'])];
    const error = await applyPlan(
      plan,
      async (c) => {
        ran.push(c.id);
        if (c.id === 'a') throw new Error('boom');
        await sleep(10);
        return { outcome: 'created' };
      },
      plainReporter(() => {}),
    ).catch((e: unknown) => e);
    assert.ok(error instanceof StepFailedError);
    assert.equal((error.firstError as Error).message, 'boom');
    assert.deepEqual(ran.sort(), ['a', 'c']);
    const outcome = Object.fromEntries(error.results.map((r) => [r.id, r.outcome]));
    assert.deepEqual(outcome, { a: 'failed', b: 'skipped', c: 'created', d: 'skipped' });
  });

  it('refuses a cycle and an unknown dependency before running anything', async () => {
    let ran = 0;
    const run = async () => {
      ran++;
      return { outcome: 'created' as const };
    };
    await assert.rejects(
      applyPlan(
        [change('a', ['b']), change('b', ['a'])],
        run,
        plainReporter(() => {}),
      ),
      /dependency cycle/,
    );
    await assert.rejects(
      applyPlan(
        [change('a', ['zzz'])],
        run,
        plainReporter(() => {}),
      ),
      /unknown step zzz/,
    );
    assert.equal(ran, 0);
  });

  it('the plain reporter prints one line per state change', async () => {
    const lines: string[] = [];
    await applyPlan(
      [change('a'), { ...change('b'), action: 'noop', reason: 'up to date' }],
      async (c) => ({ outcome: c.action === 'noop' ? 'unchanged' : 'created' }),
      plainReporter((l) => lines.push(l)),
    );
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0] ?? '', /▸ create event-bus a \(absent\)/);
    assert.match(lines[1] ?? '', /✔ created event-bus a \[\d+\.\ds\]/);
  });
});
