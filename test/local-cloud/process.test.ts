// The local cloud as a process: `local start` twice gives one daemon, `local stop` leaves no process,
// state survives a restart, and a kill -9 in the middle of writes leaves readable, consistent state.
// The CLI runs from (a private copy of) dist, so this also covers spawning daemon.js.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  CreateClusterCommand,
  GetClusterCommand,
  ListClustersCommand,
  TagResourceCommand,
} from '@aws-sdk/client-dsql';
import { CreateRoleCommand, GetRoleCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import {
  dsql,
  FAST,
  iam,
  removeHome,
  startPrivateCloud,
  tempHome,
  waitForStatus,
} from '../../scripts/lib/local-cloud.js';
import { connectAsAdmin } from '../../src/lib/dsql-connection.js';
import { fetchDatabaseSettings, stopLocalCloud } from '../../src/lib/local-cloud/index.js';
import { isAlive, waitForExit } from '../../src/lib/local-cloud/testing.js';
import { runCli } from '../support/cli.js';

const trust = JSON.stringify({
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

async function cli(home: string, ...args: string[]): Promise<Record<string, unknown>> {
  const result = await runCli([...args, '--json'], { DSQLCTL_HOME: home });
  assert.equal(result.status, 0, `dsqlctl ${args.join(' ')}: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { result: Record<string, unknown> }).result;
}

async function waitForDeath(pid: number, timeoutMs = 10_000): Promise<void> {
  assert.ok(await waitForExit(pid, timeoutMs), `process ${pid} still running`);
}

describe('local cloud: the process', () => {
  const homes: string[] = [];
  after(() => {
    for (const home of homes) removeHome(home);
  });

  it('`local start` twice at once gives one daemon; `local stop` leaves no process behind', async () => {
    const home = tempHome();
    homes.push(home);
    const [a, b] = await Promise.all([cli(home, 'local', 'start'), cli(home, 'local', 'start')]);
    const infoA = a.info as { pid: number; postgres: { pid: number }; endpoint: string };
    const infoB = b.info as { pid: number };
    assert.equal(infoA.pid, infoB.pid);
    assert.deepEqual([a.alreadyRunning, b.alreadyRunning].sort(), [false, true]);

    const status = await cli(home, 'local', 'status');
    assert.equal(status.running, true);
    assert.equal(status.endpoint, infoA.endpoint);
    assert.ok(isAlive(infoA.pid) && isAlive(infoA.postgres.pid));

    const stopped = await cli(home, 'local', 'stop');
    assert.equal(stopped.stoppedPid, infoA.pid);
    await waitForDeath(infoA.pid);
    await waitForDeath(infoA.postgres.pid);
    assert.equal((await cli(home, 'local', 'status')).running, false);
  });

  it('a stale runtime.json whose pid now belongs to another program: stop leaves it alone, start starts afresh', async () => {
    const home = tempHome();
    homes.push(home);
    // Another program now holds the pid a daemon killed with -9 left in runtime.json.
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    const otherPid = other.pid ?? 0;
    try {
      mkdirSync(join(home, 'local-cloud'), { recursive: true });
      writeFileSync(
        join(home, 'local-cloud', 'runtime.json'),
        JSON.stringify({ pid: otherPid, endpoint: 'http://127.0.0.1:9', postgres: {} }),
      );
      const stopped = await stopLocalCloud({ home });
      assert.equal(stopped.stoppedPid, undefined);
      assert.ok(isAlive(otherPid), 'local stop must not signal a process that is not its daemon');
      const cloud = (await startPrivateCloud(FAST, home)).cloud;
      try {
        assert.notEqual(cloud.pid, otherPid);
        assert.ok(isAlive(otherPid));
      } finally {
        await cloud.stop();
        await waitForDeath(cloud.pid);
      }
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('keeps clusters, roles and rows across a restart', async () => {
    const first = (await startPrivateCloud(FAST)).cloud;
    homes.push(first.home);
    await iam(first).send(new CreateRoleCommand({ RoleName: 'kept', AssumeRolePolicyDocument: trust }));
    const created = await dsql(first).send(new CreateClusterCommand({ tags: { keep: 'yes' } }));
    const identifier = created.identifier ?? '';
    await waitForStatus(dsql(first), identifier, 'ACTIVE');
    const settings = await fetchDatabaseSettings(first, 'us-east-1', identifier);
    const db = await connectAsAdmin(settings, first.credentials);
    await db.query('CREATE TABLE kept (v text)');
    await db.query("INSERT INTO kept VALUES ('still here')");
    await db.end();
    await first.stop();
    await waitForDeath(first.pid);

    const second = (await startPrivateCloud(FAST, first.home)).cloud;
    try {
      assert.notEqual(second.pid, first.pid);
      assert.equal((await iam(second).send(new GetRoleCommand({ RoleName: 'kept' }))).Role?.RoleName, 'kept');
      const got = await dsql(second).send(new GetClusterCommand({ identifier }));
      assert.deepEqual([got.status, got.tags], ['ACTIVE', { keep: 'yes' }]);
      const again = await connectAsAdmin(
        await fetchDatabaseSettings(second, 'us-east-1', identifier),
        second.credentials,
      );
      assert.deepEqual((await again.query('SELECT v FROM kept')).rows, [{ v: 'still here' }]);
      await again.end();
    } finally {
      await second.stop();
    }
  });

  it('survives a kill -9 in the middle of writes with readable, consistent state', async () => {
    const first = (await startPrivateCloud(FAST)).cloud;
    homes.push(first.home);
    const [roles, clusters] = [iam(first), dsql(first)];
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      writes.push(roles.send(new CreateRoleCommand({ RoleName: `r${i}`, AssumeRolePolicyDocument: trust })));
      if (i % 4 === 0) {
        writes.push(
          clusters
            .send(new CreateClusterCommand({ deletionProtectionEnabled: false }))
            .then((c) =>
              clusters.send(new TagResourceCommand({ resourceArn: c.arn, tags: { i: String(i) } })),
            ),
        );
      }
    }
    // Kill once some writes have landed and others are still in flight.
    while (first.requests().length < 12) await new Promise((r) => setTimeout(r, 2));
    process.kill(first.pid, 'SIGKILL');
    await Promise.allSettled(writes);
    await waitForDeath(first.pid);
    assert.ok(isAlive(first.postgresPid), 'PostgreSQL outlives its daemon (own process group)');

    const state = JSON.parse(readFileSync(join(first.home, 'local-cloud', 'state.json'), 'utf8'));
    assert.equal(state.version, 1);

    const second = (await startPrivateCloud(FAST, first.home)).cloud;
    try {
      await waitForDeath(first.postgresPid);
      // Every role either exists whole or not at all.
      for (let i = 0; i < 60; i++) {
        try {
          const role = await iam(second).send(new GetRoleCommand({ RoleName: `r${i}` }));
          assert.equal(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? ''), trust);
        } catch (error) {
          assert.ok(error instanceof NoSuchEntityException, String(error));
        }
      }
      // Every cluster has its database, and no database outlives its cluster.
      const clusters = (await dsql(second).send(new ListClustersCommand({}))).clusters ?? [];
      const databases = new Set<string>();
      for (const c of clusters) {
        await waitForStatus(dsql(second), c.identifier ?? '', 'ACTIVE');
        const settings = await fetchDatabaseSettings(second, 'us-east-1', c.identifier ?? '');
        databases.add(settings.host);
        const db = await connectAsAdmin(settings, second.credentials);
        const { rows } = await db.query("SELECT datname FROM pg_database WHERE datname LIKE 'cluster\\_%'");
        await db.end();
        assert.deepEqual(
          new Set(rows.map((r) => r.datname)),
          new Set(clusters.map((k) => `cluster_${k.identifier}`)),
        );
      }
      assert.equal(databases.size, clusters.length, 'an endpoint host per cluster');
      assert.ok(existsSync(join(first.home, 'local-cloud', 'requests.jsonl')));
    } finally {
      const stopped = await second.stop();
      await waitForDeath(second.pid);
      await waitForDeath(second.postgresPid);
      assert.equal(stopped.stoppedPid, second.pid);
    }
  });
});
