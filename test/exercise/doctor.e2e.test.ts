// `dsqlctl doctor` on the local target: all green as the account root; as an operator whose policy lacks
// one action of `dsqlctl iam policy`, the permissions check (iam:SimulatePrincipalPolicy, served by the
// local cloud's evaluator) lists exactly that action and doctor exits 3; an invalid region set fails too.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FAST, type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import type { DoctorCheck } from '../../src/lib/doctor.js';
import { operatorPolicy } from '../../src/lib/operator-policy.js';
import { runCli } from '../support/cli.js';

const TOPOLOGY = { regions: ['us-east-1', 'us-west-2'], witness: 'us-east-2' };

let cloud: PrivateCloud;

async function doctor(...args: string[]) {
  const result = await runCli(['doctor', '--stack', 'doc', ...args], cloud.env);
  const json = await runCli(['doctor', '--stack', 'doc', '--json', ...args], cloud.env);
  const envelope = JSON.parse(json.stdout) as { exitCode: number; result: { checks: DoctorCheck[] } };
  assert.equal(envelope.exitCode, result.status);
  return { ...result, checks: envelope.result.checks };
}

/** The printed policy minus one action, plus what doctor itself needs to simulate. */
function policyWithout(action: string): string {
  const document = operatorPolicy({ stack: 'doc', topology: TOPOLOGY, account: '000000000000' });
  const statements = document.Statement.map((s) => ({ ...s, Action: s.Action.filter((a) => a !== action) }));
  return JSON.stringify({
    ...document,
    Statement: [
      ...statements.filter((s) => s.Action.length > 0),
      {
        Sid: 'Doctor',
        Effect: 'Allow',
        Action: ['iam:SimulatePrincipalPolicy'],
        Resource: ['arn:aws:iam::000000000000:user/dsqlctl-operator'],
      },
    ],
  });
}

before(async () => {
  cloud = await startPrivateCloud(FAST);
});
after(async () => {
  await cloud?.stop();
});

describe('dsqlctl doctor', () => {
  it('passes every check as the account root, exit 0', async () => {
    const { status, stdout, checks } = await doctor();
    assert.equal(status, 0, stdout);
    assert.deepEqual(
      checks.map((c) => [c.name, c.ok]),
      [
        ['Settings', true],
        ['Node.js', true],
        ['Credentials', true],
        ['Regions', true],
        ['DSQL region set', true],
        ['Permissions', true],
      ],
    );
    assert.match(stdout, /^✓ Credentials: account 000000000000 as arn:aws:iam::000000000000:root$/m);
    // Where each value came from: the target from the environment the test sets, the stack from its flag.
    assert.match(stdout, /^✓ Settings: .*target=local \(env DSQLCTL_TARGET\)/m);
    assert.match(stdout, /stack=doc \(flag\)/m);
    assert.match(stdout, /^✓ DSQL region set: us-east-1 \+ us-west-2, witness us-east-2: Americas/m);
  });

  it('passes as an operator holding the whole policy, and lists the one action its policy lacks (exit 3)', async () => {
    await cloud.cloud.setOperatorPolicy(policyWithout('none:Nothing'));
    const whole = await doctor();
    assert.equal(whole.status, 0, whole.stdout);
    assert.match(
      whole.stdout,
      /^✓ Permissions: arn:aws:iam::000000000000:user\/dsqlctl-operator holds every action/m,
    );

    await cloud.cloud.setOperatorPolicy(policyWithout('lambda:InvokeFunction'));
    const { status, stdout, stderr, checks } = await doctor();
    assert.equal(status, 3, stdout + stderr);
    const permissions = checks.find((c) => c.name === 'Permissions');
    assert.deepEqual(
      permissions?.missing?.map((m) => m.action),
      ['lambda:InvokeFunction'],
    );
    assert.deepEqual(permissions?.missing?.[0]?.resources, [
      'arn:aws:lambda:us-east-1:000000000000:function:doc-txn',
      'arn:aws:lambda:us-west-2:000000000000:function:doc-txn',
    ]);
    assert.match(stdout, /^✗ Permissions: .* lacks lambda:InvokeFunction$/m);
    assert.match(stdout, /dsqlctl iam policy/);
    await cloud.cloud.setOperatorPolicy(undefined);
  });

  it('fails the region set check for a pair in two DSQL region sets', async () => {
    const { status, stdout } = await doctor('--regions', 'us-east-1,eu-west-1');
    assert.equal(status, 1, stdout);
    assert.match(stdout, /^✗ DSQL region set: .*different DSQL region sets/m);
  });
});
