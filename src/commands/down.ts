import { Flags } from '@oclif/core';
import { suggest } from '../lib/advice.js';
import { BaseCommand, stackFlag } from '../lib/base-command.js';
import { EXIT_CODES_HELP, failureReport, UsageError } from '../lib/errors.js';
import { interruption, stopOnSignals } from '../lib/interrupt.js';
import type { DownResult } from '../lib/provision/index.js';
import { validateStackName } from '../lib/stack.js';

export default class Down extends BaseCommand {
  static override summary =
    'Delete every resource of the stack (its own tagged resources only; safe to rerun).';
  static override description =
    'Finds the stack by its ownership tag in every candidate region (even when its function role is gone) and deletes it, the function role last.\n\n' +
    EXIT_CODES_HELP;
  static override examples = [
    '<%= config.bin %> down --yes --target local',
    '<%= config.bin %> down --stack shop',
  ];
  static override flags = {
    stack: stackFlag,
    yes: Flags.boolean({ char: 'y', description: 'Do not ask for confirmation.', default: false }),
  };

  async run(): Promise<DownResult> {
    const { flags } = await this.parse(Down);
    stopOnSignals((line) => process.stderr.write(`${line}\n`));
    const stack = validateStackName(flags.stack);
    if (!flags.yes && !(process.stdin.isTTY && process.stderr.isTTY)) {
      throw new UsageError(
        `Refusing to delete stack ${stack} without confirmation: there is no terminal to ask on.`,
        {
          advice: `Pass --yes to confirm: ${suggest(`down --stack ${stack}`, { last: '--yes' })}`,
        },
      );
    }
    const { down } = await import('../lib/provision/index.js');
    const { askToConfirm, reporterFor } = await import('../lib/provision/progress.js');
    const result = await down(await this.target(flags), {
      stack,
      reporter: reporterFor(this.jsonEnabled()),
      notice: (message) => this.logToStderr(message),
      confirm: flags.yes ? async () => true : (plan) => askToConfirm(stack, plan),
    });
    await this.show(async () => (await import('../lib/provision/render.js')).renderDown(result));
    if (result.error) await this.reportFailure(result.error);
    const interrupted = interruption();
    if (!result.error && interrupted)
      await this.reportFailure(failureReport(interrupted, interrupted.message));
    return result;
  }
}
