/**
 * Typed errors, one class per failure family, each carrying its exit code and advice.
 * Thrown where the failure is known; mapped to the process exit code in one place (BaseCommand.catch),
 * from the root cause: the `cause` chain is walked from its end (as Go's errors.As), so an AccessDenied
 * inside a plan step or a wait is still exit 3.
 *
 * Exit codes (documented in README and `--help`):
 *   0 ok · 1 unexpected · 2 usage · 3 auth/permission · 4 wait timed out ·
 *   5 verify found an inconsistency · 6 the function reported an error ·
 *   7 a resource with the stack's name is not ours (ownership conflict) ·
 *   130 interrupted (SIGINT, Ctrl-C) · 143 terminated (SIGTERM): run the same command to resume
 */
import { suggest } from './advice.js';

export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  auth: 3,
  timeout: 4,
  inconsistent: 5,
  functionError: 6,
  ownership: 7,
  interrupted: 130,
  terminated: 143,
} as const;
/** The exit-code table as `--help` shows it (README's table says the same). */
export const EXIT_CODES_HELP =
  'Exit codes: 0 ok, 1 unexpected, 2 usage, 3 credentials or permission (AWS refused a call, even inside a step), ' +
  "4 a wait timed out, 5 verify found an inconsistency, 6 the function reported an error, 7 ownership conflict (a resource has the stack's name but not its tag), 130/143 interrupted by SIGINT/SIGTERM (run the same command to resume).";

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class DsqlctlError extends Error {
  readonly exitCode: ExitCodeValue = ExitCode.unexpected;
  /** A short sentence telling the operator what to do next. */
  readonly advice?: string;
  constructor(message: string, options?: { advice?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.advice = options?.advice;
  }
}

/** Bad flag values or arguments: nothing was called. */
export class UsageError extends DsqlctlError {
  override readonly exitCode = ExitCode.usage;
}

/** No credentials, or AWS refused the caller. */
export class AuthError extends DsqlctlError {
  override readonly exitCode = ExitCode.auth;
}

/** A bounded wait ran out. */
export class WaitTimeoutError extends DsqlctlError {
  override readonly exitCode = ExitCode.timeout;
}

/** `verify` saw regions disagree or an event that never arrived. */
export class InconsistencyError extends DsqlctlError {
  override readonly exitCode = ExitCode.inconsistent;
}

/** The deployed function answered with FunctionError or `{ok: false}`. */
export class FunctionReportedError extends DsqlctlError {
  override readonly exitCode = ExitCode.functionError;
}

/** A resource carries our name but not our ownership tag: never touched. */
export class OwnershipError extends DsqlctlError {
  override readonly exitCode = ExitCode.ownership;
}

const AUTH_ERROR_NAMES = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'CredentialsProviderError',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
]);

/** The error and its causes, outermost first (cycles cut). */
export function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && e !== null && !chain.includes(e); ) {
    chain.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return chain;
}

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RateExceeded',
]);

/** What one link of the chain says about the exit code, if anything. */
function exitCodeOf(error: unknown): ExitCodeValue | undefined {
  if (error instanceof DsqlctlError && error.exitCode !== ExitCode.unexpected) return error.exitCode;
  // The local cloud keeps its own error classes (it imports nothing from the CLI): a bad fault setup
  // or a bad operator policy is a usage error. By name, not instanceof: importing the local cloud here
  // would load it (and its schema library) on every start, also for --target aws.
  if (error instanceof Error && (error.name === 'FaultConfigError' || error.name === 'PolicyDocumentError'))
    return ExitCode.usage;
  if (error instanceof Error && (AUTH_ERROR_NAMES.has(error.name) || isSqlAuthFailure(error)))
    return ExitCode.auth;
  return undefined;
}

/** PostgreSQL's invalid_authorization_specification / invalid_password: a DSQL token refused (its signer lacks dsql:DbConnect[Admin]). */
function isSqlAuthFailure(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '28000' || code === '28P01';
}

/** The link that decides the exit code and advice: the deepest one that says anything. */
function decidingCause(error: unknown): unknown {
  return [...causeChain(error)].reverse().find((e) => exitCodeOf(e) !== undefined);
}

/** The exit code for any thrown value: that of its root cause (typed errors carry theirs, AWS auth failures map to 3). */
export function exitCodeFor(error: unknown): ExitCodeValue {
  return exitCodeOf(decidingCause(error)) ?? ExitCode.unexpected;
}

/** Where an AWS call failed, as the SDK clients record it on the error (aws-clients.ts). */
export interface CallSite {
  operation: string;
  region: string;
}
const CALL_SITES = new WeakMap<object, CallSite>();

export function recordCallSite(error: unknown, site: CallSite): void {
  if (error && typeof error === 'object' && !CALL_SITES.has(error)) CALL_SITES.set(error, site);
}

function callSiteOf(error: unknown): CallSite | undefined {
  return error && typeof error === 'object' ? CALL_SITES.get(error) : undefined;
}

/** The endpoint is not listening (for the local target: its daemon has stopped). */
function isConnectionRefused(error: unknown): boolean {
  const e = error as { code?: unknown; refused?: unknown } | undefined;
  return e?.code === 'ECONNREFUSED' || e?.refused === true;
}

export function isThrottling(error: unknown): boolean {
  return error instanceof Error && THROTTLING_NAMES.has(error.name);
}

/** The SDK's attempt count for a failed call (retries included). */
function attemptsOf(error: unknown): number | undefined {
  return (error as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts;
}

/**
 * One line naming what failed: for an AWS error its operation, region and code ("DeleteEventBus in
 * us-west-2 was refused: AccessDeniedException: …"), for throttling the attempts made.
 */
export function describeFailure(error: unknown): string {
  const root = causeChain(error).at(-1);
  const message = error instanceof Error ? error.message : String(error);
  const site = causeChain(error).map(callSiteOf).find(Boolean);
  if (!site || !(root instanceof Error)) return message;
  const where = `${site.operation} in ${site.region}`;
  if (isConnectionRefused(root)) {
    return `${where} could not connect: the endpoint refused the connection (${root.message})`;
  }
  if (isThrottling(root)) {
    const attempts = attemptsOf(root);
    return `${where} was throttled by AWS (${root.name}: ${root.message})${attempts ? ` after ${attempts} attempts` : ''}`;
  }
  const verb = AUTH_ERROR_NAMES.has(root.name) ? 'was refused' : 'failed';
  const detail = `${root.name}: ${root.message}`;
  return error === root ? `${where} ${verb}: ${detail}` : `${message} (${where} ${verb}: ${detail})`;
}

/** AWS's AccessDenied message names the action and the resource: "… is not authorized to perform: dsql:AddPeerCluster on resource: arn:…". */
const DENIED_ACTION = /not authorized to perform:? (\S+) on (?:resource: )?(\S+)/;
const DENIED_NAMES = new Set(['AccessDeniedException', 'AccessDenied']);

/** What to do about an auth failure: the permission to add when AWS names it, else what was refused. */
function authAdvice(failure: Error, site: CallSite | undefined): string {
  const denied = DENIED_ACTION.exec(failure.message);
  if (denied)
    return `Add ${denied[1]} on ${denied[2]} to the operator's policy (\`dsqlctl iam policy\` prints it), then run the same command again.`;
  if (DENIED_NAMES.has(failure.name)) {
    return `The caller may not ${site ? `call ${site.operation}${site.region === 'global' ? '' : ` in ${site.region}`}` : 'do this'}: grant it (\`dsqlctl iam policy\` prints what dsqlctl needs) or use other credentials (--profile), then run the same command again.`;
  }
  // An unknown key, a bad signature, an expired token: the credentials themselves were refused.
  return `${failure.name}: the credentials were refused; check them (for --target local, \`dsqlctl local env\` prints the local cloud's), then run the same command again.`;
}

/**
 * The advice for a failure, from its root cause: a typed error's own advice, or for AWS errors what
 * is true of them (a permission to grant, throttling to wait out). Undefined when nothing true is known.
 */
export function adviceFor(error: unknown): string | undefined {
  // A typed error's advice, when it is about the same failure (same exit code) as the root cause.
  const code = exitCodeFor(error);
  const typed = [...causeChain(error)]
    .reverse()
    .find((e) => e instanceof DsqlctlError && e.advice && exitCodeOf(e) === code) as DsqlctlError | undefined;
  if (typed?.advice) return typed.advice;
  const root = causeChain(error).at(-1);
  const site = causeChain(error).map(callSiteOf).find(Boolean);
  if (root instanceof Error && (AUTH_ERROR_NAMES.has(root.name) || isSqlAuthFailure(root)))
    return authAdvice(root, site);
  if (isConnectionRefused(root)) {
    return `Nothing answers at the endpoint: on --target local the local cloud has stopped (${suggest('local start')}, or ${suggest('local status')}), on AWS check AWS_ENDPOINT_URL; then run the same command again: it resumes.`;
  }
  if (isThrottling(root)) {
    return "AWS throttled the calls beyond the SDK's retries: run the same command again in a while (it resumes where it stopped), or raise the service quota.";
  }
  const outer = causeChain(error).find((e) => e instanceof DsqlctlError && e.advice) as
    | DsqlctlError
    | undefined;
  return outer?.advice;
}

/** A failure as a command's result carries it (`--json`: the `error` member of the envelope). */
export interface FailureReport {
  name: string;
  message: string;
  exitCode: ExitCodeValue;
  advice?: string;
}

export function failureReport(error: unknown, message = describeFailure(error)): FailureReport {
  const advice = adviceFor(error);
  return {
    name: error instanceof Error ? error.name : 'Error',
    message,
    exitCode: exitCodeFor(error),
    ...(advice ? { advice } : {}),
  };
}

/** The AWS SDK's error name (`ResourceNotFoundException`…) or undefined for non-AWS errors. */
function awsErrorName(error: unknown): string | undefined {
  if (error && typeof error === 'object' && '$metadata' in error && error instanceof Error) return error.name;
  return undefined;
}

export function isAwsError(error: unknown, ...names: string[]): boolean {
  const name = awsErrorName(error);
  return name !== undefined && names.includes(name);
}
