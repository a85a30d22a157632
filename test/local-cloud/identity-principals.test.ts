// The credential store: operator key, role sessions issued under trust policies, JSON round trip.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignatureV4 } from '@smithy/signature-v4';
import { CredentialStore, type RoleSession, verifySignature } from '../../src/lib/local-cloud/testing.js';

const ACCOUNT = '000000000000';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/shop-fn`;
const RULE = `arn:aws:events:us-east-1:${ACCOUNT}:rule/shop-bus/forward`;
const trust = (service: string, Condition?: object) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        ...(Condition ? { Condition } : {}),
      },
    ],
  });

class Sha256 {
  private h;
  constructor(key?: string | ArrayBuffer | ArrayBufferView) {
    this.h =
      key === undefined
        ? createHash('sha256')
        : createHmac(
            'sha256',
            typeof key === 'string' ? key : new Uint8Array(ArrayBuffer.isView(key) ? key.buffer : key),
          );
  }
  update(data: Uint8Array) {
    this.h.update(data);
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
  reset() {}
}

async function signedWith(
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  date = new Date(),
) {
  const signer = new SignatureV4({ credentials, region: 'us-east-1', service: 'sts', sha256: Sha256 });
  const body = 'Action=GetCallerIdentity&Version=2011-06-15';
  const r = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: 'h',
      path: '/',
      query: {},
      headers: { host: 'h', 'content-type': 'application/x-www-form-urlencoded' },
      body,
    },
    { signingDate: date },
  );
  return { method: 'POST', path: '/', query: '', headers: r.headers, body: Buffer.from(body) };
}

describe('credential store', () => {
  it('makes the operator the account root, or an IAM user limited to its policy', () => {
    const store = CredentialStore.create(ACCOUNT);
    assert.match(store.operator.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
    assert.deepEqual(store.ownerOf(store.operator.accessKeyId), {
      caller: { kind: 'root', accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root` },
    });
    store.setOperatorUser({ name: 'operator', policy: '{"Statement":[]}' });
    assert.deepEqual(store.ownerOf(store.operator.accessKeyId), {
      caller: { kind: 'user', accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/operator` },
      policies: ['{"Statement":[]}'],
    });
    assert.equal(store.ownerOf('AKIAUNKNOWN'), undefined);
    assert.notEqual(CredentialStore.create(ACCOUNT).operator.secretAccessKey, store.operator.secretAccessKey);
  });

  it('issues role sessions only to the service principals the trust policy allows, with its conditions', () => {
    const store = CredentialStore.create(ACCOUNT);
    const now = Date.now();
    const cases: [string, string, Parameters<CredentialStore['assumeRole']>[1], boolean][] = [
      [
        'lambda trusted',
        trust('lambda.amazonaws.com'),
        { service: 'lambda.amazonaws.com', sessionName: 'shop-txn', sourceAccount: ACCOUNT },
        true,
      ],
      [
        'events not trusted by a lambda role',
        trust('lambda.amazonaws.com'),
        { service: 'events.amazonaws.com', sessionName: 's', sourceAccount: ACCOUNT },
        false,
      ],
      [
        'SourceAccount matches',
        trust('lambda.amazonaws.com', { StringEquals: { 'aws:SourceAccount': ACCOUNT } }),
        { service: 'lambda.amazonaws.com', sessionName: 's', sourceAccount: ACCOUNT },
        true,
      ],
      [
        'SourceAccount differs',
        trust('lambda.amazonaws.com', { StringEquals: { 'aws:SourceAccount': '111111111111' } }),
        { service: 'lambda.amazonaws.com', sessionName: 's', sourceAccount: ACCOUNT },
        false,
      ],
      [
        'events with the rule as SourceArn',
        trust('events.amazonaws.com', {
          StringEquals: { 'aws:SourceAccount': ACCOUNT },
          ArnLike: { 'aws:SourceArn': `arn:aws:events:*:${ACCOUNT}:rule/shop-bus/*` },
        }),
        { service: 'events.amazonaws.com', sessionName: 's', sourceAccount: ACCOUNT, sourceArn: RULE },
        true,
      ],
      [
        'events from another rule',
        trust('events.amazonaws.com', {
          ArnLike: { 'aws:SourceArn': `arn:aws:events:*:${ACCOUNT}:rule/other/*` },
        }),
        { service: 'events.amazonaws.com', sessionName: 's', sourceAccount: ACCOUNT, sourceArn: RULE },
        false,
      ],
      [
        'a SourceArn condition without a SourceArn',
        trust('events.amazonaws.com', { ArnLike: { 'aws:SourceArn': '*' } }),
        { service: 'events.amazonaws.com', sessionName: 's', sourceAccount: ACCOUNT },
        false,
      ],
      [
        'fis trusted',
        trust('fis.amazonaws.com'),
        { service: 'fis.amazonaws.com', sessionName: 'x', sourceAccount: ACCOUNT },
        true,
      ],
    ];
    for (const [label, trustPolicy, request, issued] of cases) {
      const result = store.assumeRole({ arn: ROLE, trustPolicy }, request, now);
      assert.equal('accessKeyId' in result, issued, label);
      if (!issued)
        assert.match(
          (result as { refused: string }).refused,
          /is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::000000000000:role\/shop-fn/,
          label,
        );
    }
  });

  it('names a session assumed-role/<role>/<session>, verifies its signature and refuses it once expired', async () => {
    const store = CredentialStore.create(ACCOUNT);
    const now = Date.now();
    const session = store.assumeRole(
      { arn: ROLE, trustPolicy: trust('lambda.amazonaws.com') },
      {
        service: 'lambda.amazonaws.com',
        sessionName: 'shop-txn',
        sourceAccount: ACCOUNT,
        durationSeconds: 900,
      },
      now,
    ) as RoleSession;
    assert.match(session.accessKeyId, /^ASIA/);
    assert.equal(session.expiresAt, now + 900_000);
    assert.deepEqual(store.ownerOf(session.accessKeyId), {
      caller: {
        kind: 'role-session',
        accountId: ACCOUNT,
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/shop-fn/shop-txn`,
        roleArn: ROLE,
      },
      roleName: 'shop-fn',
    });
    const request = await signedWith(session);
    const lookup = (k: string) => store.signingSecret(k);
    assert.equal((await verifySignature(request, lookup, Date.now())).ok, true);
    const later = await verifySignature(
      await signedWith(session, new Date(now + 901_000)),
      lookup,
      now + 901_000,
    );
    assert.equal(later.ok ? 'ok' : later.refusal, 'ExpiredToken');
    // The operator's key signs too.
    assert.equal((await verifySignature(await signedWith(store.operator), lookup, Date.now())).ok, true);
  });

  it('survives a JSON round trip, sessions included', () => {
    const store = CredentialStore.create(ACCOUNT, { name: 'op', policy: '{"Statement":[]}' });
    const session = store.assumeRole(
      { arn: ROLE, trustPolicy: trust('lambda.amazonaws.com') },
      { service: 'lambda.amazonaws.com', sessionName: 'f', sourceAccount: ACCOUNT },
      Date.now(),
    ) as RoleSession;
    const copy = CredentialStore.fromJSON(JSON.parse(JSON.stringify(store)));
    assert.deepEqual(copy.toJSON(), store.toJSON());
    assert.deepEqual(copy.signingSecret(session.accessKeyId), store.signingSecret(session.accessKeyId));
    assert.equal(copy.ownerOf(copy.operator.accessKeyId)?.caller.kind, 'user');
  });
});
