// EventBridge event patterns (the documented subset dsqlctl uses): validation and matching, in-process.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TRANSACTION_EVENT } from '../../src/lib/function-contract.js';
import { matchesPattern, PatternError, parsePattern } from '../../src/lib/local-cloud/testing.js';
import { eventPattern } from '../../src/lib/provision/event-rule.js';

const event = {
  version: '0',
  id: 'e1',
  'detail-type': TRANSACTION_EVENT.detailType,
  source: TRANSACTION_EVENT.source,
  account: '000000000000',
  time: '2026-01-01T00:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:lambda:us-east-1:000000000000:function:f'],
  detail: {
    transactionId: 't-1',
    amount: '12.50',
    originRegion: 'us-east-1',
    attempts: 2,
    flags: ['a', 'b'],
    nested: { level: { deep: 'yes' } },
    empty: null,
  },
};

const matches = (pattern: unknown) => matchesPattern(parsePattern(JSON.stringify(pattern)), event);

describe('EventBridge event patterns', () => {
  it("matches dsqlctl's own rule pattern on the origin region only", () => {
    assert.equal(matches(eventPattern('us-east-1')), true);
    assert.equal(matches(eventPattern('us-east-2')), false);
  });

  it('matches exact values: strings, numbers numerically, null, any element of an array field', () => {
    assert.equal(matches({ source: ['other', TRANSACTION_EVENT.source] }), true);
    assert.equal(matches({ source: ['other'] }), false);
    assert.equal(matches({ detail: { attempts: [2.0] } }), true);
    assert.equal(matches({ detail: { attempts: ['2'] } }), false);
    assert.equal(matches({ detail: { empty: [null] } }), true);
    assert.equal(matches({ detail: { flags: ['b'] } }), true);
    assert.equal(matches({ resources: ['arn:aws:lambda:us-east-1:000000000000:function:f'] }), true);
    assert.equal(matches({ detail: { nested: { level: { deep: ['yes'] } } } }), true);
    assert.equal(matches({ detail: { nested: { level: { deep: ['no'] } } } }), false);
    assert.equal(matches({ detail: { missing: ['x'] } }), false, 'a missing field matches no value');
    assert.equal(matches({ detail: { nested: ['yes'] } }), false, 'an object field is not a leaf');
  });

  it('matches prefix, anything-but (value, list, prefix) and exists', () => {
    assert.equal(matches({ detail: { originRegion: [{ prefix: 'us-' }] } }), true);
    assert.equal(matches({ detail: { originRegion: [{ prefix: 'eu-' }] } }), false);
    assert.equal(matches({ detail: { originRegion: [{ 'anything-but': 'us-east-2' }] } }), true);
    assert.equal(matches({ detail: { originRegion: [{ 'anything-but': ['us-east-1', 'x'] }] } }), false);
    assert.equal(matches({ detail: { originRegion: [{ 'anything-but': { prefix: 'us-' } }] } }), false);
    assert.equal(matches({ detail: { attempts: [{ 'anything-but': [1, 3] }] } }), true);
    assert.equal(
      matches({ detail: { missing: [{ 'anything-but': 'x' }] } }),
      false,
      'anything-but needs the field',
    );
    assert.equal(matches({ detail: { transactionId: [{ exists: true }] } }), true);
    assert.equal(matches({ detail: { transactionId: [{ exists: false }] } }), false);
    assert.equal(matches({ detail: { missing: [{ exists: false }] } }), true);
    assert.equal(
      matches({ detail: { no: { such: [{ exists: false }] } } }),
      true,
      'missing parent: field absent',
    );
    assert.equal(matches({ detail: { no: { such: [{ exists: true }] } } }), false);
    assert.equal(matches({ source: ['x', { prefix: 'dsql.' }] }), true, 'any matcher of a leaf may match');
  });

  it('refuses other operators and malformed patterns with a clear PatternError', () => {
    const refuse = (pattern: unknown, message: RegExp) =>
      assert.throws(
        () => parsePattern(typeof pattern === 'string' ? pattern : JSON.stringify(pattern)),
        (e) => {
          assert.ok(e instanceof PatternError);
          assert.match(e.message, message);
          return true;
        },
      );
    for (const operator of ['suffix', 'numeric', 'cidr', 'wildcard', 'equals-ignore-case']) {
      refuse(
        { detail: { x: [{ [operator]: 'y' }] } },
        new RegExp(`Unsupported operator "${operator}" at detail\\.x`),
      );
    }
    refuse({ $or: [{ source: ['a'] }] }, /must be an array or an object|Unsupported/);
    refuse('{not json', /not valid JSON/);
    refuse([], /must be a JSON object/);
    refuse({}, /Empty objects/);
    refuse({ source: [] }, /Empty arrays/);
    refuse({ source: 'dsql.application' }, /must be an array or an object/);
    refuse({ source: [{ prefix: 1 }] }, /prefix match pattern at source must be a string/);
    refuse({ source: [{ exists: 'yes' }] }, /either true or false/);
    refuse({ source: [{ prefix: 'a', exists: true }] }, /exactly one operator/);
    refuse({ source: [{ 'anything-but': { suffix: 'x' } }] }, /anything-but at source/);
    refuse({ source: [['nested']] }, /must be a value or an operator object/);
  });
});
