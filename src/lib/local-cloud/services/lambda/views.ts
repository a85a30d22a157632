/** What Lambda answers about a function: its FunctionConfiguration. */
import { type FunctionRecord, stateOf } from './model.js';

function lambdaTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** The FunctionConfiguration Lambda answers. */
export function configurationView(fn: FunctionRecord, now: number): Record<string, unknown> {
  const c = fn.config;
  const { pending, updating } = stateOf(fn, now);
  return {
    FunctionName: fn.name,
    FunctionArn: fn.arn,
    Runtime: c.runtime,
    Role: c.role,
    Handler: c.handler,
    CodeSize: c.codeSize,
    Description: c.description,
    Timeout: c.timeout,
    MemorySize: c.memorySize,
    LastModified: lambdaTime(c.lastModified),
    CodeSha256: c.codeSha256,
    Version: '$LATEST',
    ...(Object.keys(c.variables).length > 0 ? { Environment: { Variables: c.variables } } : {}),
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: c.revisionId,
    State: pending ? 'Pending' : 'Active',
    ...(pending ? { StateReason: 'The function is being created.', StateReasonCode: 'Creating' } : {}),
    ...(pending
      ? {}
      : updating
        ? // LastUpdateStatusReasonCode's enum has no value for an update in progress: it is absent.
          { LastUpdateStatus: 'InProgress', LastUpdateStatusReason: 'The function is being updated.' }
        : { LastUpdateStatus: 'Successful' }),
    PackageType: 'Zip',
    Architectures: ['x86_64'],
    EphemeralStorage: { Size: 512 },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${fn.name}` },
  };
}

/** The FunctionConfiguration ListFunctions answers: without State and LastUpdateStatus (only GetFunction has them). */
export function listedView(fn: FunctionRecord, now: number): Record<string, unknown> {
  const {
    State: _state,
    StateReason: _reason,
    StateReasonCode: _code,
    LastUpdateStatus: _update,
    LastUpdateStatusReason: _updateReason,
    ...listed
  } = configurationView(fn, now);
  return listed;
}
