// SigV4 verification: requests signed by the SDK's own signer and by real SDK clients over loopback HTTP.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  REFUSAL_ERRORS,
  type SignedRequest,
  type SigningProtocol,
  type SigningSecret,
  verifySignature,
} from '../../src/lib/local-cloud/testing.js';

const OPERATOR = { accessKeyId: 'AKIALOCALOPERATOR000', secretAccessKey: 'operator-secret' };
const SESSION = {
  accessKeyId: 'ASIALOCALSESSION0000',
  secretAccessKey: 'session-secret',
  sessionToken: 'session-token-1',
};
const secrets = new Map<string, SigningSecret>([
  [OPERATOR.accessKeyId, { secretAccessKey: OPERATOR.secretAccessKey }],
  [SESSION.accessKeyId, { secretAccessKey: SESSION.secretAccessKey, sessionToken: SESSION.sessionToken }],
]);
const lookup = (key: string) => secrets.get(key);

const keyBytes = (key: string | ArrayBuffer | ArrayBufferView) =>
  typeof key === 'string'
    ? key
    : ArrayBuffer.isView(key)
      ? new Uint8Array(key.buffer, key.byteOffset, key.byteLength)
      : new Uint8Array(key);

/** The test's own SHA-256 for the signer (node:crypto), independent of the module's. */
class Sha256 {
  private h;
  constructor(private readonly key?: string | ArrayBuffer | ArrayBufferView) {
    this.h = key === undefined ? createHash('sha256') : createHmac('sha256', keyBytes(key));
  }
  update(data: Uint8Array) {
    this.h.update(data);
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
  reset() {
    this.h = this.key === undefined ? createHash('sha256') : createHmac('sha256', keyBytes(this.key));
  }
}

/** Signs a Lambda-shaped request the way the SDK does, and returns it as the server would receive it. */
async function signed(options: {
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  date?: Date;
  body?: string;
  applyChecksum?: boolean;
}): Promise<SignedRequest> {
  const signer = new SignatureV4({
    credentials: options.credentials ?? OPERATOR,
    region: 'us-west-2',
    service: 'lambda',
    sha256: Sha256,
    applyChecksum: options.applyChecksum ?? true,
  });
  const body = options.body ?? '{"Payload":"x y"}';
  const request = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-west-2%3A000000000000%3Afunction%3Af/invocations',
      query: { Qualifier: '$LATEST', tagKeys: ['a b', 'c'] },
      headers: { host: '127.0.0.1:4566', 'content-type': 'application/json', 'user-agent': 'test' },
      body,
    },
    { signingDate: options.date ?? new Date() },
  );
  return {
    method: 'POST',
    path: request.path,
    query: 'Qualifier=%24LATEST&tagKeys=a%20b&tagKeys=c',
    headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])),
    body: Buffer.from(body),
  };
}

async function refusal(request: SignedRequest, now = Date.now()) {
  const result = await verifySignature(request, lookup, now);
  return result.ok ? 'ok' : result.refusal;
}

describe('SigV4 verification', () => {
  it('accepts a request signed by the SDK signer, and names its key, region and service', async () => {
    const result = await verifySignature(await signed({}), lookup, Date.now());
    assert.deepEqual(result, {
      ok: true,
      accessKeyId: OPERATOR.accessKeyId,
      region: 'us-west-2',
      service: 'lambda',
    });
  });

  it('refuses each kind of bad request with its own reason', async () => {
    const now = Date.now();
    const cases: [string, SignedRequest, string][] = [
      [
        'no Authorization',
        { ...(await signed({})), headers: { host: '127.0.0.1:4566' } },
        'MissingAuthentication',
      ],
      [
        'a malformed Authorization',
        { ...(await signed({})), headers: { ...(await signed({})).headers, authorization: 'Bearer x' } },
        'IncompleteSignature',
      ],
      [
        'an unknown access key',
        await signed({ credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' } }),
        'UnknownAccessKey',
      ],
      [
        'a wrong secret',
        await signed({ credentials: { ...OPERATOR, secretAccessKey: 'wrong' } }),
        'BadSignature',
      ],
      ['a date 16 minutes old', await signed({ date: new Date(now - 16 * 60_000) }), 'SignatureExpired'],
      ['a date 16 minutes ahead', await signed({ date: new Date(now + 16 * 60_000) }), 'SignatureExpired'],
      ['a date 14 minutes old', await signed({ date: new Date(now - 14 * 60_000) }), 'ok'],
      [
        'a session without its token',
        await signed({ credentials: { ...SESSION, sessionToken: '' } }),
        'UnknownAccessKey',
      ],
      [
        'a session with another token',
        await signed({ credentials: { ...SESSION, sessionToken: 'other' } }),
        'UnknownAccessKey',
      ],
      ['a session with its token', await signed({ credentials: SESSION }), 'ok'],
    ];
    for (const [label, request, expected] of cases) {
      assert.equal(await refusal(request, now), expected, label);
    }
  });

  it('says how stale the date is, in AWS words', async () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const result = await verifySignature(await signed({ date: new Date(now - 20 * 60_000) }), lookup, now);
    assert.deepEqual(result, {
      ok: false,
      refusal: 'SignatureExpired',
      message:
        'Signature expired: 20260101T114000Z is now earlier than 20260101T114500Z (20260101T120000Z - 15 min.)',
    });
  });

  it('refuses expired session credentials even when the signature is right', async () => {
    const expiring = new Map([
      [
        SESSION.accessKeyId,
        { ...(secrets.get(SESSION.accessKeyId) as SigningSecret), expiresAt: Date.now() - 1 },
      ],
    ]);
    const result = await verifySignature(
      await signed({ credentials: SESSION }),
      (k) => expiring.get(k),
      Date.now(),
    );
    assert.equal(result.ok ? 'ok' : result.refusal, 'ExpiredToken');
  });

  it('refuses a tampered body, query, path or signed header under a valid signature', async () => {
    const base = await signed({});
    const unchecksummed = await signed({ applyChecksum: false });
    assert.equal(await refusal({ ...base, body: Buffer.from('{"Payload":"evil"}') }), 'BadSignature');
    assert.equal(await refusal({ ...unchecksummed }), 'ok');
    assert.equal(await refusal({ ...unchecksummed, body: Buffer.from('{}') }), 'BadSignature');
    assert.equal(await refusal({ ...base, query: 'Qualifier=%24LATEST&tagKeys=c' }), 'BadSignature');
    assert.equal(
      await refusal({ ...base, path: base.path.replace('function%3Af', 'function%3Ag') }),
      'BadSignature',
    );
    assert.equal(await refusal({ ...base, method: 'DELETE' }), 'BadSignature');
    assert.equal(
      await refusal({ ...base, headers: { ...base.headers, 'content-type': 'text/plain' } }),
      'BadSignature',
    );
    // An unsigned header may change freely (the SDK does not sign user-agent).
    assert.equal(await refusal({ ...base, headers: { ...base.headers, 'user-agent': 'other' } }), 'ok');
  });
});

/** A loopback server answering each protocol's success or refusal shape, as the local cloud will. */
function protocolOf(headers: SignedRequest['headers']): SigningProtocol {
  if (headers['x-amz-target']) return 'awsJson';
  if (String(headers['content-type']).startsWith('application/x-www-form-urlencoded')) return 'awsQuery';
  return 'restJson1';
}

function startServer(): Promise<{ server: Server; endpoint: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const [path = '/', query = ''] = (req.url ?? '/').split(/\?(.*)/s);
        const request: SignedRequest = {
          method: req.method ?? 'GET',
          path,
          query,
          headers: req.headers,
          body: Buffer.concat(chunks),
        };
        const protocol = protocolOf(req.headers);
        const result = await verifySignature(request, lookup, Date.now());
        if (result.ok) {
          if (protocol === 'awsQuery') {
            res.writeHead(200, { 'content-type': 'text/xml' });
            res.end(
              `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:root</Arn><UserId>${result.accessKeyId}</UserId><Account>000000000000</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
            );
          } else if (protocol === 'awsJson') {
            res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
            res.end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: result.region }] }));
          } else {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ Configuration: { FunctionName: result.accessKeyId } }));
          }
          return;
        }
        const { code, status } = REFUSAL_ERRORS[protocol][result.refusal];
        if (protocol === 'awsQuery') {
          res.writeHead(status, { 'content-type': 'text/xml' });
          res.end(
            `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${result.message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
          );
        } else if (protocol === 'awsJson') {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ __type: code, message: result.message }));
        } else {
          res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': code });
          res.end(JSON.stringify({ message: result.message }));
        }
      })();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        server,
        endpoint: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
      });
    }),
  );
}

describe('SigV4 verification with real SDK clients', () => {
  let server: Server;
  let endpoint: string;
  before(async () => {
    ({ server, endpoint } = await startServer());
  });
  after(() => {
    server.close();
    server.closeAllConnections();
  });

  const clients = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) => {
    const config = { endpoint, region: 'us-east-1', credentials, maxAttempts: 3 };
    return {
      sts: () => new STSClient(config).send(new GetCallerIdentityCommand({})),
      lambda: () =>
        new LambdaClient(config).send(
          new GetFunctionCommand({
            FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:f',
            Qualifier: '$LATEST',
          }),
        ),
      events: () =>
        new EventBridgeClient(config).send(
          new PutEventsCommand({
            Entries: [{ Source: 's', DetailType: 'd', Detail: '{"a":"ü"}', EventBusName: 'b' }],
          }),
        ),
    };
  };

  it('accepts each protocol signed with the right keys, also with a session token', async () => {
    for (const credentials of [OPERATOR, SESSION]) {
      const c = clients(credentials);
      assert.equal((await c.sts()).UserId, credentials.accessKeyId);
      assert.equal((await c.lambda()).Configuration?.FunctionName, credentials.accessKeyId);
      assert.equal((await c.events()).Entries?.[0]?.EventId, 'us-east-1');
    }
  });

  it('answers an unknown key and a wrong secret with each protocol’s error and status', async () => {
    const expectations: [
      string,
      { accessKeyId: string; secretAccessKey: string },
      Record<string, [string, number]>,
    ][] = [
      [
        'unknown key',
        { accessKeyId: 'AKIANOBODY', secretAccessKey: 'x' },
        {
          sts: ['InvalidClientTokenId', 403],
          lambda: ['UnrecognizedClientException', 403],
          events: ['UnrecognizedClientException', 400],
        },
      ],
      [
        'wrong secret',
        { ...OPERATOR, secretAccessKey: 'wrong' },
        {
          sts: ['SignatureDoesNotMatch', 403],
          lambda: ['InvalidSignatureException', 403],
          events: ['InvalidSignatureException', 400],
        },
      ],
    ];
    for (const [label, credentials, byService] of expectations) {
      const c = clients(credentials);
      for (const [service, [code, status]] of Object.entries(byService)) {
        await assert.rejects(
          c[service as keyof typeof c](),
          (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
            assert.equal(error.name, code, `${label} on ${service}`);
            assert.equal(error.$metadata?.httpStatusCode, status, `${label} on ${service}`);
            return true;
          },
        );
      }
    }
  });

  it('answers an unsigned request 403 with the missing-token error', async () => {
    const lambda = await fetch(`${endpoint}/2015-03-31/functions`);
    assert.equal(lambda.status, 403);
    assert.equal(lambda.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    const events = await fetch(endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSEvents.PutEvents' },
      body: '{}',
    });
    assert.equal(events.status, 403);
    assert.equal(((await events.json()) as { __type: string }).__type, 'MissingAuthenticationTokenException');
    const sts = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    assert.equal(sts.status, 403);
    assert.match(await sts.text(), /<Code>MissingAuthenticationToken<\/Code>/);
  });
});
