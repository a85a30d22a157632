// The local cloud's files are its user's alone: after a cluster, a role, a function and invocations,
// every folder under the home's local-cloud folder is 0700 and every file 0600 (PostgreSQL's data
// folder is 0700 and keeps its own contents), including files an older version left readable.
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CreateClusterCommand } from '@aws-sdk/client-dsql';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import {
  dsql,
  FAST,
  iam,
  lambda,
  removeHome,
  startPrivateCloud,
  tempHome,
  waitForStatus,
} from '../../scripts/lib/local-cloud.js';
import { createFunction, createRole } from '../../scripts/lib/local-lambda.js';

/** `path mode` for every entry whose mode is not the private one; PostgreSQL's data is not walked. */
function openModes(dir: string, dataDir: string): string[] {
  const wrong: string[] = [];
  const walk = (path: string) => {
    const stat = lstatSync(path);
    const mode = stat.mode & 0o777;
    if (stat.isDirectory()) {
      if (mode !== 0o700) wrong.push(`${path} ${mode.toString(8)}`);
      if (path !== dataDir) for (const name of readdirSync(path)) walk(join(path, name));
    } else if (mode !== 0o600) {
      wrong.push(`${path} ${mode.toString(8)}`);
    }
  };
  walk(dir);
  return wrong;
}

describe('local cloud: file modes', () => {
  it('keeps every folder 0700 and every file 0600 in a used home', async () => {
    const home = tempHome();
    const dir = join(home, 'local-cloud');
    // Left by an older version: readable by everyone; the next start tightens it.
    const first = (await startPrivateCloud(FAST, home)).cloud;
    await first.stop();
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'daemon.log'), 0o644);
    writeFileSync(join(dir, 'old-notes.txt'), 'x', { mode: 0o644 });

    const cloud = (await startPrivateCloud(FAST, home)).cloud;
    try {
      const client = dsql(cloud);
      const { identifier = '' } = await client.send(
        new CreateClusterCommand({ deletionProtectionEnabled: false }),
      );
      await waitForStatus(client, identifier, 'ACTIVE');
      const role = await createRole(iam(cloud), 'modes-fn');
      const functions = lambda(cloud);
      await createFunction(functions, {
        name: 'modes',
        role,
        source: 'export const handler = async () => { console.log("hi"); return 1; };',
      });
      await functions.send(new InvokeCommand({ FunctionName: 'modes', Payload: '{}' }));

      const status = (await (
        await fetch(`${cloud.endpoint}/_dsqlctl/status`, {
          headers: { authorization: `Bearer ${cloud.credentials.secretAccessKey}` },
        })
      ).json()) as {
        postgres: { dataDir: string };
      };
      const dataDir = status.postgres.dataDir;
      assert.equal(lstatSync(dataDir).mode & 0o777, 0o700);
      const names = readdirSync(dir);
      for (const expected of [
        'state.json',
        'runtime.json',
        'requests.jsonl',
        'daemon.log',
        'postgres.log',
        'operator-key.json',
      ]) {
        assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`);
      }
      assert.deepEqual(openModes(dir, dataDir), []);
    } finally {
      await cloud.stop();
    }
    assert.deepEqual(openModes(dir, join(dir, 'postgres', 'data')), []);
    removeHome(home);
  });
});
