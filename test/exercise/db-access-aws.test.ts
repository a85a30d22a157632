// `db token` and `db shell` on the aws target, against a recording endpoint that answers as AWS does
// (IAM GetRole with the stack's topology tags, DSQL ListClusters/GetCluster): the token is signed for
// the cluster endpoint GetCluster reports, port 5432, no local CA; `db shell` hands psql verify-full
// with the system's roots. psql here is a stand-in script on PATH that prints what it was given
// (no DSQL account to connect to), so the test checks the connection settings dsqlctl builds.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { awsTargetEnv, runCli } from '../support/cli.js';
import {
  getRoleReply,
  isGetRole,
  type RecordedRequest,
  type RecordingEndpoint,
  type Reply,
  startRecordingEndpoint,
} from '../support/recording-endpoint.js';

const STACK = 'awsdb';
const REGIONS = ['us-east-1', 'us-west-2'];
const ID = 'abcdefghijklmnopqrstuvwxyz';
/** GetCluster's endpoint: not the `<id>.dsql.<region>.on.aws` dsqlctl would derive, so its use shows. */
const endpointHost = (region: string) => `${ID}.dsql-fnh4.${region}.on.aws`;

const json = (body: unknown): Reply => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

function respond(request: RecordedRequest): Reply {
  if (isGetRole(request)) {
    return getRoleReply(`${STACK}-fn`, {
      'dsqlctl:stack': STACK,
      'dsqlctl:regions': REGIONS.join(' '),
      'dsqlctl:witness': 'us-east-2',
    });
  }
  const arn = `arn:aws:dsql:${request.region}:123456789012:cluster/${ID}`;
  if (request.service === 'dsql' && (request.path === '/cluster' || request.path.startsWith('/cluster?'))) {
    return json({ clusters: [{ identifier: ID, arn }] });
  }
  if (request.service === 'dsql' && request.path.startsWith(`/cluster/${ID}`)) {
    return json({
      identifier: ID,
      arn,
      status: 'ACTIVE',
      creationTime: 1_764_000_000,
      deletionProtectionEnabled: true,
      endpoint: endpointHost(request.region),
      tags: { 'dsqlctl:stack': STACK },
    });
  }
  return { status: 500, body: `unexpected ${request.service} ${request.method} ${request.path}` };
}

let endpoint: RecordingEndpoint;
let bin: string;

/** A psql stand-in: answers --version as psql `version`; else prints its arguments and the token's host, exit 4. */
function fakePsql(version: number): string {
  const dir = join(bin, `psql-${version}`);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'psql'),
    `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "psql (PostgreSQL) ${version}.1"; exit 0; fi\nfor a in "$@"; do echo "arg: $a"; done\necho "token for: \${PGPASSWORD%%/*}"\nexit 4\n`,
  );
  chmodSync(join(dir, 'psql'), 0o755);
  return dir;
}

before(async () => {
  endpoint = await startRecordingEndpoint(respond);
  bin = mkdtempSync(join(tmpdir(), 'dsqlctl-db-aws-'));
});

after(async () => {
  await endpoint?.close();
  rmSync(bin, { recursive: true, force: true });
});

describe('db on the aws target', () => {
  it('db token --admin: signed for the endpoint GetCluster reports, port 5432, no CA or hostaddr', async () => {
    const result = await runCli(
      ['db', 'token', '--stack', STACK, '--admin', '--json'],
      awsTargetEnv(endpoint.url),
    );
    assert.equal(result.status, 0, result.stderr + result.stdout);
    const t = JSON.parse(result.stdout).result;
    assert.equal(t.host, endpointHost('us-east-1'));
    assert.equal(t.port, 5432);
    assert.equal(t.database, 'postgres');
    assert.equal(t.user, 'admin');
    assert.equal(t.region, 'us-east-1');
    assert.equal(t.hostaddr, undefined);
    assert.equal(t.caFile, undefined);
    const query = new URL(`https://${t.token}`).searchParams;
    assert.equal(query.get('Action'), 'DbConnectAdmin');
    assert.match(query.get('X-Amz-Credential') ?? '', /^AKIDTEST\/\d{8}\/us-east-1\/dsql\/aws4_request$/);
    assert.equal(query.get('X-Amz-Expires'), '900');
  });

  it('db shell: psql 16+ gets sslrootcert=system and verify-full; its exit code is passed on', async () => {
    const path = `${fakePsql(17)}:${process.env.PATH}`;
    const result = await runCli(
      ['db', 'shell', '--stack', STACK, '--region', 'us-west-2', '--', '-c', 'select 1'],
      { ...awsTargetEnv(endpoint.url), PATH: path },
    );
    assert.equal(result.status, 4, result.stderr);
    const west = endpointHost('us-west-2');
    assert.deepEqual(result.stdout.trim().split('\n'), [
      `arg: host='${west}' port='5432' dbname='postgres' user='awsdb_app' sslmode='verify-full' sslrootcert='system'`,
      'arg: -c',
      'arg: select 1',
      `token for: ${west}`,
    ]);
  });

  it('db shell: an older psql (15) gets the system CA bundle file instead of "system"', async () => {
    const result = await runCli(['db', 'shell', '--stack', STACK, '--admin'], {
      ...awsTargetEnv(endpoint.url),
      PATH: `${fakePsql(15)}:${process.env.PATH}`,
    });
    assert.equal(result.status, 4, result.stderr);
    assert.match(result.stdout, /user='admin' sslmode='verify-full' sslrootcert='\/etc\/[^']+'\n/);
  });
});
