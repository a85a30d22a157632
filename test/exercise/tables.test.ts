/**
 * Readable tables: every table the CLI prints has its column headers and fits 80 columns when piped
 * (no TTY, no $COLUMNS), even with a 32-character stack name and 200-character transaction ids; the
 * ids are cut in the middle with "…", shown in full with a wider $COLUMNS, and always in full in --json.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import stringWidth from 'string-width';
import { FAST, type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { renderTable } from '../../src/lib/table.js';
import { runCli } from '../support/cli.js';

const STACK = 'tables-with-a-very-long-name-321';
const IDS = [1, 2].map((n) => `order-${'x'.repeat(180)}-${String(n).padStart(4, '0')}-end`);

let cloud: PrivateCloud;
before(async () => {
  cloud = await startPrivateCloud(FAST);
});
after(() => cloud?.stop());

/** The table that starts at the line matching `header` and runs to the next blank line. */
function tableAt(output: string, header: RegExp): string[] {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  assert.notEqual(start, -1, `no header ${header} in:\n${output}`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === '');
  return lines.slice(start, end === -1 ? undefined : end);
}

function assertFits(lines: string[], width = 80): void {
  const wide = lines.filter((l) => stringWidth(l) > width);
  assert.deepEqual(wide, [], `lines wider than ${width} columns`);
}

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = await runCli(args, { ...cloud.env, ...env });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

describe('tables fit 80 columns', () => {
  it("up's deployments, status, txn list and get, and local status", async () => {
    const up = await cli(['up', '--stack', STACK]);
    assertFits(tableAt(up, /^\s*REGION\s+CLUSTER\s+ENDPOINT\s+FUNCTION$/));

    const status = await cli(['status', '--stack', STACK]);
    const resources = tableAt(status, /^\s*KIND\s+NAME\s+REGION\s+STATE$/);
    assertFits(resources);
    // A cluster is shown by its identifier, not "cluster of <stack>".
    const json = JSON.parse(await cli(['status', '--stack', STACK, '--json'])).result;
    for (const d of json.deployments) {
      const row = resources.find((l) => l.includes('dsql-cluster') && l.includes(d.region));
      assert.ok(row, `no cluster row for ${d.region}`);
      assert.match(row, new RegExp(String(d.clusterIdentifier).slice(0, 8)));
      assert.doesNotMatch(row, /cluster of/);
    }

    for (const id of IDS)
      await cli(['txn', 'create', '--stack', STACK, '--id', id, '--amount', '12345678.99']);
    const list = tableAt(
      await cli(['txn', 'list', '--stack', STACK]),
      /^ID\s+AMOUNT\s+REGION\s+STATUS\s+TIMESTAMP$/,
    );
    assertFits(list);
    assert.equal(list.length, 3);
    // Cut in the middle: the start and the distinguishing end both stay.
    assert.match(list[1] ?? '', /^order-x+…x+-0002-end /);
    assert.match(list[2] ?? '', /^order-x+…x+-0001-end /);

    const got = tableAt(
      await cli(['txn', 'get', '--stack', STACK, '--id', IDS[0] as string]),
      /^ID\s+AMOUNT/,
    );
    assertFits(got);

    // A wider terminal (or $COLUMNS) shows the ids whole; --json always does.
    const wide = await cli(['txn', 'list', '--stack', STACK], { COLUMNS: '400' });
    for (const id of IDS) assert.ok(wide.includes(id), 'full id with COLUMNS=400');
    const listed = JSON.parse(await cli(['txn', 'list', '--stack', STACK, '--json'])).result;
    assert.deepEqual(
      listed.answer.transactions.map((t: { id: string }) => t.id),
      [IDS[1], IDS[0]],
    );

    assertFits((await cli(['local', 'status'])).trimEnd().split('\n'));
  });

  it('renderTable cuts only the shrinkable columns, and keeps a line long rather than lose a value', () => {
    const columns = [{ header: 'ID', shrink: true }, { header: 'NOTE' }];
    const lines = renderTable(columns, [['a'.repeat(50), 'b'.repeat(30)]], { width: 50 }).split('\n');
    assert.deepEqual(lines, [
      'ID                  NOTE',
      `${'a'.repeat(9)}…${'a'.repeat(8)}  ${'b'.repeat(30)}`,
    ]);
    // The fixed column alone is wider than the width: the shrinkable one stops at its minimum.
    const narrow = renderTable(columns, [['a'.repeat(50), 'b'.repeat(60)]], { width: 40 }).split('\n');
    assert.equal(narrow[1], `${'a'.repeat(5)}…${'a'.repeat(4)}  ${'b'.repeat(60)}`);
  });
});
