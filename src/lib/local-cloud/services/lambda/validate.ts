/** Validation of CreateFunction/UpdateFunction* input, with Lambda's own messages and limits. */
import type { CallContext } from '../../service.js';
import { roleByArn } from '../iam/index.js';
import { BadZipError, storeCode } from './execution/code.js';
import { type FunctionRecord, invalid, lambdaError, validation } from './model.js';

const SUPPORTED_RUNTIMES = ['nodejs22.x', 'nodejs24.x'];
export const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
export const MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;
export const MAX_ASYNC_PAYLOAD = 1024 * 1024;
const MAX_ENV_BYTES = 4096;
const RESERVED_ENV = new Set([
  '_HANDLER',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);
const ROLE_NOT_ASSUMABLE = 'The role defined for the function cannot be assumed by Lambda.';

// ── validation of configuration input ──────────────────────────────────────────────────────────

export function checkRuntime(runtime: unknown): string {
  if (typeof runtime !== 'string' || !SUPPORTED_RUNTIMES.includes(runtime)) {
    throw invalid(
      `The runtime parameter of ${String(runtime)} is no longer supported for creating or updating AWS Lambda functions, or is not one the dsqlctl local cloud runs. Supported: ${SUPPORTED_RUNTIMES.join(', ')}.`,
    );
  }
  return runtime;
}

export function checkRange(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw validation(
      `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: Member must have value ${value !== undefined && Number(value) < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`}`,
    );
  }
  return value;
}

export function checkHandler(handler: unknown): string {
  if (typeof handler !== 'string' || !/^[^\s]{1,128}$/.test(handler)) {
    throw validation(
      `1 validation error detected: Value '${String(handler)}' at 'handler' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+`,
    );
  }
  return handler;
}

export function checkVariables(environment: unknown): Record<string, string> {
  const variables = ((environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {}) as Record<string, unknown>;
  const reserved = Object.keys(variables).filter((k) => RESERVED_ENV.has(k));
  if (reserved.length > 0) {
    throw invalid(
      `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
    );
  }
  for (const key of Object.keys(variables)) {
    if (!/^[a-zA-Z]\w*$/.test(key)) {
      throw validation(
        `1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]`,
      );
    }
  }
  const result = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v ?? '')]));
  if (Buffer.byteLength(JSON.stringify(result)) > MAX_ENV_BYTES) {
    throw invalid(
      'Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit.',
    );
  }
  return result;
}

/** The role must exist, trust lambda.amazonaws.com and be older than the IAM propagation window. */
export function checkRole(ctx: CallContext, role: unknown): string {
  if (typeof role !== 'string' || !/^arn:aws:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-/]+$/.test(role)) {
    throw validation(
      `1 validation error detected: Value '${String(role)}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+`,
    );
  }
  const record = roleByArn(ctx.cloud, role);
  const trusted = ctx.cloud.identity.trusts(role, {
    service: 'lambda.amazonaws.com',
    sourceAccount: ctx.accountId,
  });
  if (!record || !trusted) throw invalid(ROLE_NOT_ASSUMABLE);
  const age = ctx.cloud.now() - Date.parse(record.CreateDate);
  if (age < ctx.cloud.faults.durationMs('iam:Propagation')) throw invalid(ROLE_NOT_ASSUMABLE);
  return role;
}

export function storeZip(ctx: CallContext, zipFile: unknown) {
  if (typeof zipFile !== 'string' || zipFile.length === 0) {
    throw invalid(
      'Please provide a source for function code (ZipFile); the dsqlctl local cloud does not read S3.',
    );
  }
  try {
    return storeCode(ctx.cloud.dir, Buffer.from(zipFile, 'base64'));
  } catch (error) {
    if (error instanceof BadZipError) {
      throw invalid('Could not unzip uploaded file. Please check your file, then try to upload again.');
    }
    throw error;
  }
}

export function checkTags(tags: unknown): Record<string, string> {
  const result = (tags ?? {}) as Record<string, string>;
  for (const key of Object.keys(result)) {
    if (key.length === 0 || key.length > 128 || key.startsWith('aws:'))
      throw invalid(`Invalid tag key: ${key}`);
  }
  return result;
}

export function refusePublish(body: Record<string, unknown>): void {
  if (body.Publish === true) {
    throw invalid('The dsqlctl local cloud does not publish function versions: omit Publish.');
  }
}

/** The optional RevisionId guard of updates and permission changes; versions are not published. */
export function checkRevision(fn: FunctionRecord, body: Record<string, unknown>): void {
  refusePublish(body);
  if (typeof body.RevisionId === 'string' && body.RevisionId !== fn.config.revisionId) {
    throw lambdaError(
      'PreconditionFailedException',
      'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      412,
    );
  }
}
