/**
 * The transaction function `<stack>-txn` in each region, and the permission letting the region's
 * deliver rule invoke it. Code is uploaded only when the deployed CodeSha256 differs, configuration
 * only when it differs; IAM propagation and update-in-progress conflicts are retried, bounded and shown.
 */
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  type FunctionConfiguration,
  GetFunctionCommand,
  GetPolicyCommand,
  type LambdaClient,
  type Runtime as LambdaRuntime,
  ListTagsCommand,
  RemovePermissionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { FUNCTION_HANDLER, FUNCTION_RUNTIME } from '../bundle.js';
import { isAwsError } from '../errors.js';
import { FunctionEnv } from '../function-contract.js';
import { ids, ownershipTags, peerOf, ruleArn } from './desired.js';
import { foreignDetail, isOurs, ownershipError, updateOrNoop } from './support.js';
import type { Observation, ResourceModule, ResourceRef, Runtime } from './types.js';
import { retryWhile, sdkWait, waitLimitSeconds } from './wait.js';

const FUNCTION_TIMEOUT_SECONDS = 30;
const FUNCTION_MEMORY_MB = 512;

interface ObservedFunction {
  configuration: FunctionConfiguration;
}

/** The function's environment, or undefined while its region's cluster does not exist yet. */
function functionEnvironment(rt: Runtime, region: string): Record<string, string> | undefined {
  const settings = rt.databaseSettings.get(region);
  if (!settings) return undefined;
  const peer = peerOf(rt.topology, region);
  return {
    [FunctionEnv.endpoint]: settings.host,
    [FunctionEnv.port]: String(settings.port),
    [FunctionEnv.database]: settings.database,
    [FunctionEnv.user]: rt.names.databaseRole,
    [FunctionEnv.tlsMode]: settings.ssl ? 'require' : 'disable',
    [FunctionEnv.busName]: rt.names.bus,
    // The receiver records only its peer's events; a one-region stack has no peer and records none.
    ...(peer ? { [FunctionEnv.peerRegion]: peer } : {}),
  };
}

function desiredConfig(rt: Runtime, ref: ResourceRef) {
  return {
    Runtime: FUNCTION_RUNTIME as LambdaRuntime,
    Handler: FUNCTION_HANDLER,
    Role: rt.facts.get(ids.functionRole)?.arn,
    Timeout: FUNCTION_TIMEOUT_SECONDS,
    MemorySize: FUNCTION_MEMORY_MB,
    Variables: functionEnvironment(rt, ref.region),
  };
}

function configDifferences(rt: Runtime, ref: ResourceRef, c: FunctionConfiguration): string[] {
  const want = desiredConfig(rt, ref);
  const out: string[] = [];
  for (const key of ['Runtime', 'Handler', 'Role', 'Timeout', 'MemorySize'] as const) {
    if (want[key] === undefined) out.push(`${key.toLowerCase()} will name a resource about to be created`);
    else if (c[key] !== want[key]) out.push(`${key.toLowerCase()} differs`);
  }
  if (!want.Variables) out.push('environment will name the cluster about to be created');
  else if (!sameRecord(c.Environment?.Variables ?? {}, want.Variables)) out.push('environment differs');
  return out;
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function codeDiffers(rt: Runtime, c: FunctionConfiguration): boolean {
  return c.CodeSha256 !== requireCode(rt).sha256;
}

function requireCode(rt: Runtime) {
  if (!rt.functionCode) throw new Error('The function code was not loaded.');
  return rt.functionCode;
}

const iamPropagation = (error: unknown) =>
  isAwsError(error, 'InvalidParameterValueException') && /assume/i.test((error as Error).message)
    ? 'the new IAM role is not assumable by Lambda yet (IAM propagation)'
    : undefined;
const updateInProgress = (error: unknown) =>
  isAwsError(error, 'ResourceConflictException')
    ? 'another update of the function is in progress'
    : undefined;

/** One Lambda call, retried (bounded, shown) while another update of the function is in progress. */
function retryingConflicts<T>(
  rt: Runtime,
  ref: ResourceRef,
  what: string,
  work: () => Promise<T>,
): Promise<T> {
  return retryWhile({
    what,
    limitSeconds: waitLimitSeconds('conflict'),
    work,
    retryable: updateInProgress,
    onProgress: (m) => rt.progress(ref.id, m),
  });
}

/** A delete, retried like any call: true when it deleted, false when the thing was already gone. */
async function deleteRetryingConflicts(
  rt: Runtime,
  ref: ResourceRef,
  what: string,
  work: () => Promise<unknown>,
): Promise<boolean> {
  try {
    await retryingConflicts(rt, ref, what, work);
    return true;
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) return false;
    throw error;
  }
}

function waiterConfig(client: LambdaClient) {
  return { client, maxWaitTime: waitLimitSeconds('function'), minDelay: 1, maxDelay: 5 };
}

async function waitUpdated(rt: Runtime, ref: ResourceRef) {
  const lambda = rt.clients.lambda(ref.region);
  rt.progress(ref.id, 'waiting for LastUpdateStatus Successful');
  await sdkWait(
    `function ${ref.name} in ${ref.region} to finish updating`,
    waitLimitSeconds('function'),
    () => waitUntilFunctionUpdatedV2(waiterConfig(lambda), { FunctionName: ref.name }),
  );
}

export const lambdaFunction: ResourceModule<ObservedFunction> = {
  async observe(rt, ref) {
    try {
      const lambda = rt.clients.lambda(ref.region);
      const fn = await lambda.send(new GetFunctionCommand({ FunctionName: ref.name }));
      const configuration = fn.Configuration ?? {};
      // GetFunction leaves Tags out, silently, unless the caller is allowed lambda:ListTags (and when
      // there are none): ask ListTags then, so a missing permission is an AccessDenied error, not
      // "this function is not ours".
      const tags =
        fn.Tags ?? (await lambda.send(new ListTagsCommand({ Resource: configuration.FunctionArn }))).Tags;
      if (!isOurs(tags, rt.stack)) {
        return {
          state: 'foreign',
          detail: foreignDetail(`Lambda function ${ref.name} in ${ref.region}`, rt.stack, tags ?? {}),
        };
      }
      const status = `${configuration.State ?? 'unknown'}, last update ${configuration.LastUpdateStatus ?? 'none'}`;
      return {
        state: 'present',
        value: { configuration },
        facts: { arn: configuration.FunctionArn },
        status,
      };
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return { state: 'absent' };
      throw error;
    }
  },

  diff(rt, ref, observed) {
    if (observed.state !== 'present') return { action: 'create', reason: 'absent' };
    const c = observed.value.configuration;
    const diffs = [
      ...(codeDiffers(rt, c) ? ['code sha differs'] : []),
      ...configDifferences(rt, ref, c),
      ...(c.LastUpdateStatus === 'InProgress' ? ['an update is in progress'] : []),
      ...(c.State === 'Pending' ? ['still Pending'] : []),
    ];
    return updateOrNoop(diffs);
  },

  async converge(rt, ref, observed) {
    const lambda = rt.clients.lambda(ref.region);
    const code = requireCode(rt);
    const want = desiredConfig(rt, ref);
    if (!want.Role || !want.Variables)
      throw new Error(`Cannot configure ${ref.name}: its role or cluster is unknown.`);
    // What CreateFunction and UpdateFunctionConfiguration both set.
    const settings = {
      Runtime: want.Runtime,
      Handler: want.Handler,
      Role: want.Role,
      Timeout: want.Timeout,
      MemorySize: want.MemorySize,
      Environment: { Variables: want.Variables },
    };
    let current: Observation<ObservedFunction> = observed;
    if (current.state === 'absent') {
      try {
        const created = await retryWhile({
          what: `creating function ${ref.name} in ${ref.region}`,
          limitSeconds: waitLimitSeconds('iamPropagation'),
          work: () =>
            lambda.send(
              new CreateFunctionCommand({
                FunctionName: ref.name,
                ...settings,
                Code: { ZipFile: code.zip },
                Tags: ownershipTags(rt.stack),
                Description: `dsqlctl stack ${rt.stack}: transactions on the ${ref.region} cluster`,
              }),
            ),
          retryable: iamPropagation,
          onProgress: (m) => rt.progress(ref.id, m),
        });
        rt.progress(ref.id, 'waiting for State Active');
        await sdkWait(
          `function ${ref.name} in ${ref.region} to become Active`,
          waitLimitSeconds('function'),
          () => waitUntilFunctionActiveV2(waiterConfig(lambda), { FunctionName: ref.name }),
        );
        return { arn: created.FunctionArn };
      } catch (error) {
        // A previous, interrupted run created it: adopt it if it is ours, then update it.
        if (!isAwsError(error, 'ResourceConflictException')) throw error;
        current = await lambdaFunction.observe(rt, ref);
      }
    }
    if (current.state === 'foreign') throw ownershipError(ref, current.detail, rt.stack);
    if (current.state !== 'present') throw new Error(`Function ${ref.name} vanished while being converged.`);
    let configuration = current.value.configuration;
    if (configuration.State === 'Pending' || configuration.LastUpdateStatus === 'InProgress') {
      await waitUpdated(rt, ref);
    }
    if (codeDiffers(rt, configuration)) {
      rt.progress(ref.id, 'uploading code (CodeSha256 differs)');
      configuration = await retryingConflicts(
        rt,
        ref,
        `updating the code of ${ref.name} in ${ref.region}`,
        () => lambda.send(new UpdateFunctionCodeCommand({ FunctionName: ref.name, ZipFile: code.zip })),
      );
      await waitUpdated(rt, ref);
    }
    if (configDifferences(rt, ref, configuration).length > 0) {
      rt.progress(ref.id, 'updating configuration');
      configuration = await retryWhile({
        what: `updating the configuration of ${ref.name} in ${ref.region}`,
        limitSeconds: waitLimitSeconds('conflict'),
        work: () =>
          lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: ref.name, ...settings })),
        retryable: (error) => updateInProgress(error) ?? iamPropagation(error),
        onProgress: (m) => rt.progress(ref.id, m),
      });
      await waitUpdated(rt, ref);
    }
    return { arn: configuration.FunctionArn };
  },

  async remove(rt, ref, observed) {
    if (observed.state !== 'present') return false;
    return deleteRetryingConflicts(rt, ref, `deleting function ${ref.name} in ${ref.region}`, () =>
      rt.clients.lambda(ref.region).send(new DeleteFunctionCommand({ FunctionName: ref.name })),
    );
  },
};

// ── permission for the deliver rule ─────────────────────────────────────────────────────────────

const EVENTS_PRINCIPAL = 'events.amazonaws.com';

function statementId(rt: Runtime): string {
  return `${rt.names.deliverRule}-invoke`;
}

interface PolicyStatement {
  Sid?: string;
  Principal?: { Service?: string };
  Condition?: { ArnLike?: Record<string, string> };
}

function functionNameOf(rt: Runtime): string {
  return rt.names.functionName;
}

export const lambdaPermission: ResourceModule<{ sourceArn?: string; principal?: string }> = {
  async observe(rt, ref) {
    try {
      const { Policy } = await rt.clients
        .lambda(ref.region)
        .send(new GetPolicyCommand({ FunctionName: functionNameOf(rt) }));
      const statements: PolicyStatement[] = Policy ? (JSON.parse(Policy).Statement ?? []) : [];
      const statement = statements.find((s) => s.Sid === statementId(rt));
      if (!statement) return { state: 'absent' };
      const sourceArn = statement.Condition?.ArnLike?.['AWS:SourceArn'];
      return {
        state: 'present',
        value: { sourceArn, principal: statement.Principal?.Service },
        facts: {},
        status: 'exists',
      };
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return { state: 'absent' };
      throw error;
    }
  },

  diff(rt, ref, observed) {
    if (observed.state !== 'present') return { action: 'create', reason: 'absent' };
    const want = ruleArn(rt, ref.region, rt.names.deliverRule);
    return observed.value.sourceArn === want && observed.value.principal === EVENTS_PRINCIPAL
      ? { action: 'noop', reason: 'up to date' }
      : { action: 'update', reason: 'source rule or principal differs' };
  },

  async converge(rt, ref, observed) {
    if (observed.state === 'foreign') throw ownershipError(ref, observed.detail, rt.stack);
    const lambda = rt.clients.lambda(ref.region);
    const sourceArn = ruleArn(rt, ref.region, rt.names.deliverRule);
    if (observed.state === 'present') {
      if (observed.value.sourceArn === sourceArn && observed.value.principal === EVENTS_PRINCIPAL) return {};
      await lambdaPermission.remove(rt, ref, observed);
    }
    await retryingConflicts(
      rt,
      ref,
      `allowing ${rt.names.deliverRule} to invoke ${functionNameOf(rt)} in ${ref.region}`,
      () =>
        lambda
          .send(
            new AddPermissionCommand({
              FunctionName: functionNameOf(rt),
              StatementId: statementId(rt),
              Action: 'lambda:InvokeFunction',
              Principal: EVENTS_PRINCIPAL,
              SourceArn: sourceArn,
            }),
          )
          .catch(async (error: unknown) => {
            // Same statement id already there (an interrupted run added it just now): that is the goal.
            if (
              isAwsError(error, 'ResourceConflictException') &&
              /already exists/i.test((error as Error).message)
            ) {
              return undefined;
            }
            throw error;
          }),
    );
    return {};
  },

  async remove(rt, ref, observed) {
    if (observed.state !== 'present') return false;
    return deleteRetryingConflicts(
      rt,
      ref,
      `removing the invoke permission of ${functionNameOf(rt)} in ${ref.region}`,
      () =>
        rt.clients
          .lambda(ref.region)
          .send(
            new RemovePermissionCommand({ FunctionName: functionNameOf(rt), StatementId: statementId(rt) }),
          ),
    );
  },
};
