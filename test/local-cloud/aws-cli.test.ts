// A real client we did not write: the AWS CLI, pointed at the local cloud by `dsqlctl local env`, works
// with the home's operator key and is refused with a wrong secret. The CLI is installed with apt-get
// (Debian package awscli) when missing; the test fails when it cannot be had, it never skips.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { type PrivateCloud, removeHome, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { runCli } from '../support/cli.js';

function ensureAwsCli(): void {
  if (spawnSync('aws', ['--version']).status === 0) return;
  try {
    execFileSync('apt-get', ['update'], { stdio: 'ignore' });
    execFileSync('apt-get', ['install', '-y', 'awscli'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (error) {
    throw new Error(`The AWS CLI is missing and apt-get could not install it (package awscli): ${error}`);
  }
}

/** `aws …` with only the given environment's AWS settings (no config files of the machine's user). */
function aws(args: string[], env: Record<string, string>) {
  const result = spawnSync('aws', [...args, '--output', 'json'], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_MAX_ATTEMPTS: '1',
      ...env,
    },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

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
