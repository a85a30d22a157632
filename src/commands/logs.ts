import { Flags } from '@oclif/core';
import { BaseCommand, stackFlag } from '../lib/base-command.js';
import { UsageError } from '../lib/errors.js';
import { validateStackName } from '../lib/stack.js';

export default class Logs extends BaseCommand {
  static override summary =
    "The stack's function logs from its regions, interleaved by time (like aws logs tail).";
  static override description =
    'Each line is prefixed with its region. --follow keeps polling until Ctrl-C. ' +
    'Filter patterns: terms, "quoted phrases", ?alternatives, -exclusions, JSON selectors such as { $.level = "ERROR" }.';
  static override examples = [
    '<%= config.bin %> logs --since 1h',
    '<%= config.bin %> logs --stack shop --region us-west-2 --filter \'{ $.level = "ERROR" }\' --follow',
  ];
  // --json prints JSON Lines as events arrive, not one document at the end.
  static override enableJsonFlag = false;
  static override flags = {
    stack: stackFlag,
    region: Flags.string({
      description: "One of the stack's regions (default: all of them).",
      exclusive: ['all-regions'],
    }),
    'all-regions': Flags.boolean({ description: 'Every region of the stack (the default).', default: false }),
    since: Flags.string({
      description: 'Start: a duration back from now (30s, 10m, 2h, 1d) or an ISO-8601 time.',
      default: '10m',
    }),
    follow: Flags.boolean({ description: 'Keep printing new events until Ctrl-C.', default: false }),
    filter: Flags.string({ description: 'A CloudWatch Logs filter pattern.' }),
    json: Flags.boolean({ description: 'One JSON object per event and line (JSON Lines).', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Logs);
    const stack = validateStackName(flags.stack);
    const { parseSince } = await import('../lib/logs/since.js');
    const startTime = parseSince(flags.since);
    if (flags.filter !== undefined && flags.filter.trim() === '')
      throw new UsageError('--filter must not be empty.');
    const target = await this.target(flags);
    const { stackRegions } = await import('../lib/txn/index.js');
    const regions = await stackRegions(
      target,
      stack,
      flags.region === undefined ? undefined : [flags.region],
    );
    const { tailLogs } = await import('../lib/logs/index.js');
    const { regionPainter, renderEvent, renderEventJson } = await import('../lib/logs/render.js');
    const paint = regionPainter(regions);
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once('SIGINT', onSigint);
    try {
      await tailLogs(target, {
        stack,
        regions,
        startTime,
        ...(flags.filter ? { filterPattern: flags.filter } : {}),
        follow: flags.follow,
        signal: stop.signal,
        onEvent: (event) => this.log(flags.json ? renderEventJson(event) : renderEvent(event, paint)),
      });
    } finally {
      process.off('SIGINT', onSigint);
    }
  }
}
