import { Flags } from '@oclif/core';
import { MAX_AMOUNT } from '../../lib/amount.js';
import { BaseCommand, stackFlag } from '../../lib/base-command.js';
import { logsFlag, regionFlag } from '../../lib/txn/flags.js';
import { type CreateAnswer, createTransaction, type TxnResult } from '../../lib/txn/index.js';
import { parseAmount, parseScope, parseTransactionId } from '../../lib/txn/inputs.js';

export default class TxnCreate extends BaseCommand {
  static override summary = "Create a transaction through the stack's function (idempotent with --id).";
  static override examples = [
    '<%= config.bin %> txn create --amount 100.50',
    '<%= config.bin %> txn create --stack shop --amount 12 --id t-001 --region us-west-2',
  ];
  static override flags = {
    stack: stackFlag,
    region: regionFlag,
    logs: logsFlag,
    amount: Flags.string({
      description: `Amount: greater than 0, at most ${MAX_AMOUNT}, at most two decimals.`,
      required: true,
    }),
    id: Flags.string({
      description: 'Transaction id (default: a generated UUID); repeating it creates nothing new.',
    }),
  };

  async run(): Promise<TxnResult<CreateAnswer>> {
    const { flags } = await this.parse(TxnCreate);
    const scope = parseScope(flags);
    const input = {
      amount: parseAmount(flags.amount),
      ...(flags.id === undefined ? {} : { id: parseTransactionId(flags.id) }),
    };
    const result = await createTransaction(await this.target(flags), scope, input);
    await this.show(async () => (await import('../../lib/txn/render.js')).renderCreate(result));
    const { answer } = result;
    if (!answer.eventPublished && answer.eventError) {
      this.addWarning(
        `the event for ${answer.transaction.id} was not published: ${answer.eventError}; the outbox sweep will publish it`,
      );
    }
    if (result.logTail) this.log(result.logTail.trimEnd());
    return result;
  }
}
