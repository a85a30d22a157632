// What capturing Lambda's output into CloudWatch Logs costs: the real function's warm `create` invoked
// through two local clouds in the same run, one with log capture on (the default) and one with the
// `captureLogs: false` fault (output left in a file), interleaved so drift hits both alike.
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { LocalCloudAccess } from '../../src/lib/local-cloud/index.js';
import { percentile, timed } from '../../src/lib/stats.js';
import type { Bench } from '../bench.ts';

const WARMUP = 50;
const SAMPLES = 400;
const REGION = 'us-east-1';

function creator(client: LambdaClient, prefix: string) {
  let n = 0;
  return async () => {
    const payload = { operation: 'create', amount: '100.50', transactionId: `${prefix}-${n++}` };
    const out = await client.send(
      new InvokeCommand({ FunctionName: 'txn', Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
    );
    if (out.FunctionError) throw new Error(`create failed: ${new TextDecoder().decode(out.Payload)}`);
  };
}

const bench: Bench = async (report) => {
  const { deployTransactionFunction } = await import('../lib/local-lambda.js');
  const { FAST, startPrivateCloud } = await import('../lib/local-cloud.js');
  const on = await startPrivateCloud(FAST);
  const off = await startPrivateCloud({ ...FAST, captureLogs: false });
  try {
    const deploy = (cloud: LocalCloudAccess) =>
      deployTransactionFunction(cloud, {
        region: REGION,
        name: 'txn',
        dbRole: 'bench_app',
        bus: 'bench-bus',
      });
    const withLogs = creator((await deploy(on.cloud)).client, 'on');
    const withoutLogs = creator((await deploy(off.cloud)).client, 'off');
    for (let i = 0; i < WARMUP; i++) {
      await withLogs();
      await withoutLogs();
    }
    const samples = { on: [] as number[], off: [] as number[] };
    for (let i = 0; i < SAMPLES; i++) {
      samples.on.push(await timed(withLogs));
      samples.off.push(await timed(withoutLogs));
    }
    const onMs = percentile(samples.on, 50);
    const offMs = percentile(samples.off, 50);
    report('txn create via local Lambda, log capture on, p50 (ms)', onMs);
    report('txn create via local Lambda, log capture off, p50 (ms)', offMs);
    report('txn create p50, log capture on / off', onMs / offMs, '≤ 1.05');
  } finally {
    await on.stop();
    await off.stop();
  }
};

export default bench;
