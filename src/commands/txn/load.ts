import { Flags } from '@oclif/core';
import { BaseCommand, stackFlag } from '../../lib/base-command.js';
import { regionFlag } from '../../lib/txn/flags.js';
import { parseCount, parseScope } from '../../lib/txn/inputs.js';
import { LOAD_LIMITS, type LoadReport, runLoad } from '../../lib/txn/load.js';
import { progressLine, renderLoad } from '../../lib/txn/render.js';

export default class TxnLoad extends BaseCommand {
  static override summary =
    'Drive N creates through the function with C in flight; report throughput, latency and OCC retries.';
  static override examples = ['<%= config.bin %> txn load --count 1000 --concurrency 16'];
  static override flags = {
    stack: stackFlag,
    region: regionFlag,
    count: Flags.integer({
      description: `How many transactions to create (1–${LOAD_LIMITS.count}).`,
      default: 100,
    }),
    concurrency: Flags.integer({
      description: `Invocations in flight (1–${LOAD_LIMITS.concurrency}).`,
      default: 8,
    }),
  };

  async run(): Promise<LoadReport> {
    const { flags } = await this.parse(TxnLoad);
    const scope = parseScope(flags);
    const count = parseCount(flags.count, '--count', LOAD_LIMITS.count);
    const concurrency = parseCount(flags.concurrency, '--concurrency', LOAD_LIMITS.concurrency);
    // A progress bar only for a person watching a terminal; CI logs and --json stay clean.
    const showProgress = process.stderr.isTTY && !this.jsonEnabled();
    const report = await runLoad(await this.target(flags), scope, {
      count,
      concurrency,
      ...(showProgress
        ? { onProgress: (done: number) => process.stderr.write(progressLine(done, count)) }
        : {}),
    });
    if (showProgress) process.stderr.write('\n');
    this.log(renderLoad(report));
    return report;
  }
}
