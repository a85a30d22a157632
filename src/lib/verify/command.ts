/**
 * What the verify commands share: a failed verification is exit 5, but its report is still the
 * command's output — the report as the envelope's `result` with --json (plus the error), the rendered
 * report before the error message otherwise.
 */
import { BaseCommand } from '../base-command.js';
import { ConsistencyFailure } from './consistency.js';
import { EventsFailure } from './events.js';

export abstract class VerifyCommand<R> extends BaseCommand {
  protected abstract render(report: R): string;

  protected override async catch(error: Error & { oclif?: { exit?: number } }): Promise<unknown> {
    if (!(error instanceof ConsistencyFailure || error instanceof EventsFailure)) return super.catch(error);
    this.log(this.render(error.report as R));
    await this.reportFailure(error, error.report);
    return undefined;
  }
}
