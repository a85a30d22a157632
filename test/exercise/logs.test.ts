// `dsqlctl logs` and the stack's log groups on the local cloud, through the CLI: up creates the group
// (retention, tags) and the role's policy names exactly it; txn create --logs prints its own tail; the
// function's JSON line and Lambda's START/END/REPORT land in the worker's stream; --filter finds the
// ERROR line of a failing invocation and nothing else; --since bounds; --follow prints a line written
// after it started and exits 0 on SIGINT; down deletes the group.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DescribeLogGroupsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import {
  FAST,
  iam,
  lambda,
  logs,
  type PrivateCloud,
  startPrivateCloud,
} from '../../scripts/lib/local-cloud.js';
import { eventually, waitForFunction } from '../../scripts/lib/local-lambda.js';
import { runCli } from '../support/cli.js';

const REGION = 'us-east-1';
const GROUP = '/aws/lambda/lg-txn';

describe('dsqlctl logs on the local cloud', () => {
  let pc: PrivateCloud;
  const cli = (...args: string[]) => runCli(args, pc.env);
  before(async () => {
    pc = await startPrivateCloud(FAST);
    const up = await cli('up', '--stack', 'lg', '--regions', REGION, '--log-retention-days', '7');
    assert.equal(up.status, 0, up.stderr + up.stdout);
  });
  after(async () => {
    await pc.stop();
  });

  it('up creates the owned log group, and the role policy names exactly it', async () => {
    const client = logs(pc.cloud, REGION);
    const { logGroups = [] } = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: GROUP }));
    assert.equal(logGroups.length, 1);
    assert.equal(logGroups[0]?.retentionInDays, 7);
    const arn = logGroups[0]?.logGroupArn ?? '';
    const { tags } = await client.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    assert.equal(tags?.['dsqlctl:stack'], 'lg');
    client.destroy();
    const { PolicyDocument = '' } = await iam(pc.cloud).send(
      new GetRolePolicyCommand({ RoleName: 'lg-fn', PolicyName: 'lg-fn' }),
    );
    const document = JSON.parse(decodeURIComponent(PolicyDocument));
    const statement = document.Statement.find((s: { Sid: string }) => s.Sid.startsWith('Logs'));
    assert.deepEqual(statement.Resource, [arn, `${arn}:log-stream:*`]);
    assert.deepEqual(statement.Action, ['logs:CreateLogStream', 'logs:PutLogEvents']);
    assert.ok(!JSON.stringify(document).includes('"*"'), 'no Resource "*"');
  });

  it('txn create --logs prints its own tail; the stream holds START/END/REPORT and the JSON line', async () => {
    const created = await cli(
      'txn',
      'create',
      '--stack',
      'lg',
      '--amount',
      '12.50',
      '--id',
      't-log-1',
      '--logs',
    );
    assert.equal(created.status, 0, created.stderr);
    const requestId = /START RequestId: (\S+) Version: \$LATEST/.exec(created.stdout)?.[1] ?? '';
    assert.ok(requestId, created.stdout);
    assert.match(created.stdout, new RegExp(`END RequestId: ${requestId}`));
    assert.match(
      created.stdout,
      new RegExp(
        `REPORT RequestId: ${requestId}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms\\tMemory Size: \\d+ MB\\tMax Memory Used: \\d+ MB`,
      ),
    );
    const json = JSON.parse(/^\{"level".*$/m.exec(created.stdout)?.[0] ?? '{}');
    assert.deepEqual(
      {
        level: json.level,
        operation: json.operation,
        outcome: json.outcome,
        requestId: json.requestId,
        transactionId: json.transactionId,
      },
      { level: 'INFO', operation: 'create', outcome: 'ok', requestId, transactionId: 't-log-1' },
    );
    assert.equal(typeof json.attempts, 'number');
    assert.equal(typeof json.durationMs, 'number');
    assert.ok(!JSON.stringify(json).includes('12.5'), 'no payload in the log line');
    const read = await cli('logs', '--stack', 'lg', '--json');
    assert.equal(read.status, 0, read.stderr);
    const events = read.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const own = events.filter((e) => e.message.includes(requestId));
    assert.ok(own.length >= 3, read.stdout);
    assert.equal(new Set(own.map((e) => e.logStream)).size, 1, 'one stream');
    assert.match(own[0].logStream, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    assert.ok(events.every((e) => e.region === REGION));
    const human = await cli('logs', '--stack', 'lg');
    assert.match(human.stdout, new RegExp(`^\\[${REGION}\\] \\S+Z START RequestId: ${requestId}`, 'm'));
    // --since bounds: nothing from the future.
    const future = await cli(
      'logs',
      '--stack',
      'lg',
      '--since',
      new Date(Date.now() + 3_600_000).toISOString(),
    );
    assert.equal(future.status, 0, future.stderr);
    assert.equal(future.stdout.trim(), '');
  });

  it('--filter finds the ERROR line of a failing invocation and nothing else', async () => {
    const fn = lambda(pc.cloud, REGION);
    const { Environment } = await fn.send(new GetFunctionConfigurationCommand({ FunctionName: 'lg-txn' }));
    const variables = Object.fromEntries(
      Object.entries(Environment?.Variables ?? {}).map(([k, v]) => [k, /PORT$/.test(k) ? '1' : v]),
    );
    await fn.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'lg-txn',
        Environment: { Variables: variables },
      }),
    );
    await waitForFunction(fn, 'lg-txn', (c) => c.LastUpdateStatus === 'Successful');
    fn.destroy();
    const failed = await cli(
      'txn',
      'create',
      '--stack',
      'lg',
      '--amount',
      '1',
      '--id',
      't-log-fail',
      '--logs',
    );
    assert.notEqual(failed.status, 0);
    // --logs shows a failed invocation's own lines with its error.
    assert.match(
      failed.stderr,
      /Its log lines \(LogResult\):[\s\S]*START RequestId: [\s\S]*REPORT RequestId:/,
    );
    // The scheduled sweep fails too while the database is unreachable: the filter names the operation.
    const errors = await cli(
      'logs',
      '--stack',
      'lg',
      '--json',
      '--filter',
      '{ $.level = "ERROR" && $.operation = "create" }',
    );
    assert.equal(errors.status, 0, errors.stderr);
    const lines = errors.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(JSON.parse(l).message));
    assert.equal(lines.length, 1, errors.stdout);
    assert.equal(lines[0].transactionId, 't-log-fail');
    assert.match(lines[0].error.stack, /Error/);
    const bad = await cli('logs', '--stack', 'lg', '--filter', '[ip, user]');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /\[ip, user\]/);
    for (const args of [
      ['--since', 'yesterday'],
      ['--region', 'us-west-2'],
    ]) {
      const refused = await cli('logs', '--stack', 'lg', ...args);
      assert.equal(refused.status, 2, refused.stderr);
    }
  });

  it('--follow prints a line written after it started and exits 0 on SIGINT', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const child = spawn(
      process.execPath,
      ['bin/run.js', 'logs', '--stack', 'lg', '--since', '1s', '--follow'],
      {
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...pc.env },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise((r) => setTimeout(r, 1500));
    await cli('txn', 'read', '--stack', 'lg');
    await eventually(() => (/START RequestId/.test(stdout) ? true : undefined), 'the followed line', 15_000);
    child.kill('SIGINT');
    assert.equal(await closed, 0, stderr);
    assert.doesNotMatch(stderr, /\bat \S+:\d+:\d+/, 'no stack trace');
  });

  it('down deletes the log group after the function', async () => {
    const down = await cli('down', '--stack', 'lg', '--yes');
    assert.equal(down.status, 0, down.stderr);
    const client = logs(pc.cloud, REGION);
    const { logGroups = [] } = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: GROUP }));
    assert.deepEqual(logGroups, []);
    client.destroy();
    const missing = await cli('logs', '--stack', 'lg');
    assert.notEqual(missing.status, 0);
  });
});
