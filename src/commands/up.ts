import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/base-command.js';
import { EXIT_CODES_HELP } from '../lib/errors.js';
import { stopOnSignals } from '../lib/interrupt.js';
import type { UpResult } from '../lib/provision/index.js';
import {
  DEFAULT_REGIONS,
  DEFAULT_STACK,
  DEFAULT_WITNESS,
  validateLogRetention,
  validateStackName,
  validateTopology,
} from '../lib/stack.js';

export default class Up extends BaseCommand {
  static override summary =
    'Create or converge the whole multi-region stack (idempotent; resumes after any interruption).';
  static override description =
    'Observes every resource of the stack, plans the changes, and applies them in parallel. ' +
    'One region (no witness) is also valid. --dry-run prints the plan and changes nothing.\n\n' +
    EXIT_CODES_HELP;
  static override examples = [
    '<%= config.bin %> up --target local',
    '<%= config.bin %> up --stack shop --regions us-east-1,us-west-2 --witness us-east-2 --dry-run',
    '<%= config.bin %> up --stack solo --regions eu-west-1',
  ];
  static override flags = {
    stack: Flags.string({
      description: 'Stack name: every resource is named from it.',
      default: DEFAULT_STACK,
    }),
    regions: Flags.string({
      description: 'One region, or two peered regions (primary first), comma-separated.',
      default: DEFAULT_REGIONS.join(','),
    }),
    witness: Flags.string({
      description: `Witness region of a peered pair (same DSQL region set). Default: ${DEFAULT_WITNESS} for two regions.`,
    }),
    'dry-run': Flags.boolean({ description: 'Print the plan; make no change.', default: false }),
    'log-retention-days': Flags.integer({
      description:
        "Retention of the function log groups, in days (one of CloudWatch Logs' values: 1, 3, 5, 7, 14, 30, 60, 90, …). Default: 14 when created; without the flag a later up keeps what is set.",
    }),
  };

  async run(): Promise<UpResult> {
    const { flags } = await this.parse(Up);
    stopOnSignals((line) => process.stderr.write(`${line}\n`));
    // Validated before any call: a bad value is a usage error naming the rule.
    const stack = validateStackName(flags.stack);
    const regions = flags.regions.split(',');
    const topology = validateTopology(
      regions,
      flags.witness ?? (regions.length === 2 ? DEFAULT_WITNESS : undefined),
    );
    const logRetentionDays = validateLogRetention(flags['log-retention-days']);
    const { up } = await import('../lib/provision/index.js');
    const { reporterFor } = await import('../lib/provision/progress.js');
    const result = await up(await this.target(flags), {
      stack,
      topology,
      dryRun: flags['dry-run'],
      ...(logRetentionDays !== undefined ? { logRetentionDays } : {}),
      reporter: reporterFor(this.jsonEnabled()),
      notice: (message) => this.logToStderr(message),
    });
    await this.show(async () => (await import('../lib/provision/render.js')).renderUp(result));
    if (result.error) await this.reportFailure(result.error);
    return result;
  }
}
