/**
 * `txn load` results that do not hide problems, against local clouds that throttle or slow down the
 * function's invocations: a throttled run exits 1 with its statistics (throttled counted) and stops
 * once the first invocations all failed the same way; a slow run prints progress lines when piped;
 * the terminal's histogram has one bar per latency bucket.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { EARLY_STOP_AFTER } from '../../src/lib/txn/load.js';
import { renderHistogram } from '../../src/lib/txn/render.js';
import { runCli } from '../support/cli.js';

let throttling: PrivateCloud;
let slow: PrivateCloud;
const UP = ['up', '--stack', 'load', '--regions', 'us-east-1'];
// Fast SDK retries: the throttled calls cost milliseconds, not the adaptive strategy's seconds.
const RETRY = { DSQLCTL_RETRY_BASE_DELAY_MS: '1' };

before(async () => {
  [throttling, slow] = await Promise.all([
    startPrivateCloud({ timeScale: 0.002, throttle: { rate: 1, operations: ['lambda:Invoke'] } }),
    // 30 s of AWS time per invocation × 0.01: 0.3 s each, so 25 of them one at a time take > 7 s.
    startPrivateCloud({ timeScale: 0.01, delays: { 'lambda:Invoke': 30 } }),
  ]);
  const ups = await Promise.all([runCli(UP, throttling.env), runCli(UP, slow.env)]);
  for (const up of ups) assert.equal(up.status, 0, up.stderr);
});
after(async () => {
  await Promise.all([throttling?.stop(), slow?.stop()]);
});

describe('txn load results', () => {
  it('throttled: exit 1 with the statistics, stopped after the first invocations all failed', async () => {
    const args = ['txn', 'load', '--stack', 'load', '--count', '500', '--concurrency', '2'];
    const human = await runCli(args, { ...throttling.env, ...RETRY });
    assert.equal(human.status, 1, human.stderr);
    assert.match(human.stdout, /\d+ failed \(\d+ throttled\), \d+ not started of 500, stopped early/);
    assert.match(human.stderr, /invocations failed, \d+ throttled \(stopped early: the first 10 invocations/);
    assert.match(human.stderr, /throttled/i);

    const json = await runCli([...args, '--json'], { ...throttling.env, ...RETRY });
    assert.equal(json.status, 1, json.stderr);
    const body = JSON.parse(json.stdout);
    assert.equal(body.exitCode, 1);
    const report = body.result;
    assert.equal(report.stoppedEarly, true);
    assert.equal(report.succeeded, 0);
    assert.equal(report.throttled, report.failed);
    // At most the first N and the ones in flight then: not minutes of failing calls.
    assert.ok(
      report.failed >= EARLY_STOP_AFTER && report.failed <= EARLY_STOP_AFTER + 2,
      String(report.failed),
    );
    assert.equal(report.notStarted, 500 - report.failed);
    assert.match(report.firstFailure, /TooManyRequestsException/);
  });

  it('piped, a long run prints progress lines while it runs', async () => {
    const result = await runCli(
      ['txn', 'load', '--stack', 'load', '--count', '25', '--concurrency', '1'],
      slow.env,
    );
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^25 transactions in us-east-1/);
    assert.match(result.stderr, /^txn load: \d+\/25 done, [\d.]+\/s, \d+s elapsed$/m);
  });

  it('the histogram: a bar per bucket from the fastest to the slowest, scaled to the largest', () => {
    const lines = renderHistogram([3, 4, 4, 4, 30, 600]).split('\n');
    assert.deepEqual(
      lines.map((l) => l.replace(/\|#*\s*/, '| ')),
      [
        'latency histogram:',
        '       ≤ 5 ms | 4',
        '      ≤ 10 ms | 0',
        '      ≤ 20 ms | 0',
        '      ≤ 50 ms | 1',
        '     ≤ 100 ms | 0',
        '     ≤ 200 ms | 0',
        '     ≤ 500 ms | 0',
        '    ≤ 1000 ms | 1',
      ],
    );
    assert.match(lines[1] ?? '', /\|#{40} 4$/);
    assert.match(lines[4] ?? '', /\|#{10}\s+1$/);
  });
});
