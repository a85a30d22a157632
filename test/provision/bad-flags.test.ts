/**
 * Bad flag values for up, down and status: each is a clear usage error (exit 2) raised before any AWS
 * call (the endpoint sees no request). Missing credentials on the aws target fail fast with exit 3.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { awsTargetEnv, runCli } from '../support/cli.js';
import { type RecordingEndpoint, startRecordingEndpoint } from '../support/recording-endpoint.js';

let endpoint: RecordingEndpoint;
before(async () => {
  // Any call at all is a failure: answer 500 and count what was sent.
  endpoint = await startRecordingEndpoint(() => ({
    status: 500,
    headers: { 'content-type': 'application/json' },
    body: '{"message":"no call was expected"}',
  }));
});
after(() => endpoint.close());

const cases: Array<{ args: string[]; message: RegExp }> = [
  {
    args: ['up', '--regions', 'us-east-1,eu-west-1'],
    message: /us-east-1 \(Americas\) and eu-west-1 \(Europe\) are in different DSQL region sets/,
  },
  {
    args: ['up', '--witness', 'eu-west-1'],
    message:
      /Invalid witness "eu-west-1": it is in the Europe region set, not Americas\. Valid witnesses: us-east-2, ca-central-1, ca-west-1/,
  },
  {
    args: ['up', '--regions', 'us-east-1,us-west-2', '--witness', 'us-west-2'],
    message: /Invalid witness "us-west-2": the witness must differ from both cluster regions/,
  },
  { args: ['up', '--regions', 'us-east-1,mars-west-1'], message: /Unknown region "mars-west-1"/ },
  {
    args: ['up', '--regions', 'us-east-1,us-west-2,us-east-2'],
    message: /--regions has 3 regions; a DSQL multi-region cluster peers exactly two regions/,
  },
  { args: ['up', '--regions', 'us-east-1,us-east-1'], message: /--regions names us-east-1 twice/ },
  { args: ['up', '--regions', ','], message: /--regions needs one region, or two regions to peer/ },
  {
    args: ['up', '--regions', 'us-east-1', '--witness', 'us-east-2'],
    message: /--witness applies only to two peered regions/,
  },
  {
    args: ['up', '--regions', 'eu-west-1,eu-west-2'],
    message:
      /Invalid witness "us-east-2": it is in the Americas region set, not Europe\. Valid witnesses: eu-central-1/,
  },
  { args: ['up', '--stack', 'Shop'], message: /Invalid stack name "Shop"/ },
  { args: ['up', '--stack', 'shop_1'], message: /Invalid stack name "shop_1"/ },
  { args: ['up', '--stack', 'a'.repeat(33)], message: /Invalid stack name "a{33}": use 1–32/ },
  { args: ['up', '--stack', 'shop-'], message: /Invalid stack name "shop-"/ },
  { args: ['up', '--stack', '9shop'], message: /Invalid stack name "9shop"/ },
  { args: ['up', '--stack', 'default'], message: /Invalid stack name "default": EventBridge reserves it/ },
  {
    args: ['down', '--stack', 'shop'],
    message: /Refusing to delete stack shop without confirmation.*\n.*--yes/,
  },
  { args: ['status', '--stack', 'x--y'], message: /Invalid stack name "x--y"/ },
  { args: ['down', '--yes', '--stack', 'UPPER'], message: /Invalid stack name "UPPER"/ },
  { args: ['up', '--target', 'mars'], message: /Expected --target=mars to be one of: aws, local/ },
];

describe('bad flag values', () => {
  for (const { args, message } of cases) {
    it(`dsqlctl ${args.join(' ')} → exit 2`, async () => {
      const before = endpoint.requests.length;
      const result = await runCli(args, awsTargetEnv(endpoint.url));
      assert.equal(result.status, 2, `exit status (stderr: ${result.stderr})`);
      assert.match(result.stderr, message);
      assert.equal(endpoint.requests.length, before, 'no AWS call was made');
    });
  }

  it('--json puts the usage error on stdout as JSON with its exit code', async () => {
    const result = await runCli(
      ['up', '--regions', 'us-east-1,eu-west-1', '--json'],
      awsTargetEnv(endpoint.url),
    );
    assert.equal(result.status, 2);
    const body = JSON.parse(result.stdout) as { error: { name: string; exitCode: number; message: string } };
    assert.equal(body.error.name, 'UsageError');
    assert.equal(body.error.exitCode, 2);
    assert.match(body.error.message, /different DSQL region sets/);
  });
});

describe('no AWS credentials', () => {
  for (const command of [['up'], ['status'], ['down', '--yes']]) {
    it(`dsqlctl ${command.join(' ')} fails fast with exit 3, naming the sources tried and --target local`, async () => {
      const result = await runCli(command, {
        HOME: '/nonexistent-home',
        AWS_CONFIG_FILE: '/nonexistent/config',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ENDPOINT_URL: endpoint.url,
        DSQLCTL_TARGET: 'aws',
      });
      assert.equal(result.status, 3, result.stderr);
      assert.match(result.stderr, /No AWS credentials found\. Tried: environment variables/);
      assert.match(result.stderr, /--target local/);
    });
  }
});
