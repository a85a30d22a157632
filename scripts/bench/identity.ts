// What identity costs the local cloud: GetCluster requests/s and a trivial function's warm Invoke p50 with
// signature verification and IAM policy evaluation on (the operator an IAM user with a scoped policy, so
// every call is evaluated) ÷ the same with both off (`enforcement: false`, which only the test entry
// can set: neither the CLI nor an environment variable turns enforcement off). Both clouds run side by
// side and are measured in alternating rounds, so drift on a shared machine hits both alike.
import { CreateClusterCommand, DSQLClient, GetClusterCommand } from '@aws-sdk/client-dsql';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { startTestLocalCloud, type TestLocalCloud } from '../../src/lib/local-cloud/testing.js';
import { median, percentile, timed } from '../../src/lib/stats.js';
import type { Bench } from '../bench.ts';
import { iam, lambda, removeHome, tempHome } from '../lib/local-cloud.js';
import { createFunction, createRole } from '../lib/local-lambda.js';

const REGION = 'us-east-1';
const ROUNDS = 3;
const GETS = 2000;
const CONCURRENCY = 16;
const INVOKES = 300;
const ACCOUNT = '000000000000';

/** A least-privilege operator for what the bench does: each call is evaluated against these statements. */
const OPERATOR_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['dsql:CreateCluster', 'dsql:GetCluster', 'dsql:TagResource'],
      Resource: `arn:aws:dsql:${REGION}:${ACCOUNT}:cluster/*`,
    },
    { Effect: 'Allow', Action: 'iam:CreateServiceLinkedRole', Resource: '*' },
    {
      Effect: 'Allow',
      Action: ['iam:CreateRole', 'iam:GetRole', 'iam:PassRole'],
      Resource: `arn:aws:iam::${ACCOUNT}:role/bench-*`,
    },
    {
      Effect: 'Allow',
      Action: [
        'lambda:CreateFunction',
        'lambda:GetFunction',
        'lambda:GetFunctionConfiguration',
        'lambda:InvokeFunction',
      ],
      Resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:bench-*`,
    },
    { Effect: 'Deny', Action: 'dsql:DbConnectAdmin', Resource: '*' },
  ],
});

interface Subject {
  home: string;
  cloud: TestLocalCloud;
  dsql: DSQLClient;
  lambda: LambdaClient;
  identifier: string;
}

async function subject(enforcement: boolean): Promise<Subject> {
  const home = tempHome();
  const cloud = await startTestLocalCloud({
    home,
    faults: { timeScale: 0.002 },
    enforcement,
    ...(enforcement ? { operatorPolicy: OPERATOR_POLICY } : {}),
  });
  const config = { region: REGION, endpoint: cloud.endpoint, credentials: cloud.credentials };
  const dsql = new DSQLClient(config);
  const { identifier = '' } = await dsql.send(new CreateClusterCommand({ deletionProtectionEnabled: false }));
  const client = lambda(cloud, REGION);
  const role = await createRole(iam(cloud), 'bench-identity');
  await createFunction(client, {
    name: 'bench-trivial',
    role,
    source: 'export const handler = async () => ({ ok: true });',
  });
  return { home, cloud, dsql, lambda: client, identifier };
}

async function getsPerSecond({ dsql, identifier }: Subject): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < GETS) await dsql.send(new GetClusterCommand({ identifier }));
    }),
  );
  return GETS / ((performance.now() - start) / 1000);
}

/** p50 of each cloud's warm Invoke, the two interleaved call by call so drift hits both alike. */
async function invokeP50s(on: Subject, off: Subject): Promise<{ on: number; off: number }> {
  const invoke = (lambda: LambdaClient) => async () => {
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: 'bench-trivial', Payload: new TextEncoder().encode('{}') }),
    );
    if (out.FunctionError) throw new Error(new TextDecoder().decode(out.Payload));
  };
  const latencies = { on: [] as number[], off: [] as number[] };
  for (let i = 0; i < INVOKES; i++) {
    latencies.on.push(await timed(invoke(on.lambda)));
    latencies.off.push(await timed(invoke(off.lambda)));
  }
  return { on: percentile(latencies.on, 50), off: percentile(latencies.off, 50) };
}

const bench: Bench = async (report) => {
  const on = await subject(true);
  const off = await subject(false);
  try {
    // Warm-up: compiled policies, warm workers, keep-alive sockets.
    for (const s of [on, off]) await getsPerSecond(s);
    await invokeP50s(on, off);
    const gets = { on: [] as number[], off: [] as number[] };
    const invokes = { on: [] as number[], off: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      gets.on.push(await getsPerSecond(on));
      gets.off.push(await getsPerSecond(off));
      const p50 = await invokeP50s(on, off);
      invokes.on.push(p50.on);
      invokes.off.push(p50.off);
    }
    report('GetCluster requests/s, identity on', median(gets.on));
    report('GetCluster requests/s, identity off', median(gets.off));
    report('GetCluster throughput, identity on ÷ off', median(gets.on) / median(gets.off), '≥ 0.8');
    report('local Invoke p50 (ms), identity on', median(invokes.on));
    report('local Invoke p50 (ms), identity off', median(invokes.off));
    // As a throughput ratio (off's latency ÷ on's), so the same goal reads the same way.
    report('local Invoke rate (1/p50), identity on ÷ off', median(invokes.off) / median(invokes.on), '≥ 0.8');
  } finally {
    for (const s of [on, off]) {
      s.dsql.destroy();
      s.lambda.destroy();
      await s.cloud.stop();
      removeHome(s.home);
    }
  }
};

export default bench;
