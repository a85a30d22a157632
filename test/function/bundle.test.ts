// The built function: a deterministic zip whose CodeSha256 is what Lambda would report, holding one
// self-contained ESM file that a bare Node 24 (the nodejs24.x runtime's major) runs with no
// node_modules anywhere around it.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { codeSha256, FUNCTION_HANDLER, functionZipPath, readFunctionZip } from '../../src/lib/bundle.js';
import {
  BUS,
  bareFunctionEnv,
  createTestDatabase,
  extractFunction,
  type FakeEventBridge,
  REGION,
  startFakeEventBridge,
  type TestDatabase,
} from './support.js';

const buildScript = new URL('../../lambda-bundle/build.mjs', import.meta.url).pathname;
const scratch: string[] = [];

function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `dsqlctl-${label}-`));
  scratch.push(dir);
  return dir;
}

after(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

test('building twice gives byte-identical zips, the same as the built one', () => {
  const [a, b] = [tempDir('build-a'), tempDir('build-b')];
  execFileSync(process.execPath, [buildScript, '--out', a]);
  execFileSync(process.execPath, [buildScript, '--out', b]);
  const first = readFileSync(join(a, 'function.zip'));
  const second = readFileSync(join(b, 'function.zip'));
  assert.ok(first.length > 0);
  assert.ok(first.equals(second), 'same bytes');
  assert.ok(first.equals(readFileSync(functionZipPath())), 'the zip `up` uploads is the same build');
});

test('codeSha256 is the base64 SHA-256 Lambda reports, computed independently', async () => {
  const zip = await readFunctionZip();
  const independent = Buffer.from(await crypto.subtle.digest('SHA-256', zip)).toString('base64');
  assert.equal(codeSha256(zip), independent);
  assert.match(codeSha256(zip), /^[A-Za-z0-9+/]{43}=$/);
  assert.equal(codeSha256(new TextEncoder().encode('abc')), 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=');
});

test('the zip holds one entry, index.mjs, with a fixed time and mode 0644', async () => {
  const zip = await readFunctionZip();
  assert.deepEqual(Object.keys(unzipSync(zip)), ['index.mjs']);
  assert.equal(FUNCTION_HANDLER, 'index.handler');
  // Central directory entry: "version made by" host byte (3 = Unix) and the external attributes.
  const view = Buffer.from(zip);
  const central = view.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  assert.ok(central > 0);
  assert.equal(view[central + 5], 3, 'made on Unix, so the mode is read');
  assert.equal(view.readUInt32LE(central + 38) >>> 16, 0o100644, 'regular file rw-r--r--');
  const dosTime = view.readUInt16LE(central + 12);
  const dosDate = view.readUInt16LE(central + 14);
  assert.deepEqual(
    [dosDate >> 9, (dosDate >> 5) & 15, dosDate & 31, dosTime],
    [20, 1, 1, 0],
    '2000-01-01 00:00',
  );
});

describe('the extracted bundle under a bare Node', () => {
  let db: TestDatabase;
  let events: FakeEventBridge;
  before(async () => {
    events = await startFakeEventBridge();
    db = await createTestDatabase('bundle');
  });
  after(async () => {
    await db?.drop();
    await events?.close();
  });

  test('a bare Node 24 runs the extracted handler with no node_modules around it', async () => {
    const dir = tempDir('bare');
    for (let d = dir; d !== dirname(d); d = dirname(d)) {
      assert.ok(!existsSync(join(d, 'node_modules')), `no node_modules above the folder (${d})`);
    }
    await extractFunction(dir);
    // What the Lambda runtime does: import the module named by the handler string, call the export.
    writeFileSync(
      join(dir, 'invoke.mjs'),
      `const { handler } = await import('./index.mjs');
       const answers = [];
       for (const payload of JSON.parse(process.env.PAYLOADS)) answers.push(await handler(payload, {}));
       process.stdout.write(JSON.stringify({ node: process.version, answers }));
       process.exit(0);`,
    );
    const payloads = [
      { operation: 'create', amount: '42.10', transactionId: 'bare-1' },
      { operation: 'count' },
      { operation: 'get', transactionId: 'bare-1' },
      { operation: 'list', limit: 0 },
    ];
    // Asynchronous: this process serves the EventBridge stand-in the child publishes to.
    const child = await promisify(execFile)(process.execPath, ['--import=./resolve.mjs', 'invoke.mjs'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: '/usr/bin:/bin',
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: 'test-access-key',
        AWS_SECRET_ACCESS_KEY: 'test-secret-key',
        AWS_ENDPOINT_URL: events.url,
        ...bareFunctionEnv(db),
        EVENT_BUS_NAME: BUS,
        PAYLOADS: JSON.stringify(payloads),
      },
    });
    // Before the harness's own last line: the function's one JSON log line per invocation.
    const lines = child.stdout.trim().split('\n');
    const { node, answers } = JSON.parse(lines.at(-1) ?? '{}');
    assert.deepEqual(
      lines.slice(0, -1).map((l) => [JSON.parse(l).operation, JSON.parse(l).outcome]),
      [
        ['create', 'ok'],
        ['count', 'ok'],
        ['get', 'ok'],
        ['list', 'InvalidLimit'],
      ],
    );
    assert.match(node, /^v24\./); // the major of FUNCTION_RUNTIME, nodejs24.x
    assert.equal(answers[0].ok, true, JSON.stringify(answers[0]));
    assert.equal(answers[0].created, true);
    assert.equal(answers[0].transaction.amount, '42.10');
    assert.equal(answers[0].eventPublished, true);
    assert.deepEqual(answers[1], { ok: true, operation: 'count', region: REGION, count: 1 });
    assert.equal(answers[2].transaction.id, 'bare-1');
    assert.equal(answers[3].ok, false);
    assert.equal(answers[3].error.code, 'InvalidLimit');
    assert.equal(events.accepted.length, 1);
    assert.equal(JSON.parse(events.accepted[0]?.Detail ?? '{}').transactionId, 'bare-1');
  });

  test('a misconfigured environment fails at cold start, naming every problem', () => {
    const dir = tempDir('bare-bad');
    const index = unzipSync(readFileSync(functionZipPath()))['index.mjs'];
    assert.ok(index);
    writeFileSync(join(dir, 'index.mjs'), index);
    const child = spawnSync(
      process.execPath,
      ['-e', "import('./index.mjs').catch(e => { console.error(e.message); process.exit(3); })"],
      {
        cwd: dir,
        encoding: 'utf8',
        env: {
          PATH: '/usr/bin:/bin',
          AWS_REGION: REGION,
          DSQL_PORT: 'x',
          DSQL_USER: 'admin',
        },
      },
    );
    assert.equal(child.status, 3);
    for (const problem of [
      /DSQL_ENDPOINT is not set/,
      /EVENT_BUS_NAME is not set/,
      /DSQL_PORT must be a port/,
      /not admin/,
    ]) {
      assert.match(child.stderr, problem);
    }
  });
});
