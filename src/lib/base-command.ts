/**
 * The base every dsqlctl command extends: the flags all commands share, `--json` support, and the one
 * place where thrown errors become exit codes and messages.
 */
import { Command, Flags } from '@oclif/core';
import { DsqlctlError, ExitCode, type FailureReport, failureReport } from './errors.js';
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

  /**
   * A failure that is the command's result (a failed plan step, a verification that found a problem):
   * the result was already printed (with --json it carries the failure), so only the exit code and,
   * for people, the error and its advice on stderr.
   */
  protected async reportFailure(failure: FailureReport): Promise<void> {
    process.exitCode = failure.exitCode;
    if (this.jsonEnabled()) return;
    const { default: chalk } = await import('chalk');
    this.logToStderr(chalk.red(`Error: ${failure.message}`));
    if (failure.advice) this.logToStderr(chalk.dim(failure.advice));
  }

  protected override async catch(error: Error & { oclif?: { exit?: number } }): Promise<unknown> {
    // oclif's own parse errors already carry exit 2; everything else maps through the exit-code table.
    if (!(error instanceof DsqlctlError) && error.oclif?.exit !== undefined) return super.catch(error);
    // Exit code and advice from the root cause; the message names the AWS operation and region when known.
    const failure = failureReport(error);
    if (this.jsonEnabled()) {
      process.exitCode = failure.exitCode;
      this.logJson({ error: failure });
      return undefined;
    }
    await this.reportFailure(failure);
    if (failure.exitCode === ExitCode.unexpected && process.env.DEBUG) this.logToStderr(error.stack ?? '');
    return undefined;
  }
}
