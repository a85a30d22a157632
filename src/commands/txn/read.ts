import { BaseCommand, stackFlag } from '../../lib/base-command.js';
import { logsFlag, regionFlag } from '../../lib/txn/flags.js';
import { type CountAnswer, countTransactions, type TxnResult } from '../../lib/txn/index.js';
import { parseScope } from '../../lib/txn/inputs.js';

export default class TxnRead extends BaseCommand {
  static override summary = "Count the transactions, read through one region's function.";
  static override examples = [
    '<%= config.bin %> txn read',
    '<%= config.bin %> txn read --region us-west-2 --json',
  ];
  static override flags = { stack: stackFlag, region: regionFlag, logs: logsFlag };

  async run(): Promise<TxnResult<CountAnswer>> {
    const { flags } = await this.parse(TxnRead);
    const scope = parseScope(flags);
    const result = await countTransactions(await this.target(flags), scope);
    await this.show(async () => (await import('../../lib/txn/render.js')).renderCount(result));
    if (result.logTail) this.log(result.logTail.trimEnd());
    return result;
  }
}
