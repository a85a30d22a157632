// `dsqlctl db token` and `dsqlctl db shell` on a one-region stack deployed on the local target: the
// system's psql connects with sslmode=verify-full and a token `db token` printed; `db shell` runs psql
// through the CLI (arguments after --, psql's exit code passed on); a missing psql names its package;
// bad --expires and a region not in the stack are exit 2. Also what `local status` lists per cluster.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FAST, type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { type CliResult, runCli } from '../support/cli.js';
import { psqlPath, runPsql } from '../support/psql.js';

const STACK = 'dbx';
const REGION = 'us-east-1';

interface TokenResult {
  token: string;
  host: string;
  hostaddr?: string;
  port: number;
  database: string;
  user: string;
  region: string;
  action: string;
  caFile?: string;
  clusterIdentifier: string;
  expiresAt: string;
}

let pc: PrivateCloud;
let scratch: string;
const cli = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
  runCli(args, { ...pc.env, ...env });

async function token(...args: string[]): Promise<TokenResult> {
  const result = await cli(['db', 'token', '--stack', STACK, ...args, '--json']);
  assert.equal(result.status, 0, result.stderr + result.stdout);
  return JSON.parse(result.stdout).result as TokenResult;
}

const conninfoOf = (t: TokenResult) =>
  `host=${t.host} hostaddr=${t.hostaddr} port=${t.port} dbname=${t.database} user=${t.user} sslmode=verify-full sslrootcert=${t.caFile}`;

before(async () => {
  psqlPath();
  scratch = mkdtempSync(join(tmpdir(), 'dsqlctl-db-access-'));
  pc = await startPrivateCloud(FAST);
  const up = await cli(['up', '--stack', STACK, '--regions', REGION]);
  assert.equal(up.status, 0, up.stderr + up.stdout);
});

after(async () => {
  await pc?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('db token', () => {
  it('--admin: the system psql connects with it, sslmode=verify-full against the local CA', async () => {
    const t = await token('--admin');
    assert.equal(t.user, 'admin');
    assert.equal(t.action, 'DbConnectAdmin');
    assert.equal(t.region, REGION);
    assert.equal(t.database, 'postgres');
    assert.equal(t.host, `${t.clusterIdentifier}.dsql.${REGION}.on.aws`);
    assert.equal(t.hostaddr, '127.0.0.1');
    assert.match(t.caFile ?? '', /dsql-endpoint\/ca\.pem$/);
    assert.match(t.token, new RegExp(`^${t.host}/\\?Action=DbConnectAdmin&`));
    // Default lifetime: 15 minutes, as the AWS CLI's.
    const left = Date.parse(t.expiresAt) - Date.now();
    assert.ok(left > 14 * 60_000 && left <= 15 * 60_000, `expires in ${left} ms`);
    const result = await runPsql(conninfoOf(t), t.token, 'SELECT current_user');
    assert.equal(result.stderr, '');
    assert.equal(result.stdout.trim(), 'admin');
  });

  it('human output is the token alone, for PGPASSWORD="$(dsqlctl db token)"', async () => {
    const result = await cli(['db', 'token', '--stack', STACK, '--admin']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^[a-z0-9]+\.dsql\.us-east-1\.on\.aws\/\?Action=DbConnectAdmin&\S+\n$/);
  });

  it('without --admin: a DbConnect token for the stack role; the operator, not mapped to it, is refused', async () => {
    const t = await token();
    assert.equal(t.user, `${STACK}_app`);
    assert.equal(t.action, 'DbConnect');
    const result = await runPsql(conninfoOf(t), t.token, 'SELECT 1');
    assert.notEqual(result.status, 0);
    // Not "wrong action": the token is the right kind; the endpoint wants an AWS IAM GRANT mapping.
    assert.match(result.stderr, /role "dbx_app" has no IAM mapping to arn:aws:iam::000000000000:root/);
  });

  it('--expires: 1w is the maximum and sets X-Amz-Expires; beyond it, 0 or garbage are exit 2', async () => {
    const week = await token('--admin', '--expires', '1w');
    assert.equal(new URL(`https://${week.token}`).searchParams.get('X-Amz-Expires'), '604800');
    const left = Date.parse(week.expiresAt) - Date.now();
    assert.ok(left > 604_700_000 && left <= 604_800_000, `expires in ${left} ms`);
    for (const bad of ['604801', '8d', '2w', '0', '15 minutes']) {
      const result = await cli(['db', 'token', '--stack', STACK, '--expires', bad]);
      assert.equal(result.status, 2, `${bad}: ${result.stderr}`);
      assert.match(result.stderr, /Invalid --expires .*from 1s to 1w/);
    }
  });

  it('--region not in the stack, and a stack never deployed: exit 2', async () => {
    const other = await cli(['db', 'token', '--stack', STACK, '--region', 'us-west-2']);
    assert.equal(other.status, 2, other.stderr);
    assert.match(other.stderr, /Stack "dbx" is not deployed in us-west-2; its regions are us-east-1/);
    const unknown = await cli(['db', 'token', '--stack', STACK, '--region', 'mars-1']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /Unknown region "mars-1"/);
    const missing = await cli(['db', 'shell', '--stack', 'never-deployed']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /Stack "never-deployed" not found/);
  });
});

describe('db shell', () => {
  it("-- -c 'select current_user': psql through the CLI as admin", async () => {
    const result = await cli([
      'db',
      'shell',
      '--stack',
      STACK,
      '--admin',
      '--',
      '-tA',
      '-c',
      'select current_user',
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'admin');
  });

  it("psql's exit code is dsqlctl's (3: a script error with ON_ERROR_STOP)", async () => {
    const script = join(scratch, 'fails.sql');
    writeFileSync(script, 'select 1/0;\n');
    const result = await cli([
      'db',
      'shell',
      '--stack',
      STACK,
      '--admin',
      '--',
      '-v',
      'ON_ERROR_STOP=1',
      '-f',
      script,
    ]);
    assert.equal(result.status, 3, result.stderr);
    assert.match(result.stderr, /division by zero/);
  });

  it('without --admin it logs in as the stack role, and psql reports the refusal (its exit 2)', async () => {
    const result = await cli(['db', 'shell', '--stack', STACK, '--', '-c', 'select 1']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /role "dbx_app" has no IAM mapping/);
  });

  it('psql arguments before -- are refused (exit 2)', async () => {
    const flag = await cli(['db', 'shell', '--stack', STACK, '--admin', '-c', 'select 1']);
    assert.equal(flag.status, 2);
    assert.match(flag.stderr, /Unknown flag: -c for dsqlctl db shell/);
    const word = await cli(['db', 'shell', '--stack', STACK, '--admin', 'postgres']);
    assert.equal(word.status, 2);
    assert.match(word.stderr, /Unexpected argument "postgres": put psql's own arguments after --/);
  });

  it('psql not installed: exit 2 naming postgresql-client and libpq, before any call', async () => {
    const before = pc.cloud.requests().filter((e) => e.operation !== 'Deliver').length;
    const result = await cli(['db', 'shell', '--stack', STACK, '--admin'], {
      PATH: join(scratch, 'no-psql-here'),
    });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /psql is not installed/);
    assert.match(result.stderr, /apt-get install postgresql-client/);
    assert.match(result.stderr, /brew install libpq/);
    assert.equal(pc.cloud.requests().filter((e) => e.operation !== 'Deliver').length, before);
  });
});

describe('local status', () => {
  it("lists each cluster's endpoint host:port and the CA file", async () => {
    const t = await token('--admin');
    const status = await cli(['local', 'status', '--json']);
    const result = JSON.parse(status.stdout).result as {
      dsqlEndpoint: { caFile: string };
      clusters: { region: string; identifier: string; host: string; port: number }[];
    };
    assert.deepEqual(result.clusters, [
      { region: REGION, identifier: t.clusterIdentifier, host: t.host, port: t.port },
    ]);
    assert.equal(result.dsqlEndpoint.caFile, t.caFile);
    const human = await cli(['local', 'status']);
    assert.match(
      human.stdout,
      new RegExp(`cluster +us-east-1 ${t.host.replaceAll('.', '\\.')}:${t.port}$`, 'm'),
    );
    assert.ok(human.stdout.includes(`CA file     ${t.caFile}`), human.stdout);
  });
});
