/**
 * Typed errors, one class per failure family, each carrying its exit code and advice.
 * Thrown where the failure is known; mapped to the process exit code in one place (BaseCommand.catch).
 *
 * Exit codes (documented in README):
 *   0 ok · 1 unexpected · 2 usage · 3 auth/permission · 4 wait timed out ·
 *   5 verify found an inconsistency · 6 the function reported an error
 */

export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  auth: 3,
  timeout: 4,
  inconsistent: 5,
  functionError: 6,
} as const;
type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

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
export class OwnershipError extends DsqlctlError {}

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

/**
 * The AWS auth failure (AccessDenied, an unknown key, a bad signature, an expired token) anywhere in
 * `error`'s cause chain — a failed plan step or a wait wraps the SDK's error as its cause.
 */
export function authFailureIn(error: unknown): Error | undefined {
  const seen = new Set<unknown>();
  for (let e = error; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    if (AUTH_ERROR_NAMES.has(e.name)) return e;
  }
  return undefined;
}

/** What to do about an auth failure: name the action and resource AWS's AccessDenied message names. */
export function authAdvice(failure: Error): string {
  const denied = /not authorized to perform: (\S+) on resource: (\S+)/.exec(failure.message);
  if (denied) {
    return `add ${denied[1]} on ${denied[2]} to the operator's policy: \`dsqlctl iam policy\` prints it.`;
  }
  return `${failure.name}: the credentials were refused; check them (for --target local, \`dsqlctl local env\` prints the local cloud's).`;
}

/** The exit code for any thrown value: AWS auth failures anywhere in the cause chain map to 3, typed errors carry theirs. */
export function exitCodeFor(error: unknown): ExitCodeValue {
  if (authFailureIn(error)) return ExitCode.auth;
  if (error instanceof DsqlctlError) return error.exitCode;
  // The local cloud keeps its own error classes (it imports nothing from the CLI): a bad fault setup is usage.
  // By name, not instanceof: importing the local cloud here would load it on every start.
  if (error instanceof Error && (error.name === 'FaultConfigError' || error.name === 'PolicyDocumentError'))
    return ExitCode.usage;
  if (error instanceof Error && AUTH_ERROR_NAMES.has(error.name)) return ExitCode.auth;
  return ExitCode.unexpected;
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
