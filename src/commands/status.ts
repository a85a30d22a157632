import { BaseCommand, stackFlag } from '../lib/base-command.js';
import { EXIT_CODES_HELP } from '../lib/errors.js';
import type { StatusResult } from '../lib/provision/index.js';
import { validateStackName } from '../lib/stack.js';

export default class Status extends BaseCommand {
  static override summary =
    'Every resource of the stack with its state and any drift from the desired state (read-only).';
  static override description =
    'Resources tagged for the stack but not in its desired set are listed as orphaned, with the command that removes them.\n\n' +
    EXIT_CODES_HELP;
  static override examples = [
    '<%= config.bin %> status --target local',
    '<%= config.bin %> status --stack shop --json',
  ];
  static override flags = {
    stack: stackFlag,
  };

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(Status);
    const stack = validateStackName(flags.stack);
    const { status } = await import('../lib/provision/index.js');
    const result = await status(await this.target(flags), stack);
    await this.show(async () => (await import('../lib/provision/render.js')).renderStatus(result));
    return result;
  }
}
