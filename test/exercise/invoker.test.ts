/**
 * FunctionInvoker in process, through the real Lambda client to a recording endpoint: invocations
 * started together share one client per region (one connection pool, one adaptive-retry limiter, one
 * credential setup), which `txn load` and the verify commands rely on.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { ClientConfig, Target } from '../../src/lib/target.js';
import { FunctionInvoker } from '../../src/lib/txn/invoke.js';
import { type RecordingEndpoint, startRecordingEndpoint } from '../support/recording-endpoint.js';
import { invokeReply, isInvoke } from './recording-endpoint.js';

let endpoint: RecordingEndpoint;
before(async () => {
  endpoint = await startRecordingEndpoint((request) =>
    isInvoke(request)
      ? invokeReply({ ok: true, operation: 'count', region: request.region, count: 0 })
      : { status: 500, body: 'unexpected call' },
  );
});
after(() => endpoint.close());

it('concurrent first invocations build one client per region, not one per invocation', async () => {
  const configured: string[] = [];
  const target: Target = {
    kind: 'aws',
    clientConfig(region: string): ClientConfig {
      configured.push(region);
      return {
        region,
        endpoint: endpoint.url,
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
        retryMode: 'adaptive',
        maxAttempts: 1,
      };
    },
    databaseSettings: () => Promise.reject(new Error('not used')),
  };
  const invoker = new FunctionInvoker(target, 'shop');
  try {
    const regions = ['us-east-1', 'us-west-2', 'us-east-1', 'us-west-2', 'us-east-1', 'us-west-2'];
    const answers = await Promise.all(
      regions.map((region) => invoker.invoke(region, { operation: 'count' })),
    );
    assert.deepEqual(
      answers.map((a) => a.answer.region),
      regions,
    );
    assert.deepEqual(configured.sort(), ['us-east-1', 'us-west-2']);
  } finally {
    invoker.close();
  }
});
