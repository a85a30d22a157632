/**
 * The floor under a command that observes a stack: a bare script, bundled as the CLI is and run with
 * Node's compile cache as the CLI runs, that makes one read with each SDK client the command used (one
 * client per service and region, as the command builds them) against the same local cloud, all at once.
 * No oclif, no plan, no database: what loading and first use of those SDK clients cost by themselves.
 * A second call on a warm client costs little next to a client's first (measured: dropping 8 of
 * status's 50 calls changed nothing), so this floor is most of what such a command can cost.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { LocalCloudAccess } from '../../src/lib/local-cloud/index.js';
import { CLI_BUNDLE_OPTIONS } from './cli-bundle-options.mjs';
import { wallMs } from './interleaved.js';

const root = new URL('../..', import.meta.url).pathname;

/** A cheap read per service the local cloud serves (the request log's service names), as JS source. */
const READS: Record<string, { module: string; client: string; command: string; input: string }> = {
  dsql: { module: 'client-dsql', client: 'DSQLClient', command: 'ListClustersCommand', input: '{}' },
  iam: { module: 'client-iam', client: 'IAMClient', command: 'ListRolesCommand', input: '{}' },
  lambda: { module: 'client-lambda', client: 'LambdaClient', command: 'ListFunctionsCommand', input: '{}' },
  events: {
    module: 'client-eventbridge',
    client: 'EventBridgeClient',
    command: 'DescribeEventBusCommand',
    input: '{}',
  },
  logs: {
    module: 'client-cloudwatch-logs',
    client: 'CloudWatchLogsClient',
    command: 'DescribeLogGroupsCommand',
    input: '{}',
  },
  tagging: {
    module: 'client-resource-groups-tagging-api',
    client: 'ResourceGroupsTaggingAPIClient',
    command: 'GetResourcesCommand',
    input: '{}',
  },
  fis: { module: 'client-fis', client: 'FisClient', command: 'ListExperimentsCommand', input: '{}' },
  sts: { module: 'client-sts', client: 'STSClient', command: 'GetCallerIdentityCommand', input: '{}' },
};

export interface SdkFloor {
  /** Wall ms of one run of the floor script (its first run fills its compile cache). */
  run(): number;
  /** What the script calls, e.g. "dsql×2, events×2, iam×1". */
  describe: string;
  remove(): void;
}

/** Builds the floor script for the (service, region) pairs a command's requests used. */
export async function sdkFloor(
  cloud: LocalCloudAccess,
  calls: readonly { service: string; region: string }[],
): Promise<SdkFloor> {
  const pairs = [...new Set(calls.map((c) => `${c.service} ${c.region}`))].map((p) => p.split(' '));
  const unknown = pairs.filter(([service]) => !READS[service as string]).map(([s]) => s);
  if (unknown.length > 0) throw new Error(`the SDK floor has no read for ${unknown.join(', ')}`);
  const services = [...new Set(pairs.map(([service]) => service as string))];
  const imports = services.map((s) => {
    const read = READS[s] as (typeof READS)[string];
    return `import { ${read.client}, ${read.command} } from '@aws-sdk/${read.module}';`;
  });
  const sends = pairs.map(([service, region]) => {
    const read = READS[service as string] as (typeof READS)[string];
    return `new ${read.client}(config(${JSON.stringify(region)})).send(new ${read.command}(${read.input}))`;
  });
  const source = [
    "import module from 'node:module';",
    ...imports,
    'const { endpoint, credentials, cache } = JSON.parse(process.env.SDK_FLOOR);',
    'module.enableCompileCache?.(cache);',
    'const config = (region) => ({ region, endpoint, credentials, maxAttempts: 1 });',
    `await Promise.all([${sends.join(', ')}]);`,
  ].join('\n');

  const dir = mkdtempSync(join(tmpdir(), 'dsqlctl-bench-sdk-floor-'));
  writeFileSync(join(dir, 'floor.mjs'), source);
  // As scripts/bundle-cli.mjs bundles the CLI (node:http through require() included).
  await build({
    ...CLI_BUNDLE_OPTIONS,
    entryPoints: [join(dir, 'floor.mjs')],
    outfile: join(dir, 'floor.bundle.mjs'),
    nodePaths: [join(root, 'node_modules')],
  });
  const env = {
    ...process.env,
    SDK_FLOOR: JSON.stringify({
      endpoint: cloud.endpoint,
      credentials: cloud.credentials,
      cache: join(dir, 'cache'),
    }),
  };
  const run = () => wallMs([join(dir, 'floor.bundle.mjs')], { env });
  const counts = new Map<string, number>();
  for (const [service] of pairs) counts.set(service as string, (counts.get(service as string) ?? 0) + 1);
  return {
    run,
    describe: [...counts].map(([s, n]) => `${s}×${n}`).join(', '),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
