// The drill's wait for events outlasts Lambda's retries of a failed delivery: on AWS one minute and
// then two more (Lambda's asynchronous invocation guide), on the local cloud its `lambda:AsyncRetry`
// in its time, read from the running daemon. An event whose delivery failed during the outage is late,
// not lost, until the last retry has run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { eventTimeoutMs } from '../../src/lib/drill/index.js';
import { resolveTarget } from '../../src/lib/target.js';

describe('the drill waits out Lambda’s retries for events', () => {
  let cloud: PrivateCloud;
  before(async () => {
    cloud = await startPrivateCloud({ timeScale: 0.01, durations: { 'lambda:AsyncRetry': 600 } });
  });
  after(() => cloud.stop());

  it('on AWS: the first retry after 1 min, the second 2 min later, then a margin', async () => {
    const saved = { ...process.env };
    // Any credentials: resolving the target only looks for them.
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'example' });
    try {
      const aws = await resolveTarget({ kind: 'aws' });
      assert.equal(aws.lambdaAsyncRetryMs, 60_000);
      assert.equal(eventTimeoutMs(aws), 200_000);
    } finally {
      for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });

  it('on the local cloud: its own retry wait, time-scaled (600 s × 0.01), read from the daemon', async () => {
    const home = process.env.DSQLCTL_HOME;
    process.env.DSQLCTL_HOME = cloud.home;
    try {
      const local = await resolveTarget({ kind: 'local' });
      assert.equal(local.lambdaAsyncRetryMs, 6000);
      // The last retry runs 18 s after the failed delivery: the wait covers it.
      assert.ok(eventTimeoutMs(local) > 3 * 6000, `waits ${eventTimeoutMs(local)} ms`);
    } finally {
      if (home === undefined) delete process.env.DSQLCTL_HOME;
      else process.env.DSQLCTL_HOME = home;
    }
  });
});
