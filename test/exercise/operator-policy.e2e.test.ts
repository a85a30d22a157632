/**
 * The operator's policy (`dsqlctl iam policy`) is sufficient and minimal, proven on the local cloud,
 * which evaluates every call against the operator's policy (`local start --operator-policy`):
 * (a) the whole lifecycle passes as an operator holding exactly the printed document;
 * (b) for each statement, the lifecycle without it fails at the first command that needs it (the first
 *     of the statement's `commands`), exit 3 with one of the statement's actions named. A statement whose
 *     removal breaks nothing fails its row: the policy would not be minimal.
 * Affordable: one cloud for every row (the policy is swapped on the running cloud); rows first needed
 * after `up` run on the stack (a) deployed, or on stacks deployed once for them; rows of statements that
 * apply to one region as well run on one-region stacks (fewer resources to create).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DeleteRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { clientConfig, FAST, type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import {
  type OperatorCommand,
  type OperatorStatement,
  operatorPolicy,
  operatorStatements,
} from '../../src/lib/operator-policy.js';
import type { Topology } from '../../src/lib/stack.js';
import { type CliResult, runCli } from '../support/cli.js';

const PEERED: Topology = { regions: ['us-east-1', 'us-west-2'], witness: 'us-east-2' };
const SOLO: Topology = { regions: ['us-east-1'] };
const LIFE = 'op-life';

let cloud: PrivateCloud;

/** The lifecycle's commands for one stack, each with the operator command it is. */
function lifecycle(stack: string): { command: OperatorCommand; args: string[] }[] {
  const s = ['--stack', stack];
  return [
    { command: 'up', args: ['up', ...s] },
    { command: 'status', args: ['status', ...s] },
    { command: 'txn', args: ['txn', 'create', ...s, '--id', 'op-1', '--amount', '12.34'] },
    { command: 'txn', args: ['txn', 'read', ...s] },
    { command: 'txn', args: ['txn', 'list', ...s] },
    { command: 'txn', args: ['txn', 'get', ...s, '--id', 'op-1'] },
    { command: 'txn', args: ['txn', 'load', ...s, '--count', '3'] },
    { command: 'verify', args: ['verify', 'consistency', ...s] },
    { command: 'verify', args: ['verify', 'events', ...s] },
    { command: 'logs', args: ['logs', ...s] },
    {
      command: 'drill',
      args: [
        'drill',
        'region-outage',
        ...s,
        '--region',
        'us-west-2',
        '--duration',
        '2s',
        '--rate',
        '2',
        '--events',
      ],
    },
    { command: 'down', args: ['down', '--yes', ...s] },
  ];
}

const cli = (args: string[]) => runCli(args, cloud.env);

function assertOk(args: string[], result: CliResult): void {
  assert.equal(result.status, 0, `dsqlctl ${args.join(' ')}: ${result.stderr}${result.stdout}`);
}

/** Why a row fails: not exit 3, or the refusal names none of the removed statement's actions. */
function deniedFor(statement: OperatorStatement, args: string[], result: CliResult): string | undefined {
  const output = `${result.stderr}${result.stdout}`;
  const where = `without ${statement.sid}, dsqlctl ${args.join(' ')}`;
  if (result.status !== 3) {
    return result.status === 0
      ? `${where} passed: the statement is not needed there (not minimal, or its commands are wrong)`
      : `${where} exited ${result.status}, not 3:\n${output.slice(-1500)}`;
  }
  // AWS's AccessDenied names the action ("perform: dsql:GetCluster on resource: …"); the advice repeats it.
  const named = statement.actions.some((a) => output.includes(`Add ${a} on `));
  if (!named)
    return `${where}: the refusal names none of ${statement.actions.join(', ')}:\n${output.slice(-1500)}`;
  if (!output.includes('dsqlctl iam policy'))
    return `${where}: the advice does not point to dsqlctl iam policy`;
  return undefined;
}

/** Runs every row, then fails with all the rows that failed (one run shows the whole table). */
function assertRows(failures: (string | undefined)[]): void {
  const failed = failures.filter((f) => f !== undefined);
  assert.deepEqual(failed, [], failed.join('\n\n'));
}

const policyText = (stack: string, topology: Topology, without: string[] = []) =>
  JSON.stringify(operatorPolicy({ stack, topology, account: '*' }, without));

/** The statement's own topology for its row: one region unless it applies only to a peered pair. */
const rowTopology = (statement: OperatorStatement): Topology =>
  (statement.appliesTo?.(SOLO) ?? true) ? SOLO : PEERED;

/**
 * Removes a row stack's sweep rules (as the root): at the fastest time scale each fires every 120 ms and
 * invokes the function, and a dozen row stacks firing would starve a 2-core machine. Rows never need them.
 */
async function silenceSweeps(stack: string, regions: readonly string[]): Promise<void> {
  await cloud.cloud.setOperatorPolicy(undefined);
  await Promise.all(
    regions.map(async (region) => {
      const events = new EventBridgeClient(clientConfig(cloud.cloud, region));
      const Rule = `${stack}-sweep`;
      try {
        const { Targets = [] } = await events.send(new ListTargetsByRuleCommand({ Rule }));
        if (Targets.length > 0)
          await events.send(new RemoveTargetsCommand({ Rule, Ids: Targets.map((t) => t.Id ?? '') }));
        await events.send(new DeleteRuleCommand({ Name: Rule }));
      } catch (error) {
        if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      } finally {
        events.destroy();
      }
    }),
  );
}

const firstCommand = (statement: OperatorStatement) => statement.commands[0] as OperatorCommand;
const statements = operatorStatements(PEERED);

before(async () => {
  // Lambda's retries of a delivery failed during the lifecycle's 2 s drill come after it (3 s here), as
  // AWS's 60 s retry does after a drill's outage there (see test/drill/region-outage.e2e.test.ts).
  cloud = await startPrivateCloud({ ...FAST, durations: { 'lambda:AsyncRetry': 1500 } });
});
after(async () => {
  await cloud?.stop();
});

describe('the operator policy: sufficient', () => {
  it('(a) up … logs pass as an operator holding exactly what `dsqlctl iam policy --stack S` prints', async () => {
    const printed = await cli(['iam', 'policy', '--stack', LIFE]);
    assertOk(['iam', 'policy'], printed);
    assert.equal(printed.stdout.trim(), JSON.stringify(JSON.parse(printed.stdout), null, 2));
    await cloud.cloud.setOperatorPolicy(printed.stdout);
    for (const step of lifecycle(LIFE).filter((s) => s.command !== 'down')) {
      assertOk(step.args, await cli(step.args));
    }
  });
});

describe('the operator policy: minimal (one row per statement)', () => {
  it('each statement first needed after up and before down: that command fails without it', async () => {
    const rows = statements.filter((s) => !['up', 'down'].includes(firstCommand(s)));
    assert.ok(rows.length > 0);
    const failures: (string | undefined)[] = [];
    for (const statement of rows) {
      await cloud.cloud.setOperatorPolicy(policyText(LIFE, PEERED, [statement.sid]));
      const step = lifecycle(LIFE).find((s) => s.command === firstCommand(statement));
      assert.ok(step, `${statement.sid}: no lifecycle step runs ${firstCommand(statement)}`);
      failures.push(deniedFor(statement, step.args, await cli(step.args)));
    }
    assertRows(failures);
  });

  it('(a) down passes holding exactly the printed policy', async () => {
    await cloud.cloud.setOperatorPolicy(policyText(LIFE, PEERED));
    const down = lifecycle(LIFE).at(-1)?.args ?? [];
    assertOk(down, await cli(down));
  });

  it('each statement up needs: up without it exits 3 naming its action', async () => {
    const rows = statements.filter((s) => firstCommand(s) === 'up');
    const failures: (string | undefined)[] = [];
    for (const [i, statement] of rows.entries()) {
      const stack = `op-up-${i}`;
      await cloud.cloud.setOperatorPolicy(policyText(stack, rowTopology(statement), [statement.sid]));
      const args = ['up', '--stack', stack, '--regions', rowTopology(statement).regions.join(',')];
      failures.push(deniedFor(statement, args, await cli(args)));
      await silenceSweeps(stack, rowTopology(statement).regions);
    }
    assertRows(failures);
  });

  it('each statement down needs: down without it exits 3 naming its action', async () => {
    const rows = statements.filter((s) => firstCommand(s) === 'down');
    const stacks = rows.map((_, i) => `op-down-${i}`);
    await cloud.cloud.setOperatorPolicy(undefined);
    // Deployed by the root, two at a time (more starve the database on a 2-core machine): the rows test only down.
    for (let i = 0; i < stacks.length; i += 2) {
      await Promise.all(
        stacks.slice(i, i + 2).map(async (stack, j) => {
          const args = [
            'up',
            '--stack',
            stack,
            '--regions',
            rowTopology(rows[i + j] as OperatorStatement).regions.join(','),
          ];
          assertOk(args, await cli(args));
          await silenceSweeps(stack, rowTopology(rows[i + j] as OperatorStatement).regions);
        }),
      );
    }
    const failures: (string | undefined)[] = [];
    for (const [i, statement] of rows.entries()) {
      const stack = stacks[i] ?? '';
      await cloud.cloud.setOperatorPolicy(policyText(stack, rowTopology(statement), [statement.sid]));
      const args = ['down', '--yes', '--stack', stack];
      failures.push(deniedFor(statement, args, await cli(args)));
    }
    assertRows(failures);
  });
});
