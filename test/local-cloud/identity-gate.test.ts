// The identity gate's decisions follow the documents as they are now: a function's resource policy is
// compiled once per distinct text, so a statement added or removed in place (AddPermission and
// RemovePermission change the stored record) decides the very next check.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CredentialStore,
  functionPolicy,
  IdentityGate,
  type PolicyStatement,
} from '../../src/lib/local-cloud/testing.js';

const ACCOUNT = '000000000000';
const FUNCTION = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:shop-txn`;
const RULE = `arn:aws:events:us-east-1:${ACCOUNT}:rule/shop/deliver`;
const OTHER_RULE = `arn:aws:events:us-east-1:${ACCOUNT}:rule/shop/other`;

const permission = (sid: string, effect: 'Allow' | 'Deny', sourceArn: string): PolicyStatement => ({
  Sid: sid,
  Effect: effect,
  Principal: { Service: 'events.amazonaws.com' },
  Action: 'lambda:InvokeFunction',
  Resource: FUNCTION,
  Condition: { ArnLike: { 'AWS:SourceArn': sourceArn } },
});

describe('identity gate', () => {
  it("a function's resource policy changed in place decides the next check", () => {
    const policy: PolicyStatement[] = [];
    const functions = {
      'us-east-1/shop-txn': { name: 'shop-txn', region: 'us-east-1', arn: FUNCTION, policy },
    };
    // Only what functionPolicy reads of the cloud: the Lambda namespace of the state.
    const cloud = { state: { read: () => ({ functions }) } } as unknown as Parameters<
      typeof functionPolicy
    >[0];
    const gate = new IdentityGate(
      CredentialStore.create(ACCOUNT),
      { role: () => undefined, resourcePolicy: (arn) => functionPolicy(cloud, arn) },
      ACCOUNT,
    );
    const delivery = (sourceArn: string) =>
      gate.serviceAllowed('events.amazonaws.com', 'lambda:InvokeFunction', FUNCTION, {
        sourceAccount: ACCOUNT,
        sourceArn,
      });

    assert.equal(delivery(RULE), false, 'no policy: refused');
    policy.push(permission('other', 'Allow', OTHER_RULE));
    assert.equal(delivery(RULE), false, 'a permission for another rule does not allow this one');
    assert.equal(delivery(OTHER_RULE), true);
    policy.push(permission('deliver', 'Allow', RULE));
    assert.equal(delivery(RULE), true, 'the permission added in place allows at once');
    policy.push(permission('stop', 'Deny', RULE));
    assert.equal(delivery(RULE), false, 'a Deny added in place wins at once');
    policy.splice(1);
    assert.equal(delivery(RULE), false, 'the permission removed in place no longer allows');
    assert.equal(delivery(OTHER_RULE), true);
  });
});
