// AWS auth failures anywhere in an error's cause chain exit 3, naming the action and resource to add.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adviceFor, ExitCode, exitCodeFor, WaitTimeoutError } from '../../src/lib/errors.js';

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 403 } });
}

const denied = awsError(
  'AccessDeniedException',
  'User: arn:aws:iam::000000000000:user/dsqlctl-operator is not authorized to perform: dsql:AddPeerCluster on resource: arn:aws:dsql:us-east-1:000000000000:cluster/abc because no identity-based policy allows the dsql:AddPeerCluster action',
);

describe('auth failures in the cause chain', () => {
  for (const name of [
    'AccessDenied',
    'UnrecognizedClientException',
    'InvalidClientTokenId',
    'InvalidSignatureException',
    'SignatureDoesNotMatch',
    'ExpiredToken',
  ]) {
    it(`${name} inside a failed plan step inside a wait exits 3`, () => {
      const step = new Error('create dsql-peering in us-east-1 failed', { cause: awsError(name, 'refused') });
      const wait = new WaitTimeoutError('waiting for the peering failed', {
        cause: step,
        advice: 'Run the same command again: it resumes.',
      });
      assert.equal(exitCodeFor(wait), ExitCode.auth);
      // The advice is about the refusal, not the wait.
      assert.doesNotMatch(adviceFor(wait) ?? '', /resumes/);
    });
  }

  it('names the missing action and resource and where to get the policy', () => {
    const step = new Error('create dsql-peering in us-east-1 failed', { cause: denied });
    assert.equal(exitCodeFor(step), ExitCode.auth);
    assert.equal(
      adviceFor(step),
      "Add dsql:AddPeerCluster on arn:aws:dsql:us-east-1:000000000000:cluster/abc to the operator's policy (`dsqlctl iam policy` prints it), then run the same command again.",
    );
    assert.equal(exitCodeFor(new Error('step', { cause: new Error('other') })), ExitCode.unexpected);
  });

  it('a DSQL token the endpoint refuses (SQLSTATE 28000) exits 3 naming the action and cluster', () => {
    const refused = Object.assign(
      new Error(
        'arn:aws:iam::000000000000:user/dsqlctl-operator is not authorized to perform dsql:DbConnectAdmin on arn:aws:dsql:us-east-1:000000000000:cluster/abc',
      ),
      { code: '28000' },
    );
    const step = new Error('create database in us-east-1 failed', { cause: refused });
    assert.equal(exitCodeFor(step), ExitCode.auth);
    assert.equal(
      adviceFor(step),
      "Add dsql:DbConnectAdmin on arn:aws:dsql:us-east-1:000000000000:cluster/abc to the operator's policy (`dsqlctl iam policy` prints it), then run the same command again.",
    );
  });

  it('a refused key or signature says to check the credentials', () => {
    const wait = new WaitTimeoutError('waiting failed', {
      cause: awsError('UnrecognizedClientException', 'refused'),
    });
    assert.match(adviceFor(wait) ?? '', /the credentials were refused; check them .*dsqlctl local env/);
  });
});
