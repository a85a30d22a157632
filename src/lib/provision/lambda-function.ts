/**
 * The transaction function `<stack>-txn` in each region (the permission letting the deliver rule
 * invoke it is lambda-permission.ts). Code is uploaded only when the deployed CodeSha256 differs,
 * configuration only when it differs; IAM propagation and update-in-progress conflicts are retried,
 * bounded and shown.
 */

import { GetRoleCommand } from '@aws-sdk/client-iam';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  type FunctionConfiguration,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  type Runtime as LambdaRuntime,
  ListTagsCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { FUNCTION_HANDLER, FUNCTION_RUNTIME } from '../bundle.js';
import { isAwsError } from '../errors.js';
import { FunctionEnv } from '../function-contract.js';
import { isOurs } from '../stack.js';
import { ids, ownershipTags, peerOf } from './desired.js';
import { foreignDetail, ownershipError, updateOrNoop } from './support.js';
import type { Observation, ProvisionContext, ResourceModule, ResourceRef } from './types.js';
import { goneWhileWaiting, pollUntil, retryWhile, waitLimitSeconds } from './wait.js';

const FUNCTION_TIMEOUT_SECONDS = 30;
const FUNCTION_MEMORY_MB = 512;

interface ObservedFunction {
  configuration: FunctionConfiguration;
}

/** The function's environment, or undefined while its region's cluster does not exist yet. */
function functionEnvironment(ctx: ProvisionContext, region: string): Record<string, string> | undefined {
  const settings = ctx.databaseSettings.get(region);
  if (!settings) return undefined;
  const peer = peerOf(ctx.topology, region);
  return {
    [FunctionEnv.endpoint]: settings.host,
    [FunctionEnv.port]: String(settings.port),
    [FunctionEnv.database]: settings.database,
    [FunctionEnv.user]: ctx.names.databaseRole,
    [FunctionEnv.busName]: ctx.names.bus,
    // The receiver records only its peer's events; a one-region stack has no peer and records none.
    ...(peer ? { [FunctionEnv.peerRegion]: peer } : {}),
  };
}

function desiredConfig(ctx: ProvisionContext, ref: ResourceRef) {
  return {
    Runtime: FUNCTION_RUNTIME as LambdaRuntime,
    Handler: FUNCTION_HANDLER,
    Role: ctx.facts.get(ids.functionRole)?.arn,
    Timeout: FUNCTION_TIMEOUT_SECONDS,
    MemorySize: FUNCTION_MEMORY_MB,
    Variables: functionEnvironment(ctx, ref.region),
  };
}

function configDifferences(ctx: ProvisionContext, ref: ResourceRef, c: FunctionConfiguration): string[] {
  const want = desiredConfig(ctx, ref);
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

function codeDiffers(ctx: ProvisionContext, c: FunctionConfiguration): boolean {
  return c.CodeSha256 !== requireCode(ctx).sha256;
}

function requireCode(ctx: ProvisionContext) {
  if (!ctx.functionCode) throw new Error('The function code was not loaded.');
  return ctx.functionCode;
}

async function assertRoleExists(ctx: ProvisionContext): Promise<void> {
  try {
    await ctx.clients.iam().send(new GetRoleCommand({ RoleName: ctx.names.functionRole }));
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntityException', 'NoSuchEntity')) {
      throw goneWhileWaiting(`IAM role ${ctx.names.functionRole}`, error);
    }
    throw error;
  }
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
export function retryingConflicts<T>(
  ctx: ProvisionContext,
  ref: ResourceRef,
  what: string,
  work: () => Promise<T>,
): Promise<T> {
  return retryWhile({
    what,
    limitSeconds: waitLimitSeconds('conflict'),
    work,
    retryable: updateInProgress,
    onProgress: (m) => ctx.progress(ref.id, m),
  });
}

/** A delete, retried like any call: true when it deleted, false when the thing was already gone. */
export async function deleteRetryingConflicts(
  ctx: ProvisionContext,
  ref: ResourceRef,
  what: string,
  work: () => Promise<unknown>,
): Promise<boolean> {
  try {
    await retryingConflicts(ctx, ref, what, work);
    return true;
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) return false;
    throw error;
  }
}

/**
 * Polls the function's configuration until `done`, instead of Lambda's SDK waiters: those treat every
 * error (the function deleted by a concurrent `down`, a refused connection) as "not ready yet" until
 * their limit. Here a missing function fails at once, and any other error is thrown as it is.
 */
async function waitForFunction(
  ctx: ProvisionContext,
  ref: ResourceRef,
  what: string,
  done: (c: FunctionConfiguration) => boolean,
): Promise<void> {
  const lambda = ctx.clients.lambda(ref.region);
  const subject = `function ${ref.name} in ${ref.region}`;
  const c = await pollUntil({
    what: `${subject} ${what}`,
    limitSeconds: waitLimitSeconds('function'),
    read: () =>
      lambda.send(new GetFunctionConfigurationCommand({ FunctionName: ref.name })).catch((error: unknown) => {
        if (isAwsError(error, 'ResourceNotFoundException')) throw goneWhileWaiting(subject, error);
        throw error;
      }),
    done: (c) => done(c) || c.State === 'Failed' || c.LastUpdateStatus === 'Failed',
    describe: (c) => `State ${c.State}, LastUpdateStatus ${c.LastUpdateStatus}`,
  });
  if (c.State === 'Failed' || c.LastUpdateStatus === 'Failed') {
    throw new Error(
      `${subject} failed: ${c.StateReason ?? c.LastUpdateStatusReason ?? 'no reason given'} (${c.StateReasonCode ?? c.LastUpdateStatusReasonCode ?? ''})`,
    );
  }
}

async function waitUpdated(ctx: ProvisionContext, ref: ResourceRef) {
  ctx.progress(ref.id, 'waiting for LastUpdateStatus Successful');
  await waitForFunction(ctx, ref, 'to finish updating', (c) => c.LastUpdateStatus === 'Successful');
}

export const lambdaFunction: ResourceModule<ObservedFunction> = {
  observePhase: 'first',
  deletedByDown: true,

  async observe(ctx, ref) {
    try {
      const lambda = ctx.clients.lambda(ref.region);
      const fn = await lambda.send(new GetFunctionCommand({ FunctionName: ref.name }));
      const configuration = fn.Configuration ?? {};
      // GetFunction leaves Tags out, silently, unless the caller is allowed lambda:ListTags (and when
      // there are none): ask ListTags then, so a missing permission is an AccessDenied error, not
      // "this function is not ours".
      const tags =
        fn.Tags ?? (await lambda.send(new ListTagsCommand({ Resource: configuration.FunctionArn }))).Tags;
      if (!isOurs(tags, ctx.stack)) {
        return {
          state: 'foreign',
          detail: foreignDetail(`Lambda function ${ref.name} in ${ref.region}`, ctx.stack, tags ?? {}),
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

  diff(ctx, ref, observed) {
    if (observed.state !== 'present') return { action: 'create', reason: 'absent' };
    const c = observed.value.configuration;
    const diffs = [
      ...(codeDiffers(ctx, c) ? ['code sha differs'] : []),
      ...configDifferences(ctx, ref, c),
      ...(c.LastUpdateStatus === 'InProgress' ? ['an update is in progress'] : []),
      ...(c.State === 'Pending' ? ['still Pending'] : []),
    ];
    return updateOrNoop(diffs);
  },

  async converge(ctx, ref, observed) {
    const lambda = ctx.clients.lambda(ref.region);
    const code = requireCode(ctx);
    const want = desiredConfig(ctx, ref);
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
                Tags: ownershipTags(ctx.stack),
                Description: `dsqlctl stack ${ctx.stack}: transactions on the ${ref.region} cluster`,
              }),
            ),
          retryable: iamPropagation,
          onProgress: (m) => {
            ctx.progress(ref.id, m);
          },
          // "Not assumable yet" is also what a role deleted meanwhile says: check it is still there.
          beforeRetry: () => assertRoleExists(ctx),
        });
        ctx.progress(ref.id, 'waiting for State Active');
        await waitForFunction(ctx, ref, 'to become Active', (c) => c.State === 'Active');
        return { arn: created.FunctionArn };
      } catch (error) {
        // A previous, interrupted run created it: adopt it if it is ours, then update it.
        if (!isAwsError(error, 'ResourceConflictException')) throw error;
        current = await lambdaFunction.observe(ctx, ref);
      }
    }
    if (current.state === 'foreign') throw ownershipError(ref, current.detail, ctx.stack);
    if (current.state !== 'present') throw new Error(`Function ${ref.name} vanished while being converged.`);
    let configuration = current.value.configuration;
    if (configuration.State === 'Pending' || configuration.LastUpdateStatus === 'InProgress') {
      await waitUpdated(ctx, ref);
    }
    if (codeDiffers(ctx, configuration)) {
      ctx.progress(ref.id, 'uploading code (CodeSha256 differs)');
      configuration = await retryingConflicts(
        ctx,
        ref,
        `updating the code of ${ref.name} in ${ref.region}`,
        () => lambda.send(new UpdateFunctionCodeCommand({ FunctionName: ref.name, ZipFile: code.zip })),
      );
      await waitUpdated(ctx, ref);
    }
    if (configDifferences(ctx, ref, configuration).length > 0) {
      ctx.progress(ref.id, 'updating configuration');
      configuration = await retryWhile({
        what: `updating the configuration of ${ref.name} in ${ref.region}`,
        limitSeconds: waitLimitSeconds('conflict'),
        work: () =>
          lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: ref.name, ...settings })),
        retryable: (error) => updateInProgress(error) ?? iamPropagation(error),
        onProgress: (m) => ctx.progress(ref.id, m),
      });
      await waitUpdated(ctx, ref);
    }
    return { arn: configuration.FunctionArn };
  },

  async remove(ctx, ref, observed) {
    if (observed.state !== 'present') return false;
    return deleteRetryingConflicts(ctx, ref, `deleting function ${ref.name} in ${ref.region}`, () =>
      ctx.clients.lambda(ref.region).send(new DeleteFunctionCommand({ FunctionName: ref.name })),
    );
  },
};
