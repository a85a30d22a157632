// The local cloud's Lambda: warm Invoke latency of a trivial handler through the real SDK client
// (p50, p99), and the real function's warm `create` invoked through the local cloud against the same
// handler called in-process, on the same database and EventBridge (the ratio says how much the local
// cloud adds on top of the function's own cost; in-process it connects as admin, see below).
import { GetFunctionConfigurationCommand, InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { readFunctionConfig } from '../../lambda-bundle/src/config.js';
import { createTransactionFunction } from '../../lambda-bundle/src/handler.js';
import { ADMIN_USER } from '../../src/lib/dsql-connection.js';
import { percentile, timed } from '../../src/lib/stats.js';
import type { Bench } from '../bench.ts';

const WARMUP = 100;
const SAMPLES = 1000;
const REGION = 'us-east-1';

function invoker(client: LambdaClient, name: string) {
  return async (payload: unknown) => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: name, Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
    );
    if (out.FunctionError) throw new Error(`${name} failed: ${new TextDecoder().decode(out.Payload)}`);
    return out;
  };
}

const bench: Bench = async (report) => {
  const { createFunction, createRole, deployTransactionFunction } = await import('../lib/local-lambda.js');
  const { FAST, iam, lambda, startPrivateCloud } = await import('../lib/local-cloud.js');
  const started = await startPrivateCloud(FAST);
  const { cloud } = started;
  try {
    // 1. A trivial handler: what the local cloud's Invoke path costs by itself.
    const client = lambda(cloud, REGION);
    const role = await createRole(iam(cloud), 'bench-trivial');
    await createFunction(client, {
      name: 'trivial',
      role,
      source: 'export const handler = async () => ({ ok: true });',
    });
    const trivial = invoker(client, 'trivial');
    for (let i = 0; i < WARMUP; i++) await trivial({});
    const latencies: number[] = [];
    for (let i = 0; i < SAMPLES; i++) latencies.push(await timed(() => trivial({})));
    report('local Lambda warm Invoke, trivial handler, p50 (ms)', percentile(latencies, 50));
    report('local Lambda warm Invoke, trivial handler, p99 (ms)', percentile(latencies, 99));
    // The floor every call pays (SDK client, signing, loopback HTTP, the server), with no worker involved.
    const floor: number[] = [];
    const getConfiguration = () =>
      client.send(new GetFunctionConfigurationCommand({ FunctionName: 'trivial' }));
    for (let i = 0; i < WARMUP; i++) await getConfiguration();
    for (let i = 0; i < SAMPLES; i++) floor.push(await timed(getConfiguration));
    report('local Lambda GetFunctionConfiguration (no worker), p50 (ms)', percentile(floor, 50));

    // 2. The real function's create: through the local cloud vs the same handler in this process.
    const { env, settings } = await deployTransactionFunction(cloud, {
      region: REGION,
      name: 'txn',
      dbRole: 'bench_app',
      bus: 'bench-bus',
    });
    // In-process, the handler's EventBridge client reaches the same local cloud, as the worker's does.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: cloud.endpoint,
      AWS_ACCESS_KEY_ID: cloud.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: cloud.credentials.secretAccessKey,
    });
    // The worker reaches its cluster by name (resolved to loopback) and holds its role's session; this
    // process has neither, so it connects to the same endpoint by address, trusting the local CA, as
    // the operator (admin): the same statements on the same database.
    const config = readFunctionConfig({ ...env, AWS_REGION: REGION });
    const inProcess = createTransactionFunction({
      ...config,
      connection: { ...config.connection, hostaddr: settings.hostaddr, caFile: settings.caFile },
      user: ADMIN_USER,
    });
    const viaCloud = invoker(client, 'txn');
    let n = 0;
    const payload = () => ({ operation: 'create', amount: '100.50', transactionId: `bench-${n++}` });
    try {
      for (let i = 0; i < WARMUP; i++) {
        await viaCloud(payload());
        await inProcess.handler(payload());
      }
      // Interleaved, so drift on a shared machine hits both alike.
      const samples = { cloud: [] as number[], local: [] as number[] };
      for (let i = 0; i < SAMPLES; i++) {
        samples.cloud.push(await timed(() => viaCloud(payload())));
        samples.local.push(await timed(() => inProcess.handler(payload())));
      }
      const cloudMs = percentile(samples.cloud, 50);
      const localMs = percentile(samples.local, 50);
      report('function create via local Lambda Invoke, median (ms)', cloudMs);
      report('function create, same handler in-process, median (ms)', localMs);
      report('function create via local Lambda minus in-process, median (ms)', cloudMs - localMs);
      report('function create via local Lambda / in-process', cloudMs / localMs, '≤ 1.5');
    } finally {
      await inProcess.close();
    }
  } finally {
    await started.stop();
  }
};

export default bench;
