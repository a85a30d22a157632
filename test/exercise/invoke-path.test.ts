/**
 * The CLI's side of an invocation, through the real SDK clients over HTTP to a recording endpoint that
 * plays the deployed function: what is sent (payload, region), what each kind of answer becomes
 * (exit 0/6, JSON envelope, messages), and the verify commands' verdicts when the regions' answers
 * agree, disagree, or an event never arrives. The same commands run against the local cloud's real
 * function in stack.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runAwsCli } from '../support/cli.js';
import {
  getRoleReply,
  invokeReply,
  isGetRole,
  isInvoke,
  noSuchRoleReply,
  type RecordedRequest,
  type RecordingEndpoint,
  type Reply,
  startRecordingEndpoint,
} from '../support/recording-endpoint.js';

interface Row {
  id: string;
  amount: string;
  timestamp: string;
  region: string;
  status: string;
}
interface Received {
  eventId: string;
  transactionId: string;
  originRegion: string;
  receivedRegion: string;
  receivedAt: string;
}

/**
 * Stacks the endpoint knows, each in us-east-1 + us-west-2: `shop` is healthy; `split` has one store
 * per region (the regions disagree); `deaf` never forwards events; `crash` throws in the handler;
 * `absent` has its role but no function; `busy` reports two attempts (one OCC retry) on every create;
 * `lossy` runs each first create and then loses its answer (HTTP 502), so the SDK retries the Invoke.
 */
const STACKS = ['shop', 'split', 'deaf', 'crash', 'absent', 'busy', 'lossy'];
const lossyAnswered = new Set<string>();
const REGIONS = ['us-east-1', 'us-west-2'];

const shared = new Map<string, Row>();
const perRegion = new Map(REGIONS.map((r) => [r, new Map<string, Row>()]));
const received: Received[] = [];

function storeFor(stack: string, region: string): Map<string, Row> {
  return stack === 'split' ? (perRegion.get(region) as Map<string, Row>) : shared;
}

function playFunction(stack: string, region: string, payload: Record<string, unknown>): Reply {
  if (stack === 'crash') {
    return invokeReply(
      { errorType: 'Error', errorMessage: 'connect ECONNREFUSED 10.0.0.1:5432', trace: [] },
      'Unhandled',
    );
  }
  const store = storeFor(stack, region);
  const base = { ok: true, region };
  switch (payload.operation) {
    case 'create': {
      const id = String(payload.transactionId ?? `generated-${store.size}`);
      const existing = store.get(id);
      if (existing)
        return invokeReply({
          ...base,
          operation: 'create',
          created: false,
          transaction: existing,
          attempts: 1,
          eventPublished: false,
        });
      const row = {
        id,
        amount: String(payload.amount),
        timestamp: new Date().toISOString(),
        region,
        status: 'pending',
      };
      store.set(id, row);
      if (stack !== 'deaf') {
        const peer = REGIONS.find((r) => r !== region) as string;
        // Delivered asynchronously, as EventBridge does.
        setTimeout(() => {
          received.push({
            eventId: `ev-${id}`,
            transactionId: id,
            originRegion: region,
            receivedRegion: peer,
            receivedAt: new Date().toISOString(),
          });
        }, 150);
      }
      return invokeReply({
        ...base,
        operation: 'create',
        created: true,
        transaction: row,
        attempts: stack === 'busy' ? 2 : 1,
        eventPublished: true,
      });
    }
    case 'count':
      return invokeReply({ ...base, operation: 'count', count: store.size });
    case 'list':
      return invokeReply({
        ...base,
        operation: 'list',
        limit: payload.limit,
        transactions: [...store.values()].reverse().slice(0, Number(payload.limit)),
      });
    case 'get': {
      const row = store.get(String(payload.transactionId));
      return invokeReply(
        row
          ? { ...base, operation: 'get', transaction: row }
          : {
              ok: false,
              error: { code: 'NotFound', message: `No transaction with id "${payload.transactionId}".` },
            },
      );
    }
    case 'backlog':
      // Every create here is published at once: the outbox holds nothing.
      return invokeReply({
        ...base,
        operation: 'backlog',
        unpublished: 0,
        oldestAgeSeconds: null,
        oldestTransactionId: null,
      });
    case 'received':
      return invokeReply({
        ...base,
        operation: 'received',
        events: received.filter((e) => e.transactionId === payload.transactionId),
      });
    default:
      return invokeReply({
        ok: false,
        error: { code: 'UnknownOperation', message: `Unknown operation "${payload.operation}"` },
      });
  }
}

function respond(request: RecordedRequest): Reply {
  if (isGetRole(request)) {
    const stack = /RoleName=([a-z-]+)-fn/.exec(request.body)?.[1] ?? '';
    if (!STACKS.includes(stack)) return noSuchRoleReply(`${stack}-fn`);
    return getRoleReply(`${stack}-fn`, {
      'dsqlctl:stack': stack,
      'dsqlctl:regions': REGIONS.join(' '),
      'dsqlctl:witness': 'us-east-2',
    });
  }
  if (isInvoke(request)) {
    const stack = /functions\/([a-z-]+)-txn\/invocations/.exec(request.path)?.[1] ?? '';
    if (stack === 'absent' || !STACKS.includes(stack)) {
      return {
        status: 404,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' },
        body: JSON.stringify({
          Type: 'User',
          Message: `Function not found: arn:aws:lambda:${request.region}:123456789012:function:${stack}-txn`,
        }),
      };
    }
    const reply = playFunction(stack, request.region, JSON.parse(request.body) as Record<string, unknown>);
    if (stack === 'lossy' && !lossyAnswered.has(request.body)) {
      // The function ran; its answer is lost on the way back, as a 5xx or a reset connection loses it.
      lossyAnswered.add(request.body);
      return { status: 502, headers: { 'content-type': 'text/plain' }, body: 'Bad Gateway' };
    }
    return reply;
  }
  return { status: 500, body: 'unexpected call' };
}

let endpoint: RecordingEndpoint;
before(async () => {
  endpoint = await startRecordingEndpoint(respond);
});
after(() => endpoint.close());

function invocationsSince(index: number): Array<{ region: string; payload: Record<string, unknown> }> {
  return endpoint.requests
    .slice(index)
    .filter(isInvoke)
    .map((r) => ({ region: r.region, payload: JSON.parse(r.body) as Record<string, unknown> }));
}

describe('txn commands', () => {
  it('create sends the exact decimal string to the first region and returns the answer in the envelope', async () => {
    const start = endpoint.requests.length;
    const result = await runAwsCli(
      ['txn', 'create', '--stack', 'shop', '--amount', '100.5', '--id', 't-001', '--json'],
      endpoint.url,
    );
    assert.equal(result.status, 0, result.stderr);
    const out = JSON.parse(result.stdout).result;
    assert.equal(out.stack, 'shop');
    assert.equal(out.region, 'us-east-1');
    assert.equal(typeof out.latencyMs, 'number');
    assert.equal(out.answer.ok, true);
    assert.equal(out.answer.created, true);
    assert.equal(out.answer.transaction.amount, '100.50');
    assert.deepEqual(invocationsSince(start), [
      { region: 'us-east-1', payload: { operation: 'create', amount: '100.50', transactionId: 't-001' } },
    ]);
  });

  it('create with the same --id reports the existing row (human output) and --region picks the region', async () => {
    const start = endpoint.requests.length;
    const result = await runAwsCli(
      ['txn', 'create', '--stack', 'shop', '--amount', '100.50', '--id', 't-001', '--region', 'us-west-2'],
      endpoint.url,
    );
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Already existed: transaction t-001 of 100\.50 in us-west-2/);
    assert.equal(invocationsSince(start)[0]?.region, 'us-west-2');
  });

  it('read answers the count; list sends the limit and prints a table; get prints the row', async () => {
    const read = await runAwsCli(['txn', 'read', '--stack', 'shop', '--json'], endpoint.url);
    assert.equal(read.status, 0, read.stderr);
    assert.equal(JSON.parse(read.stdout).result.answer.count, shared.size);

    const start = endpoint.requests.length;
    const list = await runAwsCli(['txn', 'list', '--stack', 'shop', '--limit', '5'], endpoint.url);
    assert.equal(list.status, 0, list.stderr);
    assert.deepEqual(invocationsSince(start)[0]?.payload, { operation: 'list', limit: 5 });
    assert.match(list.stdout, /^ID\s+AMOUNT\s+REGION\s+STATUS\s+TIMESTAMP$/m);
    assert.match(list.stdout, /^t-001\s+100\.50\s+us-east-1\s+pending/m);

    const get = await runAwsCli(
      ['txn', 'get', '--stack', 'shop', '--id', 't-001', '--region', 'us-west-2'],
      endpoint.url,
    );
    assert.equal(get.status, 0, get.stderr);
    assert.match(get.stdout, /t-001\s+100\.50/);
  });

  it("an {ok:false} answer is exit 6 with the function's message and code", async () => {
    const result = await runAwsCli(['txn', 'get', '--stack', 'shop', '--id', 'nope'], endpoint.url);
    assert.equal(result.status, 6);
    assert.match(
      result.stderr,
      /Function shop-txn in us-east-1 refused the request: No transaction with id "nope"\. \(NotFound\)/,
    );
  });

  it("FunctionError is exit 6 showing the function's errorMessage, also in --json", async () => {
    const human = await runAwsCli(['txn', 'read', '--stack', 'crash'], endpoint.url);
    assert.equal(human.status, 6);
    assert.match(
      human.stderr,
      /Function crash-txn in us-east-1 failed \(Unhandled\): Error: connect ECONNREFUSED 10\.0\.0\.1:5432/,
    );
    const json = await runAwsCli(['txn', 'read', '--stack', 'crash', '--json'], endpoint.url);
    assert.equal(json.status, 6);
    const out = JSON.parse(json.stdout);
    assert.equal(out.error.exitCode, 6);
    assert.equal(out.error.name, 'FunctionReportedError');
  });

  it('create without --id sends an id of its own, so an Invoke the SDK retries creates nothing twice', async () => {
    const start = endpoint.requests.length;
    const before = shared.size;
    const result = await runAwsCli(
      ['txn', 'create', '--stack', 'lossy', '--amount', '7', '--json'],
      endpoint.url,
    );
    assert.equal(result.status, 0, result.stderr);
    const calls = invocationsSince(start);
    assert.equal(calls.length, 2, 'the lost answer was retried by the SDK');
    const [first, retry] = calls.map((c) => c.payload.transactionId);
    assert.match(String(first), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(retry, first, 'the retry repeats the same create');
    assert.equal(shared.size, before + 1, 'one row, not two');
    const out = JSON.parse(result.stdout).result;
    assert.equal(out.answer.transaction.id, first);
  });

  it('a missing function is exit 2 with advice to run up', async () => {
    const result = await runAwsCli(['txn', 'read', '--stack', 'absent'], endpoint.url);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /Function absent-txn not found in us-east-1/);
    assert.match(result.stderr, /dsqlctl up --stack absent/);
  });
});

describe('verify consistency', () => {
  it('passes when every region reads what another wrote, with per-check latency in the JSON report', async () => {
    const start = endpoint.requests.length;
    const result = await runAwsCli(
      ['verify', 'consistency', '--stack', 'shop', '--iterations', '2', '--json'],
      endpoint.url,
    );
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout).result;
    assert.equal(report.passed, true);
    assert.deepEqual(report.regions, REGIONS);
    assert.equal(report.readBacks.length, 4);
    for (const check of report.readBacks) {
      assert.equal(check.ok, true);
      assert.notEqual(check.writer, check.reader);
      assert.equal(typeof check.readLatencyMs, 'number');
    }
    assert.equal(report.countsAgree, true);
    assert.deepEqual(report.problems, []);
    // Each read-back goes to the other region, right after the write.
    const calls = invocationsSince(start);
    const first = calls.findIndex((c) => c.payload.operation === 'create');
    assert.equal(calls[first + 1]?.payload.operation, 'get');
    assert.notEqual(calls[first + 1]?.region, calls[first]?.region);
  });

  it('fails with exit 5 and the full report when the regions disagree', async () => {
    const json = await runAwsCli(['verify', 'consistency', '--stack', 'split', '--json'], endpoint.url);
    assert.equal(json.status, 5, json.stderr);
    const output = JSON.parse(json.stdout);
    const report = output.result;
    assert.equal(report.passed, false);
    assert.equal(output.status, 'failed');
    assert.equal(output.exitCode, 5);
    assert.equal(output.error.exitCode, 5);
    assert.equal(report.readBacks.filter((c: { ok: boolean }) => !c.ok).length, 2);
    assert.match(report.problems[0], /written in us-east-1 is not visible in us-west-2/);

    const human = await runAwsCli(['verify', 'consistency', '--stack', 'split'], endpoint.url);
    assert.equal(human.status, 5);
    assert.match(human.stdout, /FAIL #1 write us-east-1/);
    assert.match(human.stderr, /Consistency check failed for stack "split"/);
  });
});

describe('verify events', () => {
  it("passes when each region records the other's event, reporting delivery latency", async () => {
    const result = await runAwsCli(['verify', 'events', '--stack', 'shop', '--json'], endpoint.url);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout).result;
    assert.equal(report.passed, true);
    assert.equal(report.deliveries.length, 2);
    for (const d of report.deliveries) {
      assert.equal(d.delivered, true);
      // The scripted delivery takes 150 ms, so the first polls miss and later ones (backing off) see it.
      assert.ok(d.deliveryLatencyMs >= 100, String(d.deliveryLatencyMs));
      assert.ok(d.polls >= 2);
    }
  });

  it('fails with exit 5 within the timeout when forwarding is broken', async () => {
    const started = Date.now();
    const result = await runAwsCli(['verify', 'events', '--stack', 'deaf', '--timeout', '1s'], endpoint.url);
    assert.equal(result.status, 5, result.stderr);
    assert.ok(Date.now() - started < 10_000);
    assert.match(result.stderr, /never reached us-west-2/);
    assert.match(result.stdout, /FAIL us-east-1 → us-west-2/);
  });
});

describe('verify (every check)', () => {
  it('runs consistency then events, one report, and --junit writes one test case per check', async () => {
    const junit = join(mkdtempSync(join(tmpdir(), 'dsqlctl-junit-')), 'verify.xml');
    const result = await runAwsCli(
      ['verify', '--stack', 'shop', '--regions', 'us-east-1,us-west-2', '--junit', junit, '--json'],
      endpoint.url,
    );
    assert.equal(result.status, 0, result.stderr);
    const { result: report } = JSON.parse(result.stdout);
    assert.equal(report.passed, true);
    assert.deepEqual(report.failedChecks, []);
    assert.equal(report.consistency.readBacks.length, 2);
    assert.equal(report.events.deliveries.length, 2);
    const xml = readFileSync(junit, 'utf8');
    assert.equal(xml.match(/<testsuite /g)?.length, 2);
    // Two read-backs and the counts, then two deliveries.
    assert.equal(xml.match(/<testcase /g)?.length, 5);
    assert.doesNotMatch(xml, /<failure/);
  });

  it('exit 5 naming each failed check, the failures in the JUnit report too', async () => {
    const junit = join(mkdtempSync(join(tmpdir(), 'dsqlctl-junit-')), 'verify.xml');
    const result = await runAwsCli(
      ['verify', '--stack', 'split', '--timeout', '1s', '--junit', junit],
      endpoint.url,
    );
    assert.equal(result.status, 5, result.stderr);
    assert.match(result.stderr, /Verify failed for stack "split": consistency(, events)? failed/);
    assert.match(result.stdout, /FAIL #1 write us-east-1/);
    // Pasted, the advice runs the check over the same regions (and target).
    const chosen = await runAwsCli(
      ['verify', '--stack', 'split', '--regions', 'us-west-2,us-east-1', '--timeout', '1s'],
      endpoint.url,
    );
    assert.equal(chosen.status, 5, chosen.stderr);
    assert.match(chosen.stderr, /dsqlctl verify consistency --stack split --regions us-west-2,us-east-1/);
    assert.match(
      readFileSync(junit, 'utf8'),
      /<failure message="verify-[^"]* written in us-east-1 is not visible in us-west-2"/,
    );
  });

  it('verify consistency --junit on a failure writes the failing cases', async () => {
    const junit = join(mkdtempSync(join(tmpdir(), 'dsqlctl-junit-')), 'c.xml');
    const result = await runAwsCli(
      ['verify', 'consistency', '--stack', 'split', '--junit', junit],
      endpoint.url,
    );
    assert.equal(result.status, 5);
    const xml = readFileSync(junit, 'utf8');
    assert.match(xml, /<testsuites name="dsqlctl verify" tests="3" failures="[23]"/);
  });
});

describe('txn load', () => {
  it('drives N creates with generated ids and reports throughput, percentiles and OCC retries', async () => {
    const start = endpoint.requests.length;
    const result = await runAwsCli(
      ['txn', 'load', '--stack', 'busy', '--count', '20', '--concurrency', '4', '--json'],
      endpoint.url,
    );
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout).result;
    assert.equal(report.count, 20);
    assert.equal(report.succeeded, 20);
    assert.equal(report.failed, 0);
    assert.equal(report.retriedTransactions, 20);
    assert.equal(report.retries, 20);
    assert.ok(report.throughputPerSecond > 0);
    assert.ok(report.latencyMs.p50 <= report.latencyMs.p95 && report.latencyMs.p95 <= report.latencyMs.p99);
    const calls = invocationsSince(start);
    assert.equal(calls.length, 20);
    assert.equal(new Set(calls.map((c) => c.payload.transactionId)).size, 20, 'a fresh id per create');
    for (const call of calls) {
      assert.equal(call.payload.operation, 'create');
      assert.match(String(call.payload.transactionId), /^[0-9a-f-]{36}$/);
      assert.match(String(call.payload.amount), /^\d+\.\d\d$/);
    }
  });

  it('fails with exit 6 when invocations fail, saying how many', async () => {
    const result = await runAwsCli(
      ['txn', 'load', '--stack', 'crash', '--count', '3', '--concurrency', '2'],
      endpoint.url,
    );
    assert.equal(result.status, 6);
    assert.match(result.stderr, /3 of 3 invocations failed/);
  });
});
