// Unit tests of single decisions inside the local cloud: protocol encodings, credential scopes, the
// fault schedule, and where PostgreSQL's data lives.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  credentialScope,
  Faults,
  parseFailFlag,
  parseQueryInput,
  postgresDataDir,
  readFaults,
  toXml,
} from '../../src/lib/local-cloud/testing.js';

describe('local cloud units', () => {
  it('reads region and signing name from the SigV4 credential scope', () => {
    assert.deepEqual(
      credentialScope(
        'AWS4-HMAC-SHA256 Credential=AKID/20261127/us-west-2/dsql/aws4_request, SignedHeaders=host, Signature=x',
      ),
      { region: 'us-west-2', service: 'dsql' },
    );
    assert.equal(credentialScope(undefined), undefined);
  });

  it('unflattens awsQuery input: member lists, entry maps, nesting', () => {
    const form = new URLSearchParams(
      'Action=TagRole&Version=2010-05-08&RoleName=r&Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.1.Key=a&Tags.member.1.Value=1' +
        '&TagKeys.member.1=x&Attrs.entry.1.key=k&Attrs.entry.1.value=v',
    );
    // Null-prototype records (parsing.test.ts): compared by content.
    assert.deepEqual(JSON.parse(JSON.stringify(parseQueryInput(form))), {
      RoleName: 'r',
      Tags: [
        { Key: 'a', Value: '1' },
        { Key: 'b', Value: '2' },
      ],
      TagKeys: ['x'],
      Attrs: { k: 'v' },
    });
  });

  it('encodes awsQuery output as XML with member lists, ISO dates and escaping', () => {
    assert.equal(
      toXml({ A: ['x', 'y'], B: new Date(0), C: '<&>', D: undefined, E: false }),
      '<A><member>x</member><member>y</member></A><B>1970-01-01T00:00:00.000Z</B><C>&#60;&#38;&#62;</C><E>false</E>',
    );
  });

  it('throttles an evenly spread share of matching calls and fails exactly the Nth', () => {
    const faults = new Faults({
      throttle: { rate: 0.5, operations: ['dsql:GetCluster'] },
      failures: [{ operation: 'dsql:CreateCluster', nth: 2, times: 2 }],
    });
    const kinds = (op: string, n: number) => Array.from({ length: n }, () => faults.decide('dsql', op).kind);
    assert.deepEqual(kinds('GetCluster', 4), ['run', 'throttle', 'run', 'throttle']);
    assert.deepEqual(kinds('ListClusters', 2), ['run', 'run']);
    assert.deepEqual(kinds('CreateCluster', 4), ['run', 'fail', 'fail', 'run']);
  });

  it('scales durations and validates the configuration', () => {
    const faults = new Faults({ timeScale: 0.01, durations: { 'dsql:UpdateCluster': 10 } });
    assert.equal(faults.durationMs('dsql:CreateCluster'), 600);
    assert.equal(faults.durationMs('dsql:UpdateCluster'), 100);
    assert.throws(() => new Faults({ timeScale: -1 }), /timeScale/);
    assert.throws(() => readFaults('{"throttle":{"rate":2}}'), /rate/);
    assert.throws(() => readFaults('/no/such/file.json'), /neither JSON nor a readable file/);
    assert.deepEqual(parseFailFlag('iam:CreateRole:3:ServiceFailure'), {
      operation: 'iam:CreateRole',
      nth: 3,
      code: 'ServiceFailure',
    });
    assert.throws(() => parseFailFlag('CreateRole'), /must look like/);
    assert.throws(() => readFaults('{"failures":[{"operation":"CreateRole","nth":1}]}'), /must look like/);
  });

  it('keeps PostgreSQL data where its user can reach it', () => {
    const home = mkdtempSync(join(tmpdir(), 'dsqlctl-lc-unit-'));
    try {
      chmodSync(home, 0o700);
      const closed = postgresDataDir(join(home, 'local-cloud'));
      chmodSync(home, 0o755);
      assert.equal(postgresDataDir(join(home, 'local-cloud')), join(home, 'local-cloud', 'postgres', 'data'));
      if (userInfo().uid === 0) assert.match(closed, /^\/var\/tmp\/dsqlctl-postgres-[0-9a-f]{12}\/data$/);
      else assert.equal(closed, join(home, 'local-cloud', 'postgres', 'data'));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
