// The local cloud: `dsqlctl local start` until it serves (PostgreSQL included), on a fresh home (initdb)
// and on an existing one; and GetCluster requests per second through the SDK, which bounds how fast
// `up` and `status` can observe clusters on the local target.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateClusterCommand, DSQLClient, GetClusterCommand } from '@aws-sdk/client-dsql';
import { localCloudCredentials } from '../../src/lib/local-cloud/index.js';
import { median } from '../../src/lib/stats.js';
import type { Bench } from '../bench.ts';

const root = new URL('../..', import.meta.url).pathname;
const RUNS = 5;
const GETS = 3000;
const CONCURRENCY = 16;

function cli(home: string, ...args: string[]): { ms: number; json: Record<string, unknown> } {
  const start = performance.now();
  const result = spawnSync(process.execPath, ['bin/run.js', ...args, '--json'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, DSQLCTL_HOME: home },
  });
  const ms = performance.now() - start;
  if (result.status !== 0)
    throw new Error(`dsqlctl ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { ms, json: (JSON.parse(result.stdout) as { result: Record<string, unknown> }).result };
}

function tempHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'dsqlctl-bench-lc-'));
  chmodSync(home, 0o755);
  return home;
}

const bench: Bench = async (report) => {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const home = tempHome();
    try {
      cold.push(cli(home, 'local', 'start').ms);
      cli(home, 'local', 'stop');
      warm.push(cli(home, 'local', 'start').ms);
      cli(home, 'local', 'stop');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
  report('local start to ready, fresh home (initdb) ms (median)', median(cold), '≤ 2000');
  report('local start to ready, existing home ms (median)', median(warm), '≤ 2000');

  const home = tempHome();
  try {
    const { json } = cli(home, 'local', 'start', '--time-scale', '0');
    const endpoint = (json.info as { endpoint: string }).endpoint;
    const client = new DSQLClient({
      region: 'us-east-1',
      endpoint,
      // The home's operator key: the local cloud verifies every signature.
      credentials: localCloudCredentials({ home }),
    });
    const { identifier } = await client.send(new CreateClusterCommand({ deletionProtectionEnabled: false }));
    for (let i = 0; i < 200; i++) await client.send(new GetClusterCommand({ identifier })); // warm up
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < GETS) await client.send(new GetClusterCommand({ identifier }));
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    report(`GetCluster through the SDK, ${CONCURRENCY} in flight (requests/s)`, GETS / seconds);
    const sequentialStart = performance.now();
    for (let i = 0; i < 500; i++) await client.send(new GetClusterCommand({ identifier }));
    report(
      'GetCluster through the SDK, one at a time (ms per call)',
      (performance.now() - sequentialStart) / 500,
    );
    client.destroy();
  } finally {
    cli(home, 'local', 'stop');
    rmSync(home, { recursive: true, force: true });
  }
};

export default bench;
