/**
 * `drill region-outage` end to end on the local target: a real `up` of a two-region stack, the FIS
 * experiment served by the local cloud impairing one cluster's endpoint, creates through both regions'
 * functions, the proof read back through both. Each region in turn; a drill killed with SIGKILL leaves
 * its experiment running and the next drill reports and stops it; bad flags and a one-region stack are
 * refused with exit 2; the HTML report opens in headless Chromium with the run's numbers.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  FisClient,
  GetExperimentCommand,
  ListExperimentsCommand,
  ListExperimentTemplatesCommand,
} from '@aws-sdk/client-fis';
import { CreateRoleCommand, DeleteRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import type { DrillReport } from '../../src/lib/drill/index.js';
import type { RegionStats } from '../../src/lib/drill/report.js';
import { type CliResult, onCloud, runCli } from '../support/cli.js';
import { ensureCommand } from '../support/debian.js';

const STACK = 'drill-e2e';
const FORWARD = `${STACK}-forward`;
const [EAST, WEST] = ['us-east-1', 'us-west-2'];

let cloud: PrivateCloud;
let dir: string;
const { cli, ok, client } = onCloud(() => cloud);

/** `drill region-outage` on the test's stack, impairing `region` for `duration`. */
const drillArgs = (region: string, duration: string) => [
  'drill',
  'region-outage',
  '--stack',
  STACK,
  '--region',
  region,
  '--duration',
  duration,
];

async function drill(region: string, ...more: string[]): Promise<DrillReport> {
  const run = await cli(...drillArgs(region, '3s'), '--json', ...more);
  const envelope = JSON.parse(run.stdout);
  assert.equal(
    run.status,
    0,
    `${run.stderr}\n${JSON.stringify(envelope.error ?? envelope.result?.verdicts)}`,
  );
  return envelope.result as DrillReport;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dsqlctl-drill-'));
  // The FIS outage is wall-clock time while Lambda's asynchronous retries of a failed delivery (60 s and
  // 120 s on AWS, which outlast a drill's outage there) are AWS time, scaled: at the default scale they
  // would all end inside a 3 s outage and the events would be dropped. 600 AWS seconds = 6 s here, as on
  // AWS the first retry comes after the outage (README, Regional-failure drill).
  cloud = await startPrivateCloud({ timeScale: 0.01, durations: { 'lambda:AsyncRetry': 600 } });
  await ok('up', '--stack', STACK);
});

after(async () => {
  await cli('down', '--yes', '--stack', STACK);
  await cloud?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('drill region-outage: bad input', () => {
  it('refuses bad flags with exit 2 and a clear message, impairing nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['--region', 'mars-1'], /--region mars-1 is not a region where Aurora DSQL runs/],
      [
        ['--region', 'us-east-2'],
        /Stack "drill-e2e" is not deployed in us-east-2; its regions are us-east-1, us-west-2/,
      ],
      [['--region', WEST, '--duration', '0s'], /--duration must be at least 1s/],
      [['--region', WEST, '--duration', '2h'], /--duration must be at most 1h/],
      [['--region', WEST, '--duration', 'soon'], /--duration "soon" is not a duration/],
      [
        ['--region', WEST, '--rate', '0'],
        /--rate must be a whole number of creates per second from 1 to 200/,
      ],
    ];
    const before = cloud.cloud.requests().length;
    for (const [args, message] of cases) {
      const result = await cli('drill', 'region-outage', '--stack', STACK, ...args);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
    const fisCalls = cloud.cloud
      .requests()
      .slice(before)
      .filter((r) => r.service === 'fis');
    assert.deepEqual(fisCalls, [], 'no FIS call was made');
  });

  it('a one-region stack: exit 2 saying a drill needs two peered regions', async () => {
    // The topology a one-region `up` records on the function role is all the drill reads.
    const iam = client(IAMClient, EAST);
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'drill-one-fn',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
        Tags: [
          { Key: 'dsqlctl:stack', Value: 'drill-one' },
          { Key: 'dsqlctl:regions', Value: EAST },
        ],
      }),
    );
    try {
      const result = await cli('drill', 'region-outage', '--stack', 'drill-one', '--region', EAST);
      assert.equal(result.status, 2, result.stderr);
      assert.match(
        result.stderr,
        /Stack "drill-one" has one region \(us-east-1\): a region-outage drill needs two peered regions/,
      );
    } finally {
      await iam.send(new DeleteRoleCommand({ RoleName: 'drill-one-fn' }));
    }
  });
});

describe('drill region-outage: each region in turn', () => {
  let report: string;
  let west: DrillReport;

  for (const impaired of [WEST, EAST]) {
    it(`impairing ${impaired}: nothing lost or doubled, the healthy region at 100 %, the impaired one recovering`, async () => {
      const healthy = impaired === WEST ? EAST : WEST;
      const file = join(dir, `${impaired}.html`);
      const r = await drill(impaired, '--rate', '20', '--report', file);
      if (impaired === WEST) [report, west] = [file, r];
      assert.equal(r.impairedRegion, impaired);
      assert.equal(r.outage.finalStatus, 'completed');
      const byRegion = Object.fromEntries(r.regions.map((s) => [s.region, s]));
      assert.equal(
        byRegion[healthy]?.availabilityDuringOutage,
        1,
        'the healthy region answered every request',
      );
      assert.ok((byRegion[impaired]?.failures ?? 0) > 0, 'the impaired region refused requests');
      assert.ok(
        (byRegion[impaired]?.availabilityDuringOutage ?? 1) < 0.5,
        'the impaired region was mostly down',
      );
      assert.ok(r.failovers > 0, 'creates failing in the impaired region were retried in the healthy one');
      assert.ok(r.recoveryMs !== null, 'the impaired region answered again after the experiment');
      assert.equal(r.proof.lostCount, 0);
      assert.equal(r.proof.duplicated, 0);
      assert.equal(r.proof.countsAgree, true);
      assert.ok(r.proof.acknowledged >= 60, `about 20/s for 5+ s: ${r.proof.acknowledged}`);
      assert.deepEqual(r.proof.found, { [impaired]: r.proof.acknowledged, [healthy]: r.proof.acknowledged });
      assert.equal(r.proof.events.delivered, r.proof.events.expected);
      assert.ok(r.verdicts.every((v) => v.passed));
      const { experiment } = await client(FisClient, impaired).send(
        new GetExperimentCommand({ id: r.outage.experimentId }),
      );
      assert.equal(experiment?.state?.status, 'completed');
    });
  }

  it("with --events: the impaired region's forwarding rule is off during the outage, on again after, and every event arrives", async () => {
    const before = cloud.cloud.requests().length;
    const r = await drill(WEST, '--rate', '20', '--events');
    const f = r.forwarding;
    assert.ok(f, 'the report has the forwarding outage');
    assert.deepEqual([f.rule, f.region, f.stateAfter], [FORWARD, WEST, 'ENABLED']);
    assert.ok(f.enabledMs !== null && f.enabledMs > f.disabledMs, 'disabled, then enabled again');
    assert.equal(await forwardState(WEST), 'ENABLED');
    // In order, in the impaired region only: the experiment started, the rule off, the rule on, the experiment over.
    const calls = cloud.cloud.requests().slice(before);
    const at = (service: string, operation: string) =>
      calls.findIndex((c) => c.service === service && c.operation === operation && c.region === WEST);
    const [start, disable, enable] = [
      at('fis', 'StartExperiment'),
      at('events', 'DisableRule'),
      at('events', 'EnableRule'),
    ];
    assert.ok(
      start >= 0 && disable > start && enable > disable,
      `StartExperiment ${start} < DisableRule ${disable} < EnableRule ${enable}`,
    );
    assert.deepEqual(
      calls
        .filter((c) => /^(Disable|Enable)Rule$/.test(c.operation))
        .map((c) => [c.operation, c.region, c.status]),
      [
        ['DisableRule', WEST, 200],
        ['EnableRule', WEST, 200],
      ],
    );
    // Enabled before the experiment could end: the outage lasts 3 s from StartExperiment.
    assert.ok(
      f.enabledMs < r.outage.endMs,
      `enabled at ${f.enabledMs} ms, before the outage ended at ${r.outage.endMs} ms`,
    );
    assert.equal(r.proof.events.delivered, r.proof.events.expected, 'every event reached the other region');
    assert.equal(r.proof.events.missingWhileRuleDisabled, 0);
    assert.ok(r.verdicts.some((v) => v.check === 'forwarding' && v.passed));
    assert.ok(r.verdicts.every((v) => v.passed));
  });

  it('the HTML report renders in headless Chromium with the run numbers', async () => {
    assert.ok(report, 'the west drill wrote a report');
    const page = await openReport(report);
    assert.deepEqual(
      page.sections.map((s) => s.region),
      west.regions.map((s) => s.region),
    );
    for (const s of west.regions) {
      const shown = page.sections.find((x) => x.region === s.region);
      assertChartsShow(shown, s);
      assert.ok((shown?.outageWidth ?? 0) > 0, `${s.region}: the outage band drawn`);
    }
    assert.equal(page.passedVerdicts, west.verdicts.length);
  });
});

describe('txn load --report', () => {
  it("writes the same page for a load run: one region's availability and p50/p99 per second, no outage", async () => {
    const file = join(dir, 'load.html');
    const run = await ok(
      'txn',
      'load',
      '--stack',
      STACK,
      '--region',
      WEST,
      '--count',
      '60',
      '--concurrency',
      '4',
      '--report',
      file,
      '--json',
    );
    const load = JSON.parse(run.stdout).result as {
      region: string;
      succeeded: number;
      failed: number;
      perSecond: RegionStats['perSecond'];
    };
    assert.equal(load.succeeded, 60);
    assert.ok(load.perSecond.length >= 1);
    assert.equal(
      load.perSecond.reduce((n, p) => n + p.requests, 0),
      60,
      'every answer counted in its second',
    );
    const page = await openReport(file);
    assert.deepEqual(
      page.sections.map((s) => s.region),
      [WEST],
    );
    assertChartsShow(page.sections[0], {
      region: WEST,
      requests: load.succeeded + load.failed,
      successes: load.succeeded,
      perSecond: load.perSecond,
    });
    assert.equal(page.sections[0]?.outageWidth, null, 'no outage band on a load page');
    assert.equal(page.passedVerdicts, 0, 'no verdicts on a load page');
    assert.equal(page.summary.succeeded, '60');
  });

  it('refuses a report in a folder that does not exist (exit 2) before creating anything', async () => {
    const before = await countIn(WEST);
    const result = await cli(
      'txn',
      'load',
      '--stack',
      STACK,
      '--count',
      '3',
      '--report',
      join(dir, 'no/such/load.html'),
    );
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /--report .*: the folder .* does not exist/);
    assert.equal(await countIn(WEST), before);
  });
});

async function countIn(region: string): Promise<number> {
  const read = await ok('txn', 'read', '--stack', STACK, '--region', region, '--json');
  return JSON.parse(read.stdout).result.answer.count as number;
}

interface ShownSection {
  region: string;
  requests: number;
  successes: number;
  availability: string;
  p99: string;
  lineWidths: number[];
  outageWidth: number | null;
}

/** Opens a report in headless Chromium (fetching nothing) and reads what it drew. */
async function openReport(
  file: string,
): Promise<{ sections: ShownSection[]; passedVerdicts: number; summary: Record<string, string> }> {
  const executablePath = ensureCommand('chromium', 'chromium');
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    // Nothing may be fetched: the page is self-contained.
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(`file://${file}`);
    // Run in the page (plain JavaScript: the test is not compiled against the DOM's types).
    const sections = (await page.evaluate(`[...document.querySelectorAll('section.region')].map((section) => {
      const charts = [...section.querySelectorAll('svg.chart')];
      const numbers = section.querySelector('.numbers');
      const outage = charts[0].querySelector('rect.outage');
      return {
        region: section.getAttribute('data-region'),
        requests: Number(numbers.dataset.requests),
        successes: Number(numbers.dataset.successes),
        availability: charts[0].getAttribute('data-values'),
        p99: charts[1].getAttribute('data-p99'),
        // Drawn: the lines (and a drill's outage band) have a rendered size.
        lineWidths: charts.flatMap((c) => [...c.querySelectorAll('polyline')].map((l) => l.getBBox().width)),
        outageWidth: outage ? outage.getBBox().width : null,
      };
    })`)) as ShownSection[];
    const summary = (await page.evaluate(`({ ...document.querySelector('#summary').dataset })`)) as Record<
      string,
      string
    >;
    assert.deepEqual(requests, [`file://${file}`]);
    return { sections, passedVerdicts: await page.locator('#verdicts li.passed').count(), summary };
  } finally {
    await browser.close();
  }
}

/** The section shows the run's counts, and its charts its per-second availability and p99. */
function assertChartsShow(
  shown: ShownSection | undefined,
  s: Pick<RegionStats, 'region' | 'requests' | 'successes' | 'perSecond'>,
): void {
  assert.equal(shown?.requests, s.requests);
  assert.equal(shown?.successes, s.successes);
  const availability = s.perSecond.map((p) =>
    p.requests === 0 ? '' : (p.successes / p.requests).toFixed(3),
  );
  assert.equal(shown?.availability, availability.join(','));
  // --json rounds milliseconds to whole numbers; the page keeps one decimal.
  const p99 = (shown?.p99 ?? '').split(',').map((v) => (v === '' ? null : Math.round(Number(v))));
  assert.deepEqual(
    p99,
    s.perSecond.map((p) => (p.p99Ms === null ? null : Math.round(p.p99Ms))),
  );
  assert.ok(
    (shown?.lineWidths.length ?? 0) > 0 && shown?.lineWidths.every((w) => w > 0),
    `${s.region}: every line drawn`,
  );
}

/**
 * Starts a drill in `region` (10 minutes, so it is mid-way), waits until its experiment runs (and, with
 * --events, its forwarding rule is DISABLED), and SIGKILLs it: no handler runs, everything stays. The
 * experiment's id.
 */
async function killMidDrill(region: string, ...more: string[]): Promise<string> {
  let child: ChildProcess | undefined;
  const killed = cli2(...drillArgs(region, '10m'), '--rate', '2', ...more, (c) => {
    child = c;
  });
  const fis = client(FisClient, region);
  const events = client(EventBridgeClient, region);
  let leftover: string | undefined;
  let ready = false;
  for (let i = 0; i < 600 && !ready; i++) {
    const { experiments = [] } = await fis.send(new ListExperimentsCommand({}));
    leftover = experiments.find(
      (e) => e.tags?.['dsqlctl:stack'] === STACK && e.state?.status === 'running',
    )?.id;
    ready =
      leftover !== undefined &&
      (!more.includes('--events') ||
        (await events.send(new DescribeRuleCommand({ Name: FORWARD, EventBusName: STACK }))).State ===
          'DISABLED');
    if (!ready) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(ready && leftover, 'the drill started its experiment (and disabled its rule)');
  child?.kill('SIGKILL');
  assert.equal((await killed).status, 137);
  const still = await fis.send(new GetExperimentCommand({ id: leftover }));
  assert.equal(still.experiment?.state?.status, 'running', 'a SIGKILL leaves the experiment running');
  return leftover;
}

const experimentStatus = async (region: string, id: string) =>
  (await client(FisClient, region).send(new GetExperimentCommand({ id }))).experiment?.state?.status ?? '';
const forwardState = async (region: string) =>
  (
    await client(EventBridgeClient, region).send(
      new DescribeRuleCommand({ Name: FORWARD, EventBusName: STACK }),
    )
  ).State;

describe('drill region-outage: a killed drill', () => {
  it('status reports and stops its experiment, and reports the rule --events left DISABLED; up enables it', async () => {
    const leftover = await killMidDrill(WEST, '--events');
    const run = await ok('status', '--stack', STACK, '--json');
    const status = JSON.parse(run.stdout).result as {
      resources: { id: string; drift?: { reason: string } }[];
      drill: {
        experiments: { id: string; region: string; stopped: boolean }[];
        templates: { id: string; region: string; deleted: boolean }[];
        disabledForwardRules: { name: string; region: string }[];
      };
    };
    assert.deepEqual(
      status.drill.experiments.map((e) => [e.id, e.region, e.stopped]),
      [[leftover, WEST, true]],
    );
    assert.match(await experimentStatus(WEST, leftover), /^stopp(ing|ed)$/);
    assert.equal(status.drill.templates.length, 1, 'the killed drill left its template');
    assert.equal(status.drill.templates[0]?.deleted, false, 'status deletes nothing');
    assert.deepEqual(status.drill.disabledForwardRules, [{ name: FORWARD, region: WEST }]);
    const rule = status.resources.find((r) => r.id === `event-rule:${WEST}:forward`);
    assert.match(rule?.drift?.reason ?? '', /state is DISABLED \(a killed drill --events leaves it so\)/);

    // Told again in words (the experiment is stopped now: no longer listed).
    const human = await ok('status', '--stack', STACK);
    assert.match(
      human.stdout,
      new RegExp(`drill: forwarding rule ${FORWARD} in ${WEST} was left DISABLED by a killed drill --events`),
    );
    assert.match(
      human.stdout,
      /drill: experiment template \S+ in us-west-2 \(a running drill's, or a killed one's: down deletes it\)/,
    );
    assert.doesNotMatch(human.stdout, /orphaned: fis:/, "FIS's resources are not listed as leaks");

    assert.equal(await forwardState(WEST), 'DISABLED');
    await ok('up', '--stack', STACK);
    assert.equal(await forwardState(WEST), 'ENABLED', 'up converged the rule back');
  });

  it('leaves its experiment running (and its rule disabled); the next drill reports and undoes both', async () => {
    const leftover = await killMidDrill(WEST, '--events');
    const next = await drill(EAST, '--rate', '10');
    assert.deepEqual(
      next.stoppedLeftovers.map((e) => e.id),
      [leftover],
    );
    assert.deepEqual(next.enabledLeftoverRules, [{ name: FORWARD, region: WEST }]);
    assert.match(await experimentStatus(WEST, leftover), /^stopp(ing|ed)$/);
    assert.equal(await forwardState(WEST), 'ENABLED');
  });

  // Last: the stack is gone after it.
  it("down stops its experiment before deleting anything, and deletes the drills' templates", async () => {
    const leftover = await killMidDrill(EAST);
    const before = cloud.cloud.requests().length;
    const run = await ok('down', '--yes', '--stack', STACK, '--json');
    const result = JSON.parse(run.stdout).result as {
      drill: { experiments: { id: string; stopped: boolean }[]; templates: { deleted: boolean }[] };
    };
    assert.deepEqual(
      result.drill.experiments.map((e) => [e.id, e.stopped]),
      [[leftover, true]],
    );
    assert.ok(
      result.drill.templates.length >= 2,
      "the killed drills' templates (this one and the earlier ones)",
    );
    assert.ok(result.drill.templates.every((t) => t.deleted));
    const calls = cloud.cloud.requests().slice(before);
    const stop = calls.findIndex((c) => c.service === 'fis' && c.operation === 'StopExperiment');
    const firstDelete = calls.findIndex((c) => c.service !== 'fis' && /^(Delete|Remove)/.test(c.operation));
    assert.ok(stop >= 0 && firstDelete > stop, 'the experiment was stopped before anything was deleted');
    assert.match(await experimentStatus(EAST, leftover), /^stopp(ing|ed)$/);
    // The drills' experiments stay in FIS's history, tagged: they do not make a ghost of the stack.
    const stacks = JSON.parse((await ok('stacks', '--json')).stdout).result.stacks as { stack: string }[];
    assert.deepEqual(
      stacks.filter((s) => s.stack === STACK),
      [],
    );
    for (const region of [EAST, WEST]) {
      const fis = client(FisClient, region);
      const { experiments = [] } = await fis.send(new ListExperimentsCommand({}));
      assert.deepEqual(
        experiments.filter((e) => e.tags?.['dsqlctl:stack'] === STACK && e.state?.status === 'running'),
        [],
        `no experiment of the stack running in ${region}`,
      );
      const { experimentTemplates = [] } = await fis.send(new ListExperimentTemplatesCommand({}));
      assert.deepEqual(
        experimentTemplates.filter((t) => t.tags?.['dsqlctl:stack'] === STACK),
        [],
        `no template of the stack left in ${region}`,
      );
    }
  });
});

function cli2(...args: [...string[], (child: ChildProcess) => void]): Promise<CliResult> {
  const onSpawn = args.pop() as (child: ChildProcess) => void;
  return runCli(args as string[], cloud.env, { onSpawn });
}
