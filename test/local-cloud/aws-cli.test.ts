// A real client we did not write: the AWS CLI, pointed at the local cloud by `dsqlctl local env`, works
// with the home's operator key and is refused with a wrong secret (test/support/aws-cli.ts installs it).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type PrivateCloud, removeHome, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { aws, ensureAwsCli } from '../support/aws-cli.js';
import { runCli } from '../support/cli.js';

describe('local cloud: the AWS CLI with `dsqlctl local env`', () => {
  let cloud: PrivateCloud;
  let env: Record<string, string>;
  before(async () => {
    ensureAwsCli();
    cloud = await startPrivateCloud({ timeScale: 0.002 });
    const printed = await runCli(['local', 'env', '--json'], { DSQLCTL_HOME: cloud.home });
    assert.equal(printed.status, 0, printed.stderr);
    env = (JSON.parse(printed.stdout) as { result: Record<string, string> }).result;
  });
  after(async () => {
    await cloud.stop();
    removeHome(cloud.home);
  });

  it("prints the endpoint and the home's operator key, as shell lines and as JSON", async () => {
    assert.deepEqual(env, {
      AWS_ENDPOINT_URL: cloud.cloud.endpoint,
      AWS_ACCESS_KEY_ID: cloud.cloud.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: cloud.cloud.credentials.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
    });
    const shell = await runCli(['local', 'env'], { DSQLCTL_HOME: cloud.home });
    assert.match(shell.stdout, new RegExp(`^export AWS_ENDPOINT_URL='${cloud.cloud.endpoint}'$`, 'm'));
    const status = await runCli(['local', 'status', '--json'], { DSQLCTL_HOME: cloud.home });
    const body = (
      JSON.parse(status.stdout) as { result: { endpoint: string; credentials: Record<string, string> } }
    ).result;
    assert.equal(body.endpoint, cloud.cloud.endpoint);
    assert.deepEqual(body.credentials, cloud.cloud.credentials);
  });

  it('aws sts get-caller-identity and aws lambda list-functions work with those keys', () => {
    const identity = aws(['sts', 'get-caller-identity'], env);
    assert.equal(identity.status, 0, identity.stderr);
    assert.equal((JSON.parse(identity.stdout) as { Arn: string }).Arn, 'arn:aws:iam::000000000000:root');
    const functions = aws(['lambda', 'list-functions'], env);
    assert.equal(functions.status, 0, functions.stderr);
    assert.deepEqual((JSON.parse(functions.stdout) as { Functions: unknown[] }).Functions, []);
  });

  it('a wrong secret is refused', () => {
    const refused = aws(['sts', 'get-caller-identity'], { ...env, AWS_SECRET_ACCESS_KEY: 'wrong' });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /SignatureDoesNotMatch/);
    const lambda = aws(['lambda', 'list-functions'], { ...env, AWS_SECRET_ACCESS_KEY: 'wrong' });
    assert.notEqual(lambda.status, 0);
    assert.match(lambda.stderr, /InvalidSignatureException/);
  });
});
