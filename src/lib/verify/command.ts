/**
 * What the verify commands share: a failed verification is exit 5, but its report is still the
 * command's output — the report as the envelope's `result` with --json (plus the error), the rendered
 * report before the error message otherwise — and `--junit FILE` gets it as JUnit XML either way.
 */
import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { InconsistencyError } from '../errors.js';
import { type JUnitSuite, writeJUnit } from './junit.js';

export const junitFlag = Flags.string({
  description: 'Also write the checks as a JUnit XML report to this file (one test case per check), for CI.',
});

/** A failed verification carries its whole report. */
function isVerifyFailure(error: unknown): error is InconsistencyError & { report: unknown } {
  return error instanceof InconsistencyError && 'report' in error;
}

export abstract class VerifyCommand<R> extends BaseCommand {
  protected abstract render(report: R): string;
  protected abstract junitSuites(report: R): JUnitSuite[];
  #junitFile: string | undefined;

  /** Runs the check; its report goes to --junit and the terminal, whether it passed or failed. */
  protected async verify(junitFile: string | undefined, check: () => Promise<R>): Promise<R> {
    this.#junitFile = junitFile;
    const report = await check();
    this.#writeJUnit(report);
    this.log(this.render(report));
    return report;
  }

  #writeJUnit(report: R): void {
    if (this.#junitFile) writeJUnit(this.#junitFile, this.junitSuites(report));
  }

  protected override async catch(error: Error & { oclif?: { exit?: number } }): Promise<unknown> {
    if (!isVerifyFailure(error)) return super.catch(error);
    const report = error.report as R;
    this.#writeJUnit(report);
    this.log(this.render(report));
    await this.reportFailure(error, report);
    return undefined;
  }
}
