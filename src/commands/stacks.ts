import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/base-command.js';
import { EXIT_CODES_HELP } from '../lib/errors.js';
import type { StacksResult } from '../lib/provision/stacks.js';
import { DSQL_REGION_SETS } from '../lib/regions.js';
import { parseRegion } from '../lib/txn/inputs.js';

export default class Stacks extends BaseCommand {
  static override summary = 'The stacks on a target, found by their dsqlctl:stack tags (read-only).';
  static override description =
    'Per stack: its regions, how many resources carry its tag, and whether it is complete or partial ' +
    '(an up that died, a down cut short); `status --stack S` shows each resource.\n\n' +
    EXIT_CODES_HELP;
  static override examples = [
    '<%= config.bin %> stacks --target local',
    '<%= config.bin %> stacks --regions us-east-1,us-west-2 --json',
  ];
  static override flags = {
    regions: Flags.string({
      description: 'Comma-separated regions to look in (default: every region Aurora DSQL is offered in).',
    }),
  };
  // The file's regions are one stack's topology; listing stacks looks everywhere unless told.
  static override configFileIgnores = ['regions'];

  async run(): Promise<StacksResult> {
    const { flags } = await this.parse(Stacks);
    const regions =
      flags.regions === undefined
        ? Object.values(DSQL_REGION_SETS).flat()
        : [...new Set(flags.regions.split(',').map((r) => parseRegion(r.trim(), '--regions')))];
    const { listStacks } = await import('../lib/provision/stacks.js');
    const result = await listStacks(await this.target(flags), regions);
    for (const { region, message } of result.unreachable) this.addWarning(`${region} not listed: ${message}`);
    await this.show(async () => (await import('../lib/provision/render-stacks.js')).renderStacks(result));
    return result;
  }
}
