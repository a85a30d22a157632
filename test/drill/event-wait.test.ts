// The drill's wait for events outlasts Lambda's retries of a failed delivery: on AWS one minute and
// then two more (Lambda's asynchronous invocation guide), on the local cloud its `lambda:AsyncRetry`
// in its time, read from the running daemon. An event whose delivery failed during the outage is late,
// not lost, until the last retry has run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { eventTimeoutMs } from '../../src/lib/drill/index.js';
import { resolveTarget } from '../../src/lib/target.js';

/** `work` with `vars` set in this process's environment, restored after. */
async function withEnv<T>(vars: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  Object.assign(process.env, vars);
  try {
    return await work();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

describe('the drill waits out Lambda’s retries for events', () => {
  let cloud: PrivateCloud;
  before(async () => {
    cloud = await startPrivateCloud({ timeScale: 0.01, durations: { 'lambda:AsyncRetry': 600 } });
  });
  after(() => cloud.stop());

  it('on AWS: the first retry after 1 min, the second 2 min later, then a margin', async () => {
    // Any credentials: resolving the target only looks for them.
    const aws = await withEnv({ AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'example' }, () =>
      resolveTarget({ kind: 'aws' }),
    );
    assert.equal(aws.lambdaAsyncRetryMs, 60_000);
    assert.equal(eventTimeoutMs(aws), 200_000);
  });

  it('on the local cloud: its own retry wait, time-scaled (600 s × 0.01), read from the daemon', async () => {
    const local = await withEnv({ DSQLCTL_HOME: cloud.home }, () => resolveTarget({ kind: 'local' }));
    assert.equal(local.lambdaAsyncRetryMs, 6000);
    // The last retry runs 18 s after the failed delivery: the wait covers it, with the margin.
    assert.equal(eventTimeoutMs(local), 38_000);
  });
});
