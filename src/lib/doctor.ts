/**
 * `dsqlctl doctor`: read-only checks that the machine, the credentials and the operator's permissions
 * can run dsqlctl on a stack. Each check is one function of DOCTOR_CHECKS, run in order; add a check by
 * adding a function. The first says where each setting came from (flag, environment, config file, default).
 * A failed check carries the exit code of its cause: 3 for credentials and permissions, 1 otherwise.
 */
import type { SimulatePrincipalPolicyCommandOutput } from '@aws-sdk/client-iam';
import type { AwsClients } from './aws-clients.js';
import type { ResolvedSettings, SettingSource } from './config-file.js';
import { ExitCode, type ExitCodeValue } from './errors.js';
import { operatorPolicy } from './operator-policy.js';
import { regionSetOf } from './regions.js';
import { type Topology, validateTopology } from './stack.js';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  /** What was found (the account, the region set, the missing actions). */
  detail: string;
  /** What to do when it failed. */
  advice?: string;
  /** The failed check's exit code (ExitCode.auth for credentials and permissions). */
  exitCode?: ExitCodeValue;
  /** The permissions check: each action the operator lacks, on which resources. */
  missing?: { action: string; resources: string[] }[];
}

export interface DoctorContext {
  stack: string;
  topology: Topology;
  /** Where the topology came from: the deployed stack's tags, or the flags and defaults. */
  topologySource: 'stack' | 'flags';
  clients: AwsClients;
  /** Each setting's value and where it came from (BaseCommand.resolvedSettings). */
  settings: ResolvedSettings;
  /** The caller (sts:GetCallerIdentity), once the credentials check has run; undefined if it failed. */
  caller?: { account: string; arn: string };
}

type Check = (ctx: DoctorContext) => Promise<DoctorCheck>;

const MIN_NODE_MAJOR = 22;

const failed = (
  name: string,
  detail: string,
  advice: string,
  exitCode: ExitCodeValue = ExitCode.unexpected,
) => ({
  name,
  ok: false,
  detail,
  advice,
  exitCode,
});

const errorText = (error: unknown) => `${(error as Error).name}: ${(error as Error).message}`;
const isDenied = (error: unknown) =>
  /AccessDenied|UnrecognizedClient|InvalidClientTokenId|ExpiredToken|InvalidSignature|SignatureDoesNotMatch/.test(
    (error as Error).name ?? '',
  );

const sourceText = (source: SettingSource) =>
  source.from === 'env'
    ? `env ${source.variable}`
    : source.from === 'file'
      ? `file ${source.path}`
      : source.from;

/** Not a test: what the other checks ran with, so a value from a forgotten config file is visible. */
async function settings(ctx: DoctorContext): Promise<DoctorCheck> {
  const lines = Object.entries(ctx.settings).map(
    ([key, setting]) => `${key}=${setting.value ?? '(unset)'} (${sourceText(setting.source)})`,
  );
  return { name: 'Settings', ok: true, detail: lines.length > 0 ? lines.join(', ') : 'none' };
}

async function nodeVersion(): Promise<DoctorCheck> {
  const major = Number(process.versions.node.split('.')[0]);
  return major >= MIN_NODE_MAJOR
    ? { name: 'Node.js', ok: true, detail: `v${process.versions.node}` }
    : failed('Node.js', `v${process.versions.node}`, `Install Node.js ${MIN_NODE_MAJOR} or newer.`);
}

async function credentials(ctx: DoctorContext): Promise<DoctorCheck> {
  const { GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  try {
    const identity = await ctx.clients.sts().send(new GetCallerIdentityCommand({}));
    ctx.caller = { account: identity.Account ?? '', arn: identity.Arn ?? '' };
    return { name: 'Credentials', ok: true, detail: `account ${ctx.caller.account} as ${ctx.caller.arn}` };
  } catch (error) {
    return failed(
      'Credentials',
      errorText(error),
      'Configure credentials (aws configure / aws sso login, or --profile), or use --target local.',
      ExitCode.auth,
    );
  }
}

/** One cheap read per region of the topology (the witness too): dsql ListClusters. */
async function reachability(ctx: DoctorContext): Promise<DoctorCheck> {
  const { ListClustersCommand } = await import('@aws-sdk/client-dsql');
  const regions = [...ctx.topology.regions, ...(ctx.topology.witness ? [ctx.topology.witness] : [])];
  const problems = (
    await Promise.all(
      regions.map(async (region) => {
        try {
          await ctx.clients.dsql(region).send(new ListClustersCommand({ maxResults: 1 }));
          return undefined;
        } catch (error) {
          return { region, error };
        }
      }),
    )
  ).filter((p) => p !== undefined);
  if (problems.length === 0) return { name: 'Regions', ok: true, detail: `${regions.join(', ')} answer` };
  const denied = problems.some((p) => isDenied(p.error));
  return failed(
    'Regions',
    problems.map((p) => `${p.region}: ${errorText(p.error)}`).join('; '),
    denied
      ? "Add dsql:ListClusters to the operator's policy (`dsqlctl iam policy` prints it)."
      : 'Check the network path to those regions (proxy, VPC endpoints) and that DSQL is offered there.',
    denied ? ExitCode.auth : ExitCode.unexpected,
  );
}

async function regionSet(ctx: DoctorContext): Promise<DoctorCheck> {
  try {
    const topology = validateTopology(ctx.topology.regions, ctx.topology.witness);
    const set = regionSetOf(topology.regions[0] ?? '');
    const witness = topology.witness ? `, witness ${topology.witness}` : '';
    return {
      name: 'DSQL region set',
      ok: true,
      detail: `${topology.regions.join(' + ')}${witness}: ${set} (from the ${ctx.topologySource === 'stack' ? 'deployed stack' : 'flags'})`,
    };
  } catch (error) {
    return failed(
      'DSQL region set',
      (error as Error).message,
      'Choose regions and a witness of one DSQL region set.',
    );
  }
}

/**
 * The ARN IAM simulates for the caller: a session stands for its role. The session ARN leaves out the
 * role's path (SSO roles live under /aws-reserved/…), so GetRole supplies the full ARN when allowed.
 */
async function policySourceArn(ctx: DoctorContext, callerArn: string): Promise<string> {
  const session = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/.*$/.exec(callerArn);
  if (!session) return callerArn;
  const { GetRoleCommand } = await import('@aws-sdk/client-iam');
  const role = await ctx.clients
    .iam()
    .send(new GetRoleCommand({ RoleName: session[2] }))
    .catch(() => undefined);
  return role?.Role?.Arn ?? `arn:aws:iam::${session[1]}:role/${session[2]}`;
}

/** The condition keys the statement's condition names, as the simulator's context entries. */
function contextEntries(statement: { Condition?: Record<string, Record<string, string | string[]>> }) {
  return Object.values(statement.Condition ?? {}).flatMap((keys) =>
    Object.entries(keys).map(([key, values]) => ({
      ContextKeyName: key,
      ContextKeyValues: Array.isArray(values) ? values : [values],
      ContextKeyType: 'string' as const,
    })),
  );
}

/** The operator's permissions against `dsqlctl iam policy`, one iam:SimulatePrincipalPolicy per statement. */
async function permissions(ctx: DoctorContext): Promise<DoctorCheck> {
  const name = 'Permissions';
  if (!ctx.caller)
    return failed(name, 'not checked: no credentials', 'Fix the credentials first.', ExitCode.auth);
  if (/^arn:aws:iam::\d{12}:root$/.test(ctx.caller.arn)) {
    return { name, ok: true, detail: 'the account root may call every action (unless an SCP denies it)' };
  }
  const { SimulatePrincipalPolicyCommand } = await import('@aws-sdk/client-iam');
  const source = await policySourceArn(ctx, ctx.caller.arn);
  const document = operatorPolicy({ stack: ctx.stack, topology: ctx.topology, account: ctx.caller.account });
  const missing: { action: string; resources: string[] }[] = [];
  try {
    for (const statement of document.Statement) {
      const scoped = !statement.Resource.includes('*');
      let marker: string | undefined;
      do {
        const page: SimulatePrincipalPolicyCommandOutput = await ctx.clients.iam().send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: source,
            ActionNames: statement.Action,
            ...(scoped ? { ResourceArns: statement.Resource } : {}),
            ContextEntries: contextEntries(statement),
            ...(marker ? { Marker: marker } : {}),
          }),
        );
        for (const result of page.EvaluationResults ?? []) {
          if (result.EvalDecision === 'allowed') continue;
          const denied = result.ResourceSpecificResults?.filter((r) => r.EvalResourceDecision !== 'allowed');
          missing.push({
            action: result.EvalActionName ?? '',
            resources: denied?.map((r) => r.EvalResourceName ?? '') ?? statement.Resource,
          });
        }
        marker = page.IsTruncated ? page.Marker : undefined;
      } while (marker);
    }
  } catch (error) {
    return failed(
      name,
      `cannot simulate ${source}: ${errorText(error)}`,
      `Add iam:SimulatePrincipalPolicy on ${source} to your own policy so doctor can check the rest.`,
      ExitCode.auth,
    );
  }
  const statements = document.Statement.length;
  if (missing.length === 0)
    return { name, ok: true, detail: `${source} holds every action of the ${statements} statements` };
  return {
    ...failed(
      name,
      `${source} lacks ${missing.map((m) => m.action).join(', ')}`,
      "Add them to the operator's policy: `dsqlctl iam policy` prints the whole document.",
      ExitCode.auth,
    ),
    missing,
  };
}

/** The checks, in order (later ones read what earlier ones found: the caller). */
export const DOCTOR_CHECKS: readonly Check[] = [
  settings,
  nodeVersion,
  credentials,
  reachability,
  regionSet,
  permissions,
];

export async function runDoctor(ctx: DoctorContext): Promise<DoctorCheck[]> {
  const results: DoctorCheck[] = [];
  for (const check of DOCTOR_CHECKS) results.push(await check(ctx));
  return results;
}
