/**
 * FunctionInvoker in process, through the real Lambda client to a recording endpoint: invocations
 * started together share one client per region (one connection pool, one adaptive-retry limiter, one
 * credential setup), which `txn load` and the verify commands rely on.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import type { ClientConfig, Target } from '../../src/lib/target.js';
import { FunctionInvoker } from '../../src/lib/txn/invoke.js';
import {
  invokeReply,
  isInvoke,
  type RecordingEndpoint,
  startRecordingEndpoint,
} from '../support/recording-endpoint.js';

let endpoint: RecordingEndpoint;
before(async () => {
  endpoint = await startRecordingEndpoint((request) =>
    isInvoke(request)
      ? invokeReply({ ok: true, operation: 'count', region: request.region, count: 0 })
      : { status: 500, body: 'unexpected call' },
  );
});
after(() => endpoint.close());

/** A target whose clients go to `url`, recording each region a client was configured for. */
function targetAt(url: string, configured: string[] = []): Target {
  return {
    kind: 'aws',
    timeScale: 1,
    lambdaAsyncRetryMs: 60_000,
    clientConfig(region: string): ClientConfig {
      configured.push(region);
      return {
        region,
        endpoint: url,
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
        retryMode: 'adaptive',
        maxAttempts: 1,
      };
    },
    databaseSettings: () => Promise.reject(new Error('not used')),
  };
}

it('concurrent first invocations build one client per region, not one per invocation', async () => {
  const configured: string[] = [];
  const invoker = new FunctionInvoker(targetAt(endpoint.url, configured), 'shop');
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

it('its client keeps as many invocations in flight as txn load asks for (the SDK default is 50 sockets)', async () => {
  // Holds requests until `concurrency` of them are open at once, then answers them all. When no new
  // request has come for 3 s it stops holding, so a capped client (which sends no more until one is
  // answered) fails the assertion instead of hanging; a loaded machine only slows the arrivals.
  const concurrency = 120;
  let inFlight = 0;
  let peak = 0;
  let holding = true;
  const held: Array<() => void> = [];
  const releaseAll = () => {
    holding = false;
    for (const release of held.splice(0)) release();
  };
  let timer = setTimeout(releaseAll, 3000);
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      clearTimeout(timer);
      timer = setTimeout(releaseAll, 3000);
      inFlight++;
      peak = Math.max(peak, inFlight);
      const answer = () => {
        inFlight--;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, operation: 'count', region: 'us-east-1', count: 0 }));
      };
      if (!holding) return answer();
      held.push(answer);
      if (peak >= concurrency) releaseAll();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const invoker = new FunctionInvoker(targetAt(`http://127.0.0.1:${port}`), 'shop');
  try {
    await Promise.all(
      Array.from({ length: concurrency }, () => invoker.invoke('us-east-1', { operation: 'count' })),
    );
    assert.equal(peak, concurrency);
  } finally {
    clearTimeout(timer);
    invoker.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
