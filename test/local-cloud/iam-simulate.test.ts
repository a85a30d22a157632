// IAM SimulatePrincipalPolicy on the local cloud, answered from its own evaluator: through the real SDK
// client and through the AWS CLI (a client we did not write). The operator limited to a policy is
// simulated by its user ARN (what GetCallerIdentity answers); a role by its ARN or a session of it;
// decisions are allowed, implicitDeny and explicitDeny as IAM answers them, one result per action
// with each resource's decision in ResourceSpecificResults.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
  SimulatePrincipalPolicyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { clientConfig, removeHome, tempHome } from '../../scripts/lib/local-cloud.js';
import { startTestLocalCloud, type TestLocalCloud } from '../../src/lib/local-cloud/testing.js';
import { aws, ensureAwsCli } from '../support/aws-cli.js';

const FUNCTION = 'arn:aws:lambda:us-east-1:000000000000:function:shop-txn';
const OTHER_FUNCTION = 'arn:aws:lambda:us-east-1:000000000000:function:other-txn';
const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['lambda:InvokeFunction', 'lambda:GetFunction'], Resource: FUNCTION },
    { Effect: 'Deny', Action: 'lambda:GetFunction', Resource: FUNCTION },
    {
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: 'arn:aws:iam::000000000000:role/shop-fn',
      Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
    },
    { Effect: 'Allow', Action: 'iam:SimulatePrincipalPolicy', Resource: '*' },
  ],
});

describe('local cloud: IAM SimulatePrincipalPolicy', () => {
  let cloud: TestLocalCloud;
  let iam: IAMClient;
  let operatorArn: string;

  before(async () => {
    cloud = await startTestLocalCloud({ home: tempHome(), operatorPolicy: POLICY });
    iam = new IAMClient(clientConfig(cloud, 'us-east-1'));
    const sts = new STSClient(clientConfig(cloud, 'us-east-1'));
    operatorArn = (await sts.send(new GetCallerIdentityCommand({}))).Arn ?? '';
  });
  after(async () => {
    await cloud.stop();
    removeHome(cloud.home);
  });

  const simulate = (input: Partial<ConstructorParameters<typeof SimulatePrincipalPolicyCommand>[0]>) =>
    iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: operatorArn, ActionNames: [], ...input }));

  it('answers allowed, explicitDeny and implicitDeny for the operator named by its GetCallerIdentity ARN', async () => {
    assert.equal(operatorArn, 'arn:aws:iam::000000000000:user/dsqlctl-operator');
    const { EvaluationResults = [] } = await simulate({
      ActionNames: ['lambda:InvokeFunction', 'lambda:GetFunction', 'lambda:DeleteFunction'],
      ResourceArns: [FUNCTION],
    });
    assert.deepEqual(
      EvaluationResults.map((r) => [r.EvalActionName, r.EvalResourceName, r.EvalDecision]),
      [
        ['lambda:InvokeFunction', FUNCTION, 'allowed'],
        ['lambda:GetFunction', FUNCTION, 'explicitDeny'],
        ['lambda:DeleteFunction', FUNCTION, 'implicitDeny'],
      ],
    );
  });

  it('gives one result per action, the most restrictive across resources, each resource in ResourceSpecificResults', async () => {
    const { EvaluationResults = [] } = await simulate({
      ActionNames: ['lambda:InvokeFunction'],
      ResourceArns: [FUNCTION, OTHER_FUNCTION],
    });
    assert.equal(EvaluationResults.length, 1);
    assert.equal(EvaluationResults[0]?.EvalDecision, 'implicitDeny');
    assert.deepEqual(
      EvaluationResults[0]?.ResourceSpecificResults?.map((r) => [r.EvalResourceName, r.EvalResourceDecision]),
      [
        [FUNCTION, 'allowed'],
        [OTHER_FUNCTION, 'implicitDeny'],
      ],
    );
  });

  it('evaluates conditions on the context entries given', async () => {
    const passRole = (service: string) =>
      simulate({
        ActionNames: ['iam:PassRole'],
        ResourceArns: ['arn:aws:iam::000000000000:role/shop-fn'],
        ContextEntries: [
          { ContextKeyName: 'iam:PassedToService', ContextKeyValues: [service], ContextKeyType: 'string' },
        ],
      });
    assert.equal((await passRole('lambda.amazonaws.com')).EvaluationResults?.[0]?.EvalDecision, 'allowed');
    assert.equal((await passRole('ec2.amazonaws.com')).EvaluationResults?.[0]?.EvalDecision, 'implicitDeny');
  });

  it("simulates a role's inline policies, by its ARN or by one of its sessions", async () => {
    await cloud.setOperatorPolicy(undefined);
    const root = new IAMClient(clientConfig(cloud, 'us-east-1'));
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    });
    await root.send(new CreateRoleCommand({ RoleName: 'sim-role', AssumeRolePolicyDocument: trust }));
    await root.send(
      new PutRolePolicyCommand({
        RoleName: 'sim-role',
        PolicyName: 'p',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: '*' }],
        }),
      }),
    );
    for (const arn of [
      'arn:aws:iam::000000000000:role/sim-role',
      'arn:aws:sts::000000000000:assumed-role/sim-role/session-1',
    ]) {
      const { EvaluationResults = [] } = await root.send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: arn,
          ActionNames: ['events:PutEvents', 'dsql:DbConnect'],
        }),
      );
      assert.deepEqual(
        EvaluationResults.map((r) => r.EvalDecision),
        ['allowed', 'implicitDeny'],
        arn,
      );
    }
    await assert.rejects(
      root.send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: 'arn:aws:iam::000000000000:role/nobody',
          ActionNames: ['dsql:DbConnect'],
        }),
      ),
      { name: 'NoSuchEntityException' },
    );
    await cloud.setOperatorPolicy(POLICY);
  });

  it('refuses it to an operator whose policy does not allow iam:SimulatePrincipalPolicy', async () => {
    await cloud.setOperatorPolicy(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'lambda:*', Resource: '*' }],
      }),
    );
    await assert.rejects(simulate({ ActionNames: ['lambda:InvokeFunction'] }), (error: Error) => {
      assert.equal(error.name, 'AccessDenied');
      assert.match(
        error.message,
        /not authorized to perform: iam:SimulatePrincipalPolicy on resource: arn:aws:iam::000000000000:user\/dsqlctl-operator/,
      );
      return true;
    });
    await cloud.setOperatorPolicy(POLICY);
  });

  it('answers the AWS CLI (aws iam simulate-principal-policy)', () => {
    ensureAwsCli();
    const result = aws(
      [
        'iam',
        'simulate-principal-policy',
        '--policy-source-arn',
        operatorArn,
        '--action-names',
        'lambda:InvokeFunction',
        'lambda:GetFunction',
        '--resource-arns',
        FUNCTION,
      ],
      {
        AWS_ENDPOINT_URL: cloud.endpoint,
        AWS_ACCESS_KEY_ID: cloud.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: cloud.credentials.secretAccessKey,
        AWS_DEFAULT_REGION: 'us-east-1',
      },
    );
    assert.equal(result.status, 0, result.stderr);
    const body = JSON.parse(result.stdout) as {
      EvaluationResults: { EvalActionName: string; EvalDecision: string }[];
    };
    assert.deepEqual(
      body.EvaluationResults.map((r) => [r.EvalActionName, r.EvalDecision]),
      [
        ['lambda:InvokeFunction', 'allowed'],
        ['lambda:GetFunction', 'explicitDeny'],
      ],
    );
  });
});
