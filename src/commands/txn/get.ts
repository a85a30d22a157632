import { Flags } from '@oclif/core';
import { BaseCommand, stackFlag } from '../../lib/base-command.js';
import { logsFlag, regionFlag } from '../../lib/txn/flags.js';
import { type GetAnswer, getTransaction, type TxnResult } from '../../lib/txn/index.js';
import { parseScope, parseTransactionId } from '../../lib/txn/inputs.js';

export default class TxnGet extends BaseCommand {
  static override summary = 'Read one transaction by id.';
  static override examples = ['<%= config.bin %> txn get --id t-001 --region us-west-2'];
  static override flags = {
    stack: stackFlag,
    region: regionFlag,
    logs: logsFlag,
    id: Flags.string({ description: 'Transaction id.', required: true }),
  };

  async run(): Promise<TxnResult<GetAnswer>> {
    const { flags } = await this.parse(TxnGet);
    const scope = parseScope(flags);
    const id = parseTransactionId(flags.id);
    const result = await getTransaction(await this.target(flags), scope, id);
    await this.show(async () => (await import('../../lib/txn/render.js')).renderGet(result));
    if (result.logTail) this.log(result.logTail.trimEnd());
    return result;
  }
}
