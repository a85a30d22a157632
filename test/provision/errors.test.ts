/**
 * Errors keep their cause: the exit code and advice of a failure come from its root cause, whether it
 * is thrown as it is, inside a wait, or inside a plan step; AWS failures name their operation and
 * region, and throttling its attempts. (Unit tests of one decision each: errors shaped as the SDK
 * throws them; the CLI-level cases run against the local cloud in discovery.test.ts and waits.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  adviceFor,
  describeFailure,
  ExitCode,
  exitCodeFor,
  OwnershipError,
  recordCallSite,
  WaitTimeoutError,
} from '../../src/lib/errors.js';
import { plainReporter } from '../../src/lib/provision/progress.js';
import { progressRelay, runSteps } from '../../src/lib/provision/run.js';
import type { Change } from '../../src/lib/provision/types.js';

/** An error as the SDK throws it for a modelled AWS error (a name, $metadata with the attempts). */
function awsError(name: string, message: string, attempts = 1): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400, attempts } });
}

const step = (id: string): Change => ({
  id,
  kind: 'event-bus',
  name: 'shop',
  region: 'us-west-2',
  action: 'delete',
  reason: 'exists',
  dependsOn: [],
});

describe('errors keep their cause', () => {
  it('AccessDenied inside a wait is exit 3, with advice about the permission, not the wait', () => {
    const denied = awsError('AccessDeniedException', 'not authorized');
    recordCallSite(denied, { operation: 'UpdateCluster', region: 'us-east-1' });
    const wait = new WaitTimeoutError('Gave up on turning deletion protection off', {
      cause: denied,
      advice: 'Run the same command again: it resumes where it stopped.',
    });
    assert.equal(exitCodeFor(wait), ExitCode.auth);
    assert.match(adviceFor(wait) ?? '', /may not call UpdateCluster in us-east-1: grant it/);
  });

  it('a wait timeout is exit 4 and keeps its own advice', () => {
    const timeout = new WaitTimeoutError('Timed out', { advice: 'Run the same command again: it resumes.' });
    assert.equal(exitCodeFor(timeout), ExitCode.timeout);
    assert.equal(adviceFor(timeout), 'Run the same command again: it resumes.');
  });

  it('an ownership conflict is exit 7 with its own advice', () => {
    const conflict = new OwnershipError('bus shop exists but is not tagged', {
      advice: 'Choose another --stack.',
    });
    assert.equal(exitCodeFor(conflict), 7);
    assert.equal(adviceFor(conflict), 'Choose another --stack.');
  });

  it('throttling says where and after how many attempts', () => {
    const throttled = awsError('ThrottlingException', 'Rate exceeded', 8);
    recordCallSite(throttled, { operation: 'CreateEventBus', region: 'us-west-2' });
    assert.equal(
      describeFailure(throttled),
      'CreateEventBus in us-west-2 was throttled by AWS (ThrottlingException: Rate exceeded) after 8 attempts',
    );
    assert.match(adviceFor(throttled) ?? '', /throttled .* run the same command again in a while/);
  });

  it('a plan step refused by AWS is a failed result with exit 3, naming the step, operation and region', async () => {
    const denied = awsError('AccessDeniedException', 'not authorized');
    recordCallSite(denied, { operation: 'DeleteEventBus', region: 'us-west-2' });
    const { steps, failure } = await runSteps(
      [step('event-bus:us-west-2')],
      async () => plainReporter(() => {}),
      progressRelay(),
      async () => {
        throw denied;
      },
    );
    assert.equal(steps[0]?.outcome, 'failed');
    assert.equal(failure?.exitCode, ExitCode.auth);
    assert.equal(
      failure?.message,
      'event-bus shop in us-west-2: DeleteEventBus in us-west-2 was refused: AccessDeniedException: not authorized',
    );
    assert.doesNotMatch(failure?.advice ?? '', /Nothing is lost/);
  });

  it('an error nothing is known about gets no false promise, only what is true of every plan', async () => {
    const { failure } = await runSteps(
      [step('event-bus:us-west-2')],
      async () => plainReporter(() => {}),
      progressRelay(),
      async () => {
        throw new Error('boom');
      },
    );
    assert.equal(failure?.exitCode, ExitCode.unexpected);
    assert.match(failure?.advice ?? '', /once the cause above is fixed, run the same command again/);
  });
});
