// The local DSQL endpoint's cost: an INSERT through the front (TLS, every statement classified by
// PostgreSQL's parser, DSQL's limits counted) against the same INSERT sent straight to the backing
// PostgreSQL on its Unix socket inside the home, interleaved in the same run; and new TLS connections
// per second through the front, each with a fresh IAM token minted and checked (signature, policy).
// A floor in the same run splits the ratio: the same INSERT through a bare TLS pass-through in its
// own process (scripts/lib/tls-pass-through.ts, same certificate, inspecting nothing) is what TLS and
// the extra hop cost by themselves; the front ÷ that floor is what the front adds on top.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CreateClusterCommand } from '@aws-sdk/client-dsql';
import pg from 'pg';
import { connectAsAdmin } from '../../src/lib/dsql-connection.js';
import { fetchDatabaseSettings, localCloudStatus } from '../../src/lib/local-cloud/index.js';
import { median, timed } from '../../src/lib/stats.js';
import type { Bench } from '../bench.ts';
import { dsql, FAST, startPrivateCloud, waitForStatus } from '../lib/local-cloud.js';

const REGION = 'us-east-1';
const WARMUP = 200;
const SAMPLES = 2000;
const CONNECTIONS = 400;
const CONNECT_CONCURRENCY = 8;

const bench: Bench = async (report) => {
  const pc = await startPrivateCloud(FAST);
  const client = dsql(pc.cloud, REGION);
  const clients: pg.Client[] = [];
  let floorProxy: ReturnType<typeof spawn> | undefined;
  try {
    const { identifier = '' } = await client.send(
      new CreateClusterCommand({ deletionProtectionEnabled: false }),
    );
    await waitForStatus(client, identifier, 'ACTIVE');
    const settings = await fetchDatabaseSettings(pc.cloud, REGION, identifier);
    const front = await connectAsAdmin(settings, pc.cloud.credentials);
    clients.push(front);
    await front.query('CREATE TABLE bench_insert (id int PRIMARY KEY, v text NOT NULL)');
    // The cluster's database on the backing server, and the server's socket folder (the front's only path).
    const { rows } = await front.query<{ db: string }>('SELECT current_database() AS db');
    const status = await localCloudStatus({ home: pc.home });
    if (!status) throw new Error('the local cloud is not running');
    const direct = new pg.Client({
      host: status.postgres.host,
      port: status.postgres.port,
      database: rows[0]?.db,
      user: 'admin',
    });
    await direct.connect();
    clients.push(direct);

    // The floor: a bare TLS pass-through to the same socket, with the endpoint's certificate (kept
    // beside the CA file), verified by the client exactly as the endpoint is.
    const caFile = settings.caFile ?? '';
    floorProxy = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        new URL('../lib/tls-pass-through.ts', import.meta.url).pathname,
        dirname(caFile),
        `${status.postgres.host}/.s.PGSQL.${status.postgres.port}`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const [firstLine] = (await once(floorProxy.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
    const floor = new pg.Client({
      host: settings.hostaddr ?? settings.host,
      port: Number(firstLine.toString().trim()),
      database: rows[0]?.db,
      user: 'admin',
      ssl: { rejectUnauthorized: true, servername: settings.host, ca: readFileSync(caFile, 'utf8') },
    });
    await floor.connect();
    clients.push(floor);

    let id = 0;
    const insert = (c: pg.Client) => () =>
      c.query('INSERT INTO bench_insert (id, v) VALUES ($1, $2)', [++id, 'bench row']);
    const [viaFront, viaFloor, straight] = [insert(front), insert(floor), insert(direct)];
    for (let i = 0; i < WARMUP; i++) {
      await viaFront();
      await viaFloor();
      await straight();
    }
    // Interleaved, so drift on a shared machine hits all three alike.
    const samples = { front: [] as number[], floor: [] as number[], direct: [] as number[] };
    for (let i = 0; i < SAMPLES; i++) {
      samples.front.push(await timed(viaFront));
      samples.floor.push(await timed(viaFloor));
      samples.direct.push(await timed(straight));
    }
    const [frontMs, floorMs, directMs] = [
      median(samples.front),
      median(samples.floor),
      median(samples.direct),
    ];
    report('INSERT through the local DSQL endpoint (TLS), median (ms)', frontMs);
    report('INSERT through a bare TLS pass-through (the floor), median (ms)', floorMs);
    report('INSERT straight on the backing PostgreSQL (Unix socket), median (ms)', directMs);
    report('INSERT through the endpoint / straight on PostgreSQL', frontMs / directMs, '≤ 1.3');
    report('INSERT through the bare TLS pass-through / straight on PostgreSQL (floor)', floorMs / directMs);
    report('INSERT through the endpoint / through the bare TLS pass-through', frontMs / floorMs);

    // Each connection: a token minted by the signer, TLS handshake, token and policy check, backend login.
    const connectOnce = async () => (await connectAsAdmin(settings, pc.cloud.credentials)).end();
    for (let i = 0; i < 20; i++) await connectOnce();
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONNECT_CONCURRENCY }, async () => {
        while (next++ < CONNECTIONS) await connectOnce();
      }),
    );
    const perSecond = CONNECTIONS / ((performance.now() - started) / 1000);
    report(
      `new TLS connections/s through the endpoint, token checked, ${CONNECT_CONCURRENCY} in flight`,
      perSecond,
      'printed; DSQL quota 100/s per cluster, burst 1,000',
    );
    const sequential: number[] = [];
    for (let i = 0; i < 100; i++) sequential.push(await timed(connectOnce));
    report('one new connection through the endpoint, median (ms)', median(sequential));
  } finally {
    for (const c of clients) await c.end().catch(() => undefined);
    floorProxy?.kill();
    client.destroy();
    await pc.stop();
  }
};

export default bench;
