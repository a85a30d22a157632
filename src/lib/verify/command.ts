/**
 * What the verify commands share: a failed verification is a result, not a throw. The report is the
 * command's output either way (with --json the same envelope, plus `error` when it failed); a failure
 * sets exit 5 and, for people, prints the error and its advice after the report.
 */
import { BaseCommand } from '../base-command.js';
import type { FailureReport } from '../errors.js';

export abstract class VerifyCommand<R extends { error?: FailureReport }> extends BaseCommand {
  protected abstract render(report: R): string;

  /** Prints the report and sets the exit code from it. */
  protected async finish(report: R): Promise<R> {
    this.log(this.render(report));
    if (report.error) await this.reportFailure(report.error);
    return report;
  }
}
