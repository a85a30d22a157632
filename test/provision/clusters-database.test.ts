/**
 * IAM roles and policies, DSQL clusters with their peering handshake, and the database, converged
 * through the real SDK clients against the local cloud, from a fresh start and from the intermediate
 * states a crash can leave; then taken down. (The full stack with Lambda and EventBridge is exercised
 * through the CLI in up-down.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateClusterCommand, GetClusterCommand, UpdateClusterCommand } from '@aws-sdk/client-dsql';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { isMutating, type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { AwsClients } from '../../src/lib/aws-clients.js';
import { OwnershipError } from '../../src/lib/errors.js';
import { applyPlan, StepFailedError } from '../../src/lib/provision/apply.js';
import { makeProvisionContext } from '../../src/lib/provision/context.js';
import { type DesiredResource, desiredResources, ids } from '../../src/lib/provision/desired.js';
import { downStep } from '../../src/lib/provision/down.js';
import { observeAll, planDown, planUp } from '../../src/lib/provision/plan.js';
import { plainReporter } from '../../src/lib/provision/progress.js';
import type { ProvisionContext } from '../../src/lib/provision/types.js';
import { upStep } from '../../src/lib/provision/up.js';
import { STACK_TAG, type Topology } from '../../src/lib/stack.js';
import { readStackTopology } from '../../src/lib/stack-topology.js';
import { resolveTarget, type Target } from '../../src/lib/target.js';

const KINDS = new Set(['iam-role', 'iam-role-policy', 'dsql-cluster', 'dsql-peering', 'database']);
const TOPOLOGY: Topology = { regions: ['us-east-1', 'us-west-2'], witness: 'us-east-2' };

let cloud: PrivateCloud;
let target: Target;
const clientsList: AwsClients[] = [];

before(async () => {
  cloud = await startPrivateCloud();
  process.env.DSQLCTL_HOME = cloud.home;
  target = await resolveTarget({ kind: 'local' });
});
after(async () => {
  for (const c of clientsList) c.destroy();
  await cloud.stop();
});

async function context(
  stack: string,
  operation: ProvisionContext['operation'] = 'up',
): Promise<ProvisionContext> {
  const clients = new AwsClients(target);
  clientsList.push(clients);
  return makeProvisionContext(target, clients, operation, stack, TOPOLOGY, undefined, () => {});
}

/** The IAM, DSQL and database part of the graph (its dependencies on other kinds dropped). */
function subset(ctx: ProvisionContext): DesiredResource[] {
  const kept = desiredResources(ctx.stack, ctx.topology, ctx.names).filter((r) => KINDS.has(r.kind));
  const keep = new Set(kept.map((r) => r.id));
  return kept.map((r) => ({
    ...r,
    dependsOn: r.dependsOn.filter((d) => keep.has(d)),
  }));
}

const quiet = () => plainReporter(() => {});

async function converge(stack: string) {
  const ctx = await context(stack);
  const resources = subset(ctx);
  const observations = await observeAll(ctx, resources);
  const plan = planUp(ctx, resources, observations);
  const steps = await applyPlan(plan, upStep(ctx, observations), quiet());
  return { ctx, plan, steps };
}

async function takeDown(stack: string) {
  const ctx = await context(stack, 'down');
  const resources = subset(ctx);
  const observations = await observeAll(ctx, resources);
  return applyPlan(planDown(resources, observations), downStep(ctx, observations), quiet());
}

async function cluster(ctx: ProvisionContext, region: string) {
  const id = ctx.facts.get(ids.cluster(region))?.identifier as string;
  return ctx.clients.dsql(region).send(new GetClusterCommand({ identifier: id }));
}

describe('roles, clusters, peering and database on the local cloud', () => {
  it('a fresh converge creates everything; peered clusters list each other and are ACTIVE', async () => {
    const { ctx, plan, steps } = await converge('fresh');
    assert.deepEqual(
      plan.filter((c) => c.action !== 'create').map((c) => c.id),
      [],
      'every change of a fresh stack is a create',
    );
    assert.ok(
      steps.every((s) => s.outcome === 'created'),
      JSON.stringify(steps.map((s) => [s.id, s.outcome])),
    );
    const [a, b] = await Promise.all([cluster(ctx, 'us-east-1'), cluster(ctx, 'us-west-2')]);
    assert.equal(a.status, 'ACTIVE');
    assert.equal(b.status, 'ACTIVE');
    assert.ok(a.multiRegionProperties?.clusters?.includes(b.arn as string));
    assert.ok(b.multiRegionProperties?.clusters?.includes(a.arn as string));
    assert.equal(a.multiRegionProperties?.witnessRegion, 'us-east-2');
    assert.equal(a.deletionProtectionEnabled, true);
    assert.equal(a.tags?.[STACK_TAG], 'fresh');
    // The topology is read back off the function role, with the caller's IAM client or a new one.
    assert.deepEqual(await readStackTopology(target, 'fresh', ctx.clients.iam()), TOPOLOGY);
    assert.deepEqual(await readStackTopology(target, 'fresh'), TOPOLOGY);
    assert.equal(await readStackTopology(target, 'never-up'), undefined);
  });

  it('a second converge plans only no-ops and makes no mutating call', async () => {
    const before = cloud.cloud.requests().length;
    const { plan } = await converge('fresh');
    assert.deepEqual(
      plan.filter((c) => c.action !== 'noop').map((c) => `${c.id}: ${c.reason}`),
      [],
    );
    const calls = cloud.cloud.requests().slice(before);
    assert.deepEqual(
      calls.filter((c) => isMutating(c.operation)).map((c) => c.operation),
      [],
    );
  });

  it('resumes after a crash right after the first CreateCluster (no duplicate cluster)', async () => {
    const ctx = await context('crash1');
    // What an interrupted run leaves: one cluster, tagged, witness set, no peer yet.
    await ctx.clients.dsql('us-east-1').send(
      new CreateClusterCommand({
        deletionProtectionEnabled: true,
        tags: { [STACK_TAG]: 'crash1' },
        multiRegionProperties: { witnessRegion: 'us-east-2' },
      }),
    );
    const { ctx: after, plan } = await converge('crash1');
    assert.equal(plan.find((c) => c.id === ids.cluster('us-east-1'))?.action, 'noop');
    assert.equal(plan.find((c) => c.id === ids.cluster('us-west-2'))?.action, 'create');
    const [a, b] = await Promise.all([cluster(after, 'us-east-1'), cluster(after, 'us-west-2')]);
    assert.equal(a.status, 'ACTIVE');
    assert.equal(b.status, 'ACTIVE');
    const ours =
      (
        await after.clients
          .dsql('us-east-1')
          .send(new (await import('@aws-sdk/client-dsql')).ListClustersCommand({}))
      ).clusters ?? [];
    const tagged = await Promise.all(
      ours.map((c) =>
        after.clients.dsql('us-east-1').send(new GetClusterCommand({ identifier: c.identifier })),
      ),
    );
    assert.equal(
      tagged.filter((c) => c.tags?.[STACK_TAG] === 'crash1').length,
      1,
      'one cluster in us-east-1',
    );
  });

  it('resumes from PENDING_SETUP with only one side listing the other', async () => {
    const ctx = await context('crash2');
    const dsqlA = ctx.clients.dsql('us-east-1');
    const dsqlB = ctx.clients.dsql('us-west-2');
    const tags = { [STACK_TAG]: 'crash2' };
    const a = await dsqlA.send(
      new CreateClusterCommand({ tags, multiRegionProperties: { witnessRegion: 'us-east-2' } }),
    );
    const b = await dsqlB.send(
      new CreateClusterCommand({ tags, multiRegionProperties: { witnessRegion: 'us-east-2' } }),
    );
    // Wait until both can take an update, then let only A list B (a crash between the two updates).
    for (;;) {
      const [ga, gb] = await Promise.all([
        dsqlA.send(new GetClusterCommand({ identifier: a.identifier })),
        dsqlB.send(new GetClusterCommand({ identifier: b.identifier })),
      ]);
      if (ga.status === 'PENDING_SETUP' && gb.status === 'PENDING_SETUP') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await dsqlA.send(
      new UpdateClusterCommand({
        identifier: a.identifier,
        multiRegionProperties: { witnessRegion: 'us-east-2', clusters: [b.arn as string] },
      }),
    );
    const { ctx: after, plan } = await converge('crash2');
    assert.match(plan.find((c) => c.id === ids.peering)?.reason ?? '', /us-west-2 does not list us-east-1/);
    const [ga, gb] = await Promise.all([cluster(after, 'us-east-1'), cluster(after, 'us-west-2')]);
    assert.equal(ga.identifier, a.identifier, 'the existing cluster was adopted');
    assert.equal(gb.identifier, b.identifier, 'the existing cluster was adopted');
    assert.equal(ga.status, 'ACTIVE');
    assert.equal(gb.status, 'ACTIVE');
  });

  it('a same-named role without our tag is refused before any change, and down leaves it alone', async () => {
    const ctx = await context('foreign');
    await ctx.clients.iam().send(
      new CreateRoleCommand({
        RoleName: 'foreign-fn',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
        Tags: [{ Key: 'team', Value: 'someone-else' }],
      }),
    );
    const before = cloud.cloud.requests().length;
    await assert.rejects(converge('foreign'), (error: unknown) => {
      assert.ok(error instanceof OwnershipError);
      assert.match(error.message, /IAM role foreign-fn exists but is not tagged dsqlctl:stack=foreign/);
      assert.match(error.advice ?? '', /another --stack name/);
      return true;
    });
    const calls = cloud.cloud.requests().slice(before);
    assert.deepEqual(
      calls.filter((c) => isMutating(c.operation)).map((c) => c.operation),
      [],
    );
    await assert.rejects(readStackTopology(target, 'foreign'), (error: unknown) => {
      assert.ok(error instanceof OwnershipError);
      assert.match(
        error.message,
        /IAM role foreign-fn exists but is not tagged dsqlctl:stack=foreign: it does not belong/,
      );
      return true;
    });
    const steps = await takeDown('foreign');
    assert.equal(steps.find((s) => s.id === ids.functionRole)?.outcome, 'left-alone');
  });

  it("one cluster's deletion refused: its peer's wait ends with that refusal, not at its limit; the rerun finishes", async () => {
    await converge('halfgone');
    // Whichever region's DeleteCluster comes first is refused; the other is accepted and then sits in
    // PENDING_DELETE for a peer that is not being deleted.
    await cloud.cloud.replaceFailures([
      { operation: 'dsql:DeleteCluster', nth: 1, times: 1, code: 'AccessDeniedException', message: 'denied' },
    ]);
    // Bounded, so that a wait which does not notice the refusal fails this test instead of hanging it.
    process.env.DSQLCTL_WAIT_TIMEOUT_SECONDS = '10';
    const failed = await takeDown('halfgone')
      .then(
        () => assert.fail('down should have failed'),
        (error: unknown) => error as StepFailedError,
      )
      .finally(() => {
        delete process.env.DSQLCTL_WAIT_TIMEOUT_SECONDS;
      });
    await cloud.cloud.replaceFailures([]);
    assert.ok(failed instanceof StepFailedError, String(failed));
    assert.equal((failed.firstError as Error).name, 'AccessDeniedException');
    const clusters = failed.results.filter((r) => r.kind === 'dsql-cluster');
    assert.deepEqual(
      clusters.map((r) => r.outcome),
      ['failed', 'failed'],
    );
    const waiting = clusters.find((r) => r.id !== failed.firstFailedId);
    assert.match(
      waiting?.detail ?? '',
      /stays PENDING_DELETE until its peer in us-\w+-\d is deleted, and the peer's deletion failed/,
    );
    const steps = await takeDown('halfgone');
    assert.ok(
      steps.every((s) => s.outcome !== 'failed'),
      JSON.stringify(steps),
    );
  });

  it('down deletes everything (both cluster deletes in flight together); a second down finds it all gone', async () => {
    const steps = await takeDown('fresh');
    const outcome = Object.fromEntries(steps.map((s) => [s.id, s.outcome]));
    assert.equal(outcome[ids.cluster('us-east-1')], 'deleted');
    assert.equal(outcome[ids.cluster('us-west-2')], 'deleted');
    assert.equal(outcome[ids.functionRole], 'deleted');
    assert.equal(outcome[ids.database], 'deleted');
    const again = await takeDown('fresh');
    assert.ok(
      again.every((s) => s.outcome === 'gone'),
      JSON.stringify(again.map((s) => [s.id, s.outcome])),
    );
  });
});
