// Every request's SigV4 signature is verified, on each of the five services, through the real SDK clients:
// an unknown key, a wrong secret, a stale date and an unsigned request are each refused with the error
// code and status of the service's protocol (the SDK's default retries end with the refusal, no hang); the
// control paths need the operator's key.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DSQLClient, ListClustersCommand } from '@aws-sdk/client-dsql';
import { EventBridgeClient, ListEventBusesCommand } from '@aws-sdk/client-eventbridge';
import { IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { TestLocalCloud } from '../../src/lib/local-cloud/testing.js';
import { withSuiteCloud } from '../support/suite-cloud.js';

/** What each call varies: the endpoint, the credentials, the clock, the attempts. */
interface Config {
  region: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  systemClockOffset?: number;
  maxAttempts?: number;
}

/** One call per service, and what its protocol answers for each refusal (sigv4.ts REFUSAL_ERRORS). */
const SERVICES = [
  {
    name: 'dsql',
    call: (c: Config) => new DSQLClient(c).send(new ListClustersCommand({})),
    unknown: ['UnrecognizedClientException', 403],
    wrong: ['InvalidSignatureException', 403],
    stale: ['InvalidSignatureException', 403],
    unsigned: { path: '/cluster', method: 'GET', code: 'MissingAuthenticationTokenException' },
  },
  {
    name: 'lambda',
    call: (c: Config) => new LambdaClient(c).send(new ListFunctionsCommand({})),
    unknown: ['UnrecognizedClientException', 403],
    wrong: ['InvalidSignatureException', 403],
    stale: ['InvalidSignatureException', 403],
    unsigned: { path: '/2015-03-31/functions', method: 'GET', code: 'MissingAuthenticationTokenException' },
  },
  {
    name: 'events',
    call: (c: Config) => new EventBridgeClient(c).send(new ListEventBusesCommand({})),
    unknown: ['UnrecognizedClientException', 400],
    wrong: ['InvalidSignatureException', 400],
    stale: ['InvalidSignatureException', 400],
    unsigned: {
      path: '/',
      method: 'POST',
      headers: { 'x-amz-target': 'AWSEvents.ListEventBuses', 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
      code: 'MissingAuthenticationTokenException',
    },
  },
  {
    name: 'iam',
    call: (c: Config) => new IAMClient(c).send(new ListRolePoliciesCommand({ RoleName: 'none' })),
    unknown: ['InvalidClientTokenId', 403],
    wrong: ['SignatureDoesNotMatch', 403],
    stale: ['SignatureDoesNotMatch', 403],
    unsigned: {
      path: '/',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=ListRolePolicies&Version=2010-05-08&RoleName=none',
      code: 'MissingAuthenticationToken',
    },
  },
  {
    name: 'sts',
    call: (c: Config) => new STSClient(c).send(new GetCallerIdentityCommand({})),
    unknown: ['InvalidClientTokenId', 403],
    wrong: ['SignatureDoesNotMatch', 403],
    stale: ['SignatureDoesNotMatch', 403],
    unsigned: {
      path: '/',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
      code: 'MissingAuthenticationToken',
    },
  },
] as const;

async function refusal(call: Promise<unknown>): Promise<[string, number | undefined, string]> {
  try {
    await call;
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return [e.name, e.$metadata?.httpStatusCode, e.message];
  }
  throw new Error('the call was not refused');
}

describe('local cloud: signatures', () => {
  let cloud: TestLocalCloud;
  withSuiteCloud((started) => {
    cloud = started;
  });

  const base = (): Config => ({
    region: 'us-east-1',
    endpoint: cloud.endpoint,
    credentials: cloud.credentials,
  });

  for (const service of SERVICES) {
    it(`${service.name}: the operator's key is accepted; an unknown key, a wrong secret, a stale date and no signature are refused`, async () => {
      // Accepted: answered by the service itself (IAM: the role does not exist).
      await service.call(base()).catch((e: Error) => assert.equal(e.name, 'NoSuchEntityException'));
      const unknown = await refusal(
        service.call({
          ...base(),
          credentials: { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' },
        }),
      );
      assert.deepEqual(unknown.slice(0, 2), service.unknown, unknown[2]);
      assert.match(unknown[2], /security token included in the request is invalid/);
      const wrong = await refusal(
        service.call({ ...base(), credentials: { ...cloud.credentials, secretAccessKey: 'not-the-secret' } }),
      );
      assert.deepEqual(wrong.slice(0, 2), service.wrong, wrong[2]);
      // One attempt: the SDK would otherwise correct its clock from the answer's Date and retry.
      const stale = await refusal(
        service.call({ ...base(), systemClockOffset: -20 * 60 * 1000, maxAttempts: 1 }),
      );
      assert.deepEqual(stale.slice(0, 2), service.stale, stale[2]);
      assert.match(stale[2], /Signature expired/);

      const { unsigned } = service;
      const response = await fetch(`${cloud.endpoint}${unsigned.path}`, {
        method: unsigned.method,
        ...('headers' in unsigned ? { headers: unsigned.headers, body: unsigned.body } : {}),
      });
      assert.equal(response.status, 403);
      const text = await response.text();
      if (service.name === 'iam' || service.name === 'sts')
        assert.match(text, new RegExp(`<Code>${unsigned.code}</Code>`));
      else assert.equal(response.headers.get('x-amzn-errortype'), unsigned.code, text);
    });
  }

  it("the control paths answer only a bearer of the operator's secret", async () => {
    assert.equal((await fetch(`${cloud.endpoint}/_dsqlctl/status`)).status, 403);
    const wrong = await fetch(`${cloud.endpoint}/_dsqlctl/health`, {
      headers: { authorization: 'Bearer nope' },
    });
    assert.equal(wrong.status, 403);
    const right = await fetch(`${cloud.endpoint}/_dsqlctl/health`, {
      headers: { authorization: `Bearer ${cloud.credentials.secretAccessKey}` },
    });
    assert.equal(right.status, 200);
  });
});
