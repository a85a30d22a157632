// What `txn load` costs, against floors measured in the same run:
//  - CPU per local invocation, summed over every process (the CLI, the daemon, its function workers,
//    PostgreSQL) and printed per process, ÷ two floors: the CPU of one bare SDK Invoke against an instant
//    stand-in (client and stand-in), and the same work without the local cloud's machinery (that bare
//    Invoke, plus the function's own create and its peer's handling of the event run in this process: the
//    same SQL through a DSQL endpoint to PostgreSQL, the same PutEvents through the SDK to an instant
//    stand-in; no HTTP server verifying signatures, no IAM, no worker processes, no event routing);
//  - invocations/s of the CLI's invoker from one process against a stand-in answering after 20 ms, at
//    c=64, ÷ raw SigV4-signed HTTP requests from one process to the same stand-in (the SDK's cost shows);
//  - the daemon's RSS growth and the request log's bytes on disk after 20,000 invocations.
// Stand-ins run as child processes, so each side's CPU is its own and counted from /proc.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { PutRuleCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SignatureV4 } from '@smithy/signature-v4';
import type { ClientConfig, Target } from '../../src/lib/target.js';
import { FunctionInvoker } from '../../src/lib/txn/invoke.js';
import type { Bench } from '../bench.ts';

const root = new URL('../..', import.meta.url).pathname;
const CREDENTIALS = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' };
const REGION = 'us-east-1';
const TICKS_PER_SECOND = 100;

/** CPU seconds of a process and its reaped children, from /proc (0 when it is gone). */
function processCpu(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime, stime, cutime, cstime are fields 14–17 of stat (11–14 after the command name).
    return fields.slice(11, 15).reduce((sum, v) => sum + Number(v), 0) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Every live process whose ancestry reaches `rootPid` (itself included). */
function processTree(rootPid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
      parent.set(pid, ppid);
    } catch {}
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid; p && p > 1; p = parent.get(p)) if (p === rootPid) return true;
    return false;
  };
  return [...parent.keys()].filter(inTree);
}

const treeCpu = (rootPid: number) => processTree(rootPid).reduce((sum, pid) => sum + processCpu(pid), 0);

/** What a process of the daemon's tree is: the daemon, PostgreSQL, or a function worker (by its region). */
function roleOf(pid: number, daemonPid: number): string {
  if (pid === daemonPid) return 'daemon';
  try {
    if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') return 'PostgreSQL';
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('/execution/worker.')) {
      const region = /(?:^|\0)AWS_REGION=([^\0]*)/.exec(readFileSync(`/proc/${pid}/environ`, 'utf8'))?.[1];
      return `function workers (${region ?? '?'})`;
    }
  } catch {}
  return 'other';
}

/** CPU seconds of the daemon's process tree, by role (roleOf). */
function cpuByRole(daemonPid: number): Map<string, number> {
  const byRole = new Map<string, number>();
  for (const pid of processTree(daemonPid)) {
    const role = roleOf(pid, daemonPid);
    byRole.set(role, (byRole.get(role) ?? 0) + processCpu(pid));
  }
  return byRole;
}

/** A stand-in Lambda endpoint in a child process, answering every request after `delayMs`. */
async function startStandIn(delayMs: number): Promise<{ url: string; child: ChildProcess }> {
  const answer = JSON.stringify({ ok: true, operation: 'create', attempts: 1, eventPublished: true });
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const http = require('node:http');
       const body = ${JSON.stringify(answer)};
       const server = http.createServer((req, res) => {
         req.resume();
         req.on('end', () => {
           const reply = () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(body); };
           ${delayMs > 0 ? `setTimeout(reply, ${delayMs});` : 'reply();'}
         });
       });
       server.keepAliveTimeout = 60000;
       server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<string>((resolve) =>
    child.stdout?.once('data', (d) => resolve(String(d).trim())),
  );
  return { url: `http://127.0.0.1:${port}`, child };
}

function targetAt(url: string): Target {
  return {
    kind: 'aws',
    timeScale: 1,
    lambdaAsyncRetryMs: 60_000,
    clientConfig: (region: string): ClientConfig => ({
      region,
      endpoint: url,
      credentials: CREDENTIALS,
      retryMode: 'adaptive',
      maxAttempts: 1,
    }),
    databaseSettings: () => Promise.reject(new Error('not used')),
  };
}

/** `count` calls of `call`, `concurrency` in flight; answers calls per second. */
async function rate(count: number, concurrency: number, call: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await call();
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return count / ((performance.now() - started) / 1000);
}

/** A raw SigV4-signed Invoke over a keep-alive agent: the floor any client pays for the same request. */
function rawInvoker(url: string, concurrency: number) {
  const signer = new SignatureV4({
    service: 'lambda',
    region: REGION,
    credentials: CREDENTIALS,
    sha256: Sha256,
  });
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const { hostname, port } = new URL(url);
  const body = JSON.stringify({ operation: 'create', amount: '1.00' });
  const invoke = async () => {
    const signed = await signer.sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname,
        port: Number(port),
        path: '/2015-03-31/functions/bench-txn/invocations',
        headers: { host: `${hostname}:${port}`, 'content-type': 'application/json' },
        query: {},
        body,
      },
      {},
    );
    await new Promise<void>((resolve, reject) => {
      const req = request(
        { host: hostname, port, method: 'POST', path: signed.path, headers: signed.headers, agent },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };
  return { invoke, close: () => agent.destroy() };
}

/** CPU seconds of one bare SDK Invoke: the client in this process plus an instant stand-in. */
async function bareInvokeCpu(): Promise<number> {
  const standIn = await startStandIn(0);
  const client = new LambdaClient({ region: REGION, endpoint: standIn.url, credentials: CREDENTIALS });
  try {
    const invoke = () =>
      client.send(new InvokeCommand({ FunctionName: 'bench-txn', Payload: Buffer.from('{}') }));
    for (let i = 0; i < 200; i++) await invoke();
    const BARE = 2000;
    const standInBefore = processCpu(standIn.child.pid ?? 0);
    const own = process.cpuUsage();
    for (let i = 0; i < BARE; i++) await invoke();
    const spent = process.cpuUsage(own);
    return ((spent.user + spent.system) / 1e6 + processCpu(standIn.child.pid ?? 0) - standInBefore) / BARE;
  } finally {
    client.destroy();
    standIn.child.kill();
  }
}

/**
 * CPU seconds of one create's application work without the local cloud: the function's handler in this
 * process creating a transaction (its SQL through a DSQL endpoint to PostgreSQL, its PutEvents through the
 * SDK to an instant stand-in), then the peer region's handler recording the event EventBridge would
 * deliver; this process plus PostgreSQL's processes.
 */
async function functionWorkCpu(postgresUrl: string): Promise<number> {
  process.env.DSQLCTL_TEST_PG_URL = postgresUrl;
  const { startTestFunction, PEER_REGION, REGION: ORIGIN } = await import('../../test/function/support.js');
  const { createTransactionFunction } = await import('../../lambda-bundle/src/handler.js');
  const fixture = await startTestFunction('loadcost');
  const { db, events } = fixture;
  const peer = createTransactionFunction({
    ...db.functionConfig,
    region: PEER_REGION,
    peerRegion: ORIGIN,
    connection: db.peerSettings,
  });
  const dataDir = (await db.admin.query<{ data_directory: string }>('SHOW data_directory')).rows[0]
    ?.data_directory;
  const postmaster = Number(readFileSync(join(dataDir ?? '', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const once = async () => {
    const created = await fixture.fn.handler({ operation: 'create', amount: '100.50' });
    const entry = events.accepted.at(-1);
    if (!created.ok || !entry) throw new Error(`the in-process create failed: ${JSON.stringify(created)}`);
    const answer = await peer.handler({
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: '000000000000',
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: ORIGIN,
      resources: [],
      detail: JSON.parse(entry.Detail ?? '{}'),
    });
    if (!answer.ok) throw new Error(`the in-process peer refused the event: ${JSON.stringify(answer)}`);
  };
  try {
    for (let i = 0; i < 100; i++) await once();
    const COUNT = 1000;
    const postgresBefore = treeCpu(postmaster);
    const own = process.cpuUsage();
    for (let i = 0; i < COUNT; i++) await once();
    const spent = process.cpuUsage(own);
    return ((spent.user + spent.system) / 1e6 + treeCpu(postmaster) - postgresBefore) / COUNT;
  } finally {
    await peer.close();
    await fixture.stop();
  }
}

async function cliCpuPerInvocation(report: Parameters<Bench>[0], postgresUrl: string): Promise<void> {
  const { startPrivateCloud, FAST, events } = await import('../lib/local-cloud.js');
  const cloud = await startPrivateCloud(FAST);
  const cli = (...args: string[]) => {
    // /usr/bin/time reports the CLI's own CPU (user + system seconds) on its last stderr line.
    const result = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, 'bin/run.js', ...args], {
      cwd: root,
      env: { ...process.env, ...cloud.env },
      encoding: 'utf8',
    });
    if (result.status !== 0)
      throw new Error(`dsqlctl ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    const [user, system] = (result.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
    return (user ?? 0) + (system ?? 0);
  };
  const ms = (seconds: number) => seconds * 1000;
  try {
    cli('up', '--stack', 'bench-cpu');
    // The outbox sweep is a scheduled rule of rate(1 minute): at the bench's time scale it fires every
    // 120 ms per region, a function invocation and a state write each, which on AWS are two a minute.
    // It is background work, not a cost of the invocations measured, so it is off while they run
    // (PutRule with State DISABLED: the local cloud does not serve DisableRule).
    for (const region of ['us-east-1', 'us-west-2']) {
      const client = events(cloud.cloud, region);
      await client.send(
        new PutRuleCommand({
          Name: 'bench-cpu-sweep',
          ScheduleExpression: 'rate(1 minute)',
          State: 'DISABLED',
        }),
      );
      client.destroy();
    }
    const load = (count: number) =>
      cli('txn', 'load', '--stack', 'bench-cpu', '--count', String(count), '--concurrency', '16');
    load(64); // warm: every worker started
    const startUp = load(1);
    const COUNT = 1000;
    const before = cpuByRole(cloud.cloud.pid);
    const cliCpu = load(COUNT);
    const after = cpuByRole(cloud.cloud.pid);
    const perRole = new Map([['CLI', cliCpu]]);
    for (const [role, cpu] of after) perRole.set(role, cpu - (before.get(role) ?? 0));
    const perInvocation = [...perRole.values()].reduce((sum, cpu) => sum + cpu, 0) / COUNT;
    const bare = await bareInvokeCpu();
    const floor = bare + (await functionWorkCpu(postgresUrl));
    for (const [role, cpu] of [...perRole].sort((a, b) => b[1] - a[1])) {
      if (ms(cpu / COUNT) >= 0.005)
        report(`  local txn load CPU per invocation: ${role} (ms)`, ms(cpu / COUNT));
    }
    report(
      "  the CLI's fixed cost per txn load run: start-up (in the next figure, ÷ 1000) (ms)",
      ms(startUp),
    );
    report('local txn load CPU per invocation, all processes (ms)', ms(perInvocation));
    report('bare SDK Invoke against an instant stand-in, CPU, client + stand-in (ms)', ms(bare));
    report(
      'the same work without the local cloud: bare Invoke + in-process create and peer event, CPU incl. PostgreSQL (ms)',
      ms(floor),
    );
    report('local txn load CPU per invocation ÷ bare SDK Invoke', perInvocation / bare, '≤ 4.0');
    report(
      'local txn load CPU per invocation ÷ the same work without the local cloud',
      perInvocation / floor,
    );
  } finally {
    await cloud.stop();
  }
}

async function invokerRate(report: Parameters<Bench>[0]): Promise<void> {
  const CONCURRENCY = 64;
  const COUNT = 3000;
  const standIn = await startStandIn(20);
  const invoker = new FunctionInvoker(targetAt(standIn.url), 'bench');
  const raw = rawInvoker(standIn.url, CONCURRENCY);
  try {
    const cli = () => invoker.invoke(REGION, { operation: 'create', amount: '1.00' });
    await rate(CONCURRENCY * 2, CONCURRENCY, cli);
    await rate(CONCURRENCY * 2, CONCURRENCY, raw.invoke);
    const ours = await rate(COUNT, CONCURRENCY, cli);
    const floor = await rate(COUNT, CONCURRENCY, raw.invoke);
    report(`the CLI's invoker, 20 ms stand-in, c=${CONCURRENCY} (invocations/s)`, ours);
    report(`raw signed HTTP requests, same stand-in, c=${CONCURRENCY} (requests/s)`, floor);
    report("the CLI's invoker ÷ raw signed requests", ours / floor, '≥ 0.2');
  } finally {
    invoker.close();
    raw.close();
    standIn.child.kill();
  }
}

async function daemonFootprint(report: Parameters<Bench>[0]): Promise<void> {
  const { startPrivateCloud, FAST, iam, lambda } = await import('../lib/local-cloud.js');
  const { createFunction, createRole } = await import('../lib/local-lambda.js');
  const cloud = await startPrivateCloud(FAST);
  const rss = () =>
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${cloud.cloud.pid}/status`, 'utf8'))?.[1]) / 1024;
  const logBytes = () =>
    ['requests.jsonl', 'requests.1.jsonl']
      .map((f) => join(cloud.home, 'local-cloud', f))
      .reduce((sum, f) => {
        try {
          return sum + statSync(f).size;
        } catch {
          return sum;
        }
      }, 0);
  try {
    const client = lambda(cloud.cloud, REGION);
    const role = await createRole(iam(cloud.cloud), 'bench-footprint');
    await createFunction(client, {
      name: 'trivial',
      role,
      source: 'export const handler = async () => ({ ok: true });',
    });
    const invoke = () =>
      client.send(new InvokeCommand({ FunctionName: 'trivial', Payload: Buffer.from('{}') }));
    await rate(200, 16, invoke);
    const [rssBefore, logBefore] = [rss(), logBytes()];
    const INVOCATIONS = 20_000;
    await rate(INVOCATIONS, 16, invoke);
    report(`daemon RSS growth after ${INVOCATIONS} invocations (MB)`, rss() - rssBefore, '≤ +32');
    report(`request log on disk after ${INVOCATIONS} invocations (MB)`, logBytes() / 2 ** 20, '≤ 64');
    report('request log bytes per invocation', (logBytes() - logBefore) / INVOCATIONS);
  } finally {
    await cloud.stop();
  }
}

const bench: Bench = async (report, { postgresUrl }) => {
  await invokerRate(report);
  await cliCpuPerInvocation(report, postgresUrl);
  await daemonFootprint(report);
};
export default bench;
