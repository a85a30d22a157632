/**
 * `up` under injected faults still converges: ≥ 20 % of calls throttled, an IAM propagation window
 * (new roles not assumable by Lambda for a while) and Lambda update-in-progress conflicts; and a wait
 * that cannot finish ends in a clear timeout with exit 4.
 *
 * The throttled commands run with DSQLCTL_RETRY_BASE_DELAY_MS=10 (sdk-retry.ts): the SDK's standard
 * retry with a 10 ms backoff base, without the adaptive mode's client-side rate limiter. The default
 * (a 1 s throttling base and the rate limiter spacing requests by up to seconds) spent ~50 s of this
 * test asleep, proving nothing more: every throttled call is still retried by the SDK, with the same
 * attempt limit, and the command still converges.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { FAST, type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { functionZipPath } from '../../src/lib/bundle.js';
import type { StatusResult } from '../../src/lib/provision/index.js';
import { runCli } from '../support/cli.js';

describe('up under throttling, IAM propagation delay and Lambda conflicts', () => {
  let cloud: PrivateCloud;
  before(async () => {
    cloud = await startPrivateCloud({
      throttle: { rate: 0.25 },
      // A 6 s IAM propagation window (600 s of AWS time at the default scale 0.01): the first CreateFunction,
      // about 2 s after the role, always falls inside it.
      durations: { 'iam:Propagation': 600, 'lambda:Update': 100 },
      failures: [
        {
          operation: 'lambda:UpdateFunctionCode',
          nth: 1,
          times: 2,
          code: 'ResourceConflictException',
          status: 409,
          message: 'The operation cannot be performed at this time. An update is in progress for resource.',
        },
      ],
    });
  });
  after(() => cloud.stop());
  const fastRetries = () => ({ ...cloud.env, DSQLCTL_RETRY_BASE_DELAY_MS: '10' });

  it('refuses a retry base delay that is not a whole number of milliseconds (exit 2)', async () => {
    const bad = await runCli(['status', '--stack', 'rough'], {
      ...cloud.env,
      DSQLCTL_RETRY_BASE_DELAY_MS: '1s',
    });
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(
      bad.stderr,
      /DSQLCTL_RETRY_BASE_DELAY_MS must be a whole number of milliseconds from 0 to 20000 \(got "1s"\)/,
    );
  });

  it('converges, showing the retries, and a code change rides out update conflicts', async () => {
    const up = await runCli(['up', '--stack', 'rough'], fastRetries());
    assert.equal(up.status, 0, up.stderr);
    const calls = cloud.cloud.requests().filter((c) => c.operation !== 'Deliver');
    const throttled = calls.filter((c) => /Throttl|TooManyRequests/.test(c.error ?? '')).length;
    assert.ok(throttled / calls.length >= 0.2, `${throttled} of ${calls.length} calls throttled`);
    assert.ok(
      calls.some((c) => c.operation === 'CreateFunction' && c.error === 'InvalidParameterValueException'),
      'the IAM propagation window was hit',
    );
    assert.match(up.stderr, /not assumable by Lambda yet \(IAM propagation\); retrying/);

    const files = unzipSync(readFileSync(functionZipPath()));
    const changed = join(cloud.home, 'changed.zip');
    writeFileSync(changed, zipSync({ ...files, 'BUILD-MARKER.txt': strToU8('rough') }));
    const update = await runCli(['up', '--stack', 'rough'], {
      ...fastRetries(),
      DSQLCTL_FUNCTION_ZIP: changed,
    });
    assert.equal(update.status, 0, update.stderr);
    assert.match(update.stderr, /another update of the function is in progress; retrying/);

    const status = await runCli(['status', '--stack', 'rough', '--json'], {
      ...fastRetries(),
      DSQLCTL_FUNCTION_ZIP: changed,
    });
    const body = JSON.parse(status.stdout).result as StatusResult;
    assert.equal(body.inSync, true, JSON.stringify(body.resources.filter((r) => r.drift)));
    const down = await runCli(['down', '--stack', 'rough', '--yes'], fastRetries());
    assert.equal(down.status, 0, down.stderr);
  });
});

describe('up under 70 % throttling', () => {
  let cloud: PrivateCloud;
  before(async () => {
    cloud = await startPrivateCloud({ ...FAST, throttle: { rate: 0.7 } });
  });
  after(() => cloud.stop());

  it('converges, or fails naming the step, the operation, the region and the attempts throttled', async () => {
    const env = { ...cloud.env, DSQLCTL_RETRY_BASE_DELAY_MS: '10' };
    const up = await runCli(['up', '--stack', 'storm'], env);
    const calls = cloud.cloud.requests().filter((c) => c.operation !== 'Deliver');
    const throttled = calls.filter((c) => /Throttl|TooManyRequests/.test(c.error ?? '')).length;
    assert.ok(throttled / calls.length >= 0.65, `${throttled} of ${calls.length} calls throttled`);
    if (up.status === 0) {
      const status = await runCli(['status', '--stack', 'storm', '--json'], env);
      if (status.status === 0) {
        const body = JSON.parse(status.stdout).result as StatusResult;
        assert.equal(body.inSync, true, JSON.stringify(body.resources.filter((r) => r.drift)));
      }
      return;
    }
    // Never a bare "Error: Rate exceeded": the step (or the lock), the call and its region, and the attempts.
    const error = up.stderr.split('\n').find((line) => line.startsWith('Error: ')) ?? '';
    assert.match(
      error,
      /^Error: (\S+ .+: |.*lock.*\()?\w+ in [a-z0-9-]+ was throttled by AWS \(\w+: Rate exceeded\) after \d+ attempts/,
      up.stderr,
    );
    assert.match(up.stderr, /run the same command again in a while/);
    assert.notEqual(up.status, 2, up.stderr);
  });
});

describe('bounded waits', () => {
  let cloud: PrivateCloud;
  before(async () => {
    // Cluster creation takes 1,000 s here; the waits are capped at 2 s.
    cloud = await startPrivateCloud({ durations: { 'dsql:CreateCluster': 100_000 } });
  });
  after(() => cloud.stop());

  it('a wait that cannot finish in time fails with exit 4, naming what it waited for', async () => {
    const up = await runCli(['up', '--stack', 'slow', '--regions', 'us-east-1'], {
      ...cloud.env,
      DSQLCTL_WAIT_TIMEOUT_SECONDS: '2',
    });
    assert.equal(up.status, 4, up.stderr);
    assert.match(
      up.stderr,
      /Timed out after 2 s waiting for cluster \w+ in us-east-1 \(last seen: CREATING\)/,
    );
    assert.match(up.stderr, /Run the same command again: it resumes where it stopped/);
  });
});
