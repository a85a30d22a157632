/**
 * What the verify commands share: a failed verification is a result, not a throw. The report is the
 * command's output either way (with --json the envelope's `result`, plus its `error` when it failed;
 * otherwise the rendered report before the error and its advice), and `--junit FILE` gets it as JUnit
 * XML either way. A failure sets exit 5.
 */
import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import type { FailureReport } from '../errors.js';
import { type JUnitSuite, writeJUnit } from './junit.js';

export const junitFlag = Flags.string({
  description: 'Also write the checks as a JUnit XML report to this file (one test case per check), for CI.',
});

export abstract class VerifyCommand<R extends { error?: FailureReport }> extends BaseCommand {
  protected abstract render(report: R): string;
  protected abstract junitSuites(report: R): JUnitSuite[];

  /** Runs the check; its report goes to --junit and the terminal, and sets the exit code, passed or failed. */
  protected async verify(junitFile: string | undefined, check: () => Promise<R>): Promise<R> {
    const report = await check();
    if (junitFile) writeJUnit(junitFile, this.junitSuites(report));
    this.log(this.render(report));
    if (report.error) await this.reportFailure(report.error);
    return report;
  }
}
