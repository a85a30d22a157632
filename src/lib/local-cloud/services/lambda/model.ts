/**
 * Lambda's data: a function's record (its live and, during an update, previous generation), how
 * FunctionName values resolve, Lambda's error shapes, and the Pending/InProgress rules every
 * operation shares. State lives in the store under namespace `lambda`.
 */
import { randomUUID } from 'node:crypto';
import { arn, parseArn, ServiceError } from '../../aws.js';
import type { PolicyStatement } from '../../identity/evaluate.js';
import type { CallContext, Cloud } from '../../service.js';

/** What an invocation runs and GetFunction reports: one generation of the function. */
export interface Deployed {
  runtime: string;
  role: string;
  handler: string;
  description: string;
  timeout: number;
  memorySize: number;
  variables: Record<string, string>;
  codeSha256: string;
  /** Hex SHA-256: where the zip and its extracted tree live (execution/code.ts). */
  codeId: string;
  codeSize: number;
  revisionId: string;
  /** Epoch ms. */
  lastModified: number;
}

export interface FunctionRecord {
  name: string;
  region: string;
  arn: string;
  config: Deployed;
  /** The generation invocations keep running until the update in progress settles. */
  previous?: Deployed;
  /** Epoch ms when State becomes Active. */
  activeAt: number;
  /** Epoch ms when the last update's LastUpdateStatus becomes Successful. */
  updateReadyAt?: number;
  tags: Record<string, string>;
  policy: PolicyStatement[];
}

interface LambdaState {
  /** By `<region>/<name>`. */
  functions: Record<string, FunctionRecord>;
}

export const NS = 'lambda';
export const init = (): LambdaState => ({ functions: {} });

// Lambda's error members: most carry `message`, ResourceNotFoundException and ServiceException `Message`.
export function lambdaError(code: string, message: string, status: number): ServiceError {
  return new ServiceError(code, message, { status, fields: { Type: 'User', message } });
}
export const invalid = (message: string) => lambdaError('InvalidParameterValueException', message, 400);
export const validation = (message: string) => lambdaError('ValidationException', message, 400);
export const conflict = (message: string) => lambdaError('ResourceConflictException', message, 409);
export const notFound = (message: string) => lambdaError('ResourceNotFoundException', message, 404);

export const keyOf = (region: string, name: string) => `${region}/${name}`;
export const functionArn = (region: string, name: string) => arn('lambda', region, `function:${name}`);

/** A FunctionName as Lambda accepts it: `name`, `name:qualifier`, `<account>:function:name` or an ARN. */
export function nameOf(value: string): { name: string; qualifier?: string } {
  const match =
    /^(?:arn:aws:lambda:[a-z0-9-]+:)?(?:\d{12}:)?(?:function:)?([a-zA-Z0-9_-]{1,64})(?::(\$LATEST|[a-zA-Z0-9_-]+))?$/.exec(
      value,
    );
  if (!match) {
    throw validation(
      `1 validation error detected: Value '${value}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?`,
    );
  }
  return { name: match[1] ?? '', ...(match[2] ? { qualifier: match[2] } : {}) };
}

export function requireLatest(qualifier: string | undefined | null, fnArn: string): void {
  if (qualifier && qualifier !== '$LATEST') throw notFound(`Function not found: ${fnArn}:${qualifier}`);
}

export function stateOf(fn: FunctionRecord, now: number) {
  const pending = now < fn.activeAt;
  const updating = !pending && fn.updateReadyAt !== undefined && now < fn.updateReadyAt;
  return { pending, updating };
}

/** The generation an invocation runs now: the previous one while an update is in progress. */
export function live(fn: FunctionRecord, now: number): Deployed {
  return stateOf(fn, now).updating && fn.previous ? fn.previous : fn.config;
}

export function findFunction(ctx: CallContext, value: string): { fn: FunctionRecord; qualifier?: string } {
  const { name, qualifier } = nameOf(value);
  const state = ctx.cloud.state.read(NS, init);
  const key = keyOf(ctx.region, name);
  const fn = Object.hasOwn(state.functions, key) ? state.functions[key] : undefined;
  if (!fn) throw notFound(`Function not found: ${functionArn(ctx.region, name)}`);
  return { fn, ...(qualifier ? { qualifier } : {}) };
}

/** Invocations and updates are refused while the function is Pending. */
export function checkNotPending(fn: FunctionRecord, now: number): void {
  if (stateOf(fn, now).pending) {
    throw conflict(
      'The operation cannot be performed at this time. The function is currently in the following state: Pending',
    );
  }
}

/** Updates are refused while the function is Pending or another update is in progress. */
export function checkUpdatable(fn: FunctionRecord, now: number): void {
  checkNotPending(fn, now);
  if (stateOf(fn, now).updating) {
    throw conflict(
      `The operation cannot be performed at this time. An update is in progress for resource: ${fn.arn}`,
    );
  }
}

export const update = <R>(ctx: CallContext, change: (state: LambdaState) => R) =>
  ctx.cloud.state.update(NS, init, change);

export function beginUpdate(
  ctx: CallContext,
  fn: FunctionRecord,
  next: Omit<Deployed, 'revisionId' | 'lastModified'>,
) {
  const now = ctx.cloud.now();
  checkUpdatable(fn, now);
  fn.previous = fn.config;
  fn.config = { ...next, revisionId: randomUUID(), lastModified: now };
  fn.updateReadyAt = now + ctx.cloud.faults.durationMs('lambda:Update');
}

/**
 * A function's resource-based policy (the statements AddPermission wrote), for the identity gate, as JSON
 * text: the evaluator compiles each distinct text once (evaluate.ts), so a delivery does not rebuild the
 * policy's patterns, and a statement added or removed (in place) is a new text, compiled at its first check.
 */
export function functionPolicy(cloud: Cloud, resource: string): string | undefined {
  const parsed = parseArn(resource);
  if (parsed?.service !== 'lambda' || !parsed.resource.startsWith('function:')) return undefined;
  let name: string;
  try {
    name = nameOf(parsed.resource.slice('function:'.length)).name;
  } catch {
    return undefined; // not a function name: the operation itself answers the validation error
  }
  const functions = cloud.state.read(NS, init).functions;
  const key = keyOf(parsed.region, name);
  const fn = Object.hasOwn(functions, key) ? functions[key] : undefined;
  return fn && fn.policy.length > 0
    ? JSON.stringify({ Version: '2012-10-17', Statement: fn.policy })
    : undefined;
}

export function functionByTagArn(ctx: CallContext, resource: string): FunctionRecord {
  const parsed = parseArn(resource);
  if (parsed?.service !== 'lambda' || !parsed.resource.startsWith('function:')) {
    throw invalid(`Invalid resource ARN: ${resource}`);
  }
  const { name } = nameOf(parsed.resource.slice('function:'.length));
  const state = ctx.cloud.state.read(NS, init);
  const fn = state.functions[keyOf(parsed.region, name)];
  if (!fn) throw notFound(`Function not found: ${resource}`);
  return fn;
}
