// The request log is bounded: past its size limit the file rotates into one older half, and reading
// gives every entry still kept, oldest first, with a file's worth of the newest at least.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RequestLog, readRequestLogFile, rotatedFile } from '../../src/lib/local-cloud/testing.js';

describe('local cloud: the request log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsqlctl-request-log-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const entry = (n: number) => ({
    time: new Date(0).toISOString(),
    service: 'lambda',
    region: 'us-east-1',
    operation: `Invoke${n}`,
    status: 200,
    durationMs: n,
  });

  it('keeps at most two files of its limit, the newest entries in order, each file private', () => {
    const file = join(dir, 'requests.jsonl');
    const limit = 4096;
    const log = new RequestLog(file, limit);
    for (let n = 0; n < 1000; n++) log.append(entry(n));
    log.close();
    assert.ok(statSync(file).size <= limit);
    assert.ok(statSync(rotatedFile(file)).size <= limit);
    assert.equal(statSync(rotatedFile(file)).mode & 0o777, 0o600);
    const kept = readRequestLogFile(file).map((e) => e.durationMs);
    assert.equal(kept.at(-1), 999, 'the newest entry is kept');
    assert.ok(kept.length * JSON.stringify(entry(999)).length >= limit, 'at least a file of entries is kept');
    assert.deepEqual(
      kept,
      kept.map((_, i) => kept[0] + i),
      'oldest first, none missing in between',
    );
  });

  it('a reopened log keeps counting from the size already on disk', () => {
    const file = join(dir, 'reopened.jsonl');
    const limit = 2048;
    for (let round = 0; round < 10; round++) {
      const log = new RequestLog(file, limit);
      for (let n = 0; n < 10; n++) log.append(entry(round * 10 + n));
      log.close();
    }
    assert.ok(statSync(file).size <= limit);
    assert.equal(readRequestLogFile(file).at(-1)?.durationMs, 99);
  });
});
