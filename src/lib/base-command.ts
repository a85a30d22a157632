/**
 * The base every dsqlctl command extends: the flags all commands share, `--json` support, and the one
 * place where thrown errors become exit codes and messages.
 */
import { Command, Flags } from '@oclif/core';
import { authAdvice, authFailureIn, DsqlctlError, ExitCode, exitCodeFor } from './errors.js';
import { DEFAULT_STACK } from './stack.js';
import { parseTargetKind, resolveTarget, TARGET_KINDS, type Target } from './target.js';

const targetFlags = {
  target: Flags.string({
    description: 'Where to run: real AWS, or the embedded local cloud (no account needed).',
    options: [...TARGET_KINDS],
    env: 'DSQLCTL_TARGET',
    default: 'aws',
    helpGroup: 'TARGET',
  }),
  profile: Flags.string({
    description: 'AWS shared-config profile (aws target only; default: the standard credential chain).',
    helpGroup: 'TARGET',
  }),
};

/** `--stack` for every command that works on an existing stack (`up` explains it differently). */
export const stackFlag = Flags.string({
  description: 'Stack name (as given to dsqlctl up).',
  default: DEFAULT_STACK,
});

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;
  static override baseFlags = targetFlags;

  /** Resolves the target from the shared flags; starts the local cloud when it is the target. */
  protected async target(flags: { target?: string; profile?: string }): Promise<Target> {
    return resolveTarget({ kind: parseTargetKind(flags.target), profile: flags.profile });
  }

  protected override async catch(error: Error & { oclif?: { exit?: number } }): Promise<unknown> {
    // oclif's own parse errors already carry exit 2; everything else maps through the exit-code table.
    if (!(error instanceof DsqlctlError) && error.oclif?.exit !== undefined) return super.catch(error);
    const exitCode = exitCodeFor(error);
    process.exitCode = exitCode;
    // An auth failure deep in the cause chain (a plan step, a wait) is named with its action and resource.
    const auth = authFailureIn(error);
    const advice = auth ? authAdvice(auth) : error instanceof DsqlctlError ? error.advice : undefined;
    const message =
      auth && auth !== error && !error.message.includes(auth.message)
        ? `${error.message}: ${auth.name}: ${auth.message}`
        : error.message;
    if (this.jsonEnabled()) {
      this.logJson({ error: { name: error.name, message, exitCode, ...(advice ? { advice } : {}) } });
      return undefined;
    }
    const { default: chalk } = await import('chalk');
    this.logToStderr(chalk.red(`Error: ${message}`));
    if (advice) this.logToStderr(chalk.dim(advice));
    if (exitCode === ExitCode.unexpected && process.env.DEBUG) this.logToStderr(error.stack ?? '');
    return undefined;
  }
}
