// Size limits enforced while the body streams: each operation's limit answered with the service's own
// error, and a 200 MB chunked body refused without the daemon buffering it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { describe, it } from 'node:test';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { events, lambda, sts } from '../../scripts/lib/local-cloud.js';
import type { TestLocalCloud } from '../../src/lib/local-cloud/testing.js';
import { rawRequest } from '../support/raw-request.js';
import { withSuiteCloud } from '../support/suite-cloud.js';

const MiB = 1024 * 1024;

function residentBytes(pid: number): number {
  const kB = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kB) * 1024;
}

function authorization(service: string): string {
  return `AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`;
}

/** POSTs `total` bytes chunked (no content-length), 1 MiB at a time, until the server answers. */
function sendChunked(
  endpoint: string,
  headers: Record<string, string>,
  total: number,
): Promise<{ status: number; body: string; sent: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${endpoint}/`, { method: 'POST', headers });
    const chunk = Buffer.alloc(MiB, 'a');
    let sent = 0;
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body, sent });
      });
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('local cloud: request size limits while reading', () => {
  let cloud: TestLocalCloud;
  withSuiteCloud((started) => {
    cloud = started;
  });

  it('a synchronous Invoke over 6 MB is 413 RequestEntityTooLargeException', async () => {
    await assert.rejects(
      lambda(cloud).send(
        new InvokeCommand({ FunctionName: 'any', Payload: Buffer.alloc(6 * MiB + 1, 0x20) }),
      ),
      (error: Error & { $metadata?: { httpStatusCode?: number } }) =>
        error.name === 'RequestEntityTooLargeException' &&
        error.$metadata?.httpStatusCode === 413 &&
        /smaller than 6291456 bytes for the InvokeFunction operation/.test(error.message),
    );
    const logged = cloud.requests().at(-1);
    assert.deepEqual([logged?.operation, logged?.status], ['InvokeFunction', 413]);
  });

  it('CreateFunction counts the base64-encoded request: over 69,905,067 bytes is refused', async () => {
    const response = await rawRequest(
      cloud,
      { service: 'lambda', path: '/2015-03-31/functions', headers: { 'content-type': 'application/json' } },
      Buffer.alloc(69_905_068, 0x20),
    );
    assert.equal(response.status, 413);
    assert.equal(response.headers.get('x-amzn-errortype'), 'RequestEntityTooLargeException');
    assert.match(((await response.json()) as { Message: string }).Message, /CreateFunction/);
  });

  it('PutEvents over 1 MB per request is EventBridge ValidationException', async () => {
    const detail = JSON.stringify({ text: 'x'.repeat(200 * 1024) });
    const entries = Array.from({ length: 6 }, () => ({ Source: 's', DetailType: 'd', Detail: detail }));
    await assert.rejects(
      events(cloud).send(new PutEventsCommand({ Entries: entries })),
      (error: Error) => error.name === 'ValidationException' && /over the limit/.test(error.message),
    );
  });

  it('an IAM request over 128 KiB is refused; a URL over 16 KiB is 431', async () => {
    const response = await rawRequest(
      cloud,
      { service: 'iam', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      `Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=${'a'.repeat(130 * 1024)}`,
    );
    assert.equal(response.status, 413);
    assert.match(await response.text(), /<Code>RequestEntityTooLarge<\/Code>/);
    const long = await fetch(`${cloud.endpoint}/_dsqlctl/health?${'a'.repeat(17 * 1024)}`);
    assert.equal(long.status, 431);
  });

  it('a 200 MB chunked body is refused early; the daemon grows by under 64 MB and still answers', async () => {
    const before = residentBytes(cloud.pid);
    const result = await sendChunked(
      cloud.endpoint,
      { authorization: authorization('iam'), 'content-type': 'application/x-www-form-urlencoded' },
      200 * MiB,
    );
    assert.equal(result.status, 413);
    assert.ok(result.sent < 200 * MiB, `answered only after all ${result.sent} bytes`);
    const grown = residentBytes(cloud.pid) - before;
    assert.ok(grown < 64 * MiB, `the daemon grew by ${Math.round(grown / MiB)} MB`);
    const identity = await sts(cloud).send(new GetCallerIdentityCommand({}));
    assert.equal(identity.Account, '000000000000');
  });
});
