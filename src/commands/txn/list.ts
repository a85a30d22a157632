import { Flags } from '@oclif/core';
import { BaseCommand, stackFlag } from '../../lib/base-command.js';
import { LIST_LIMIT } from '../../lib/function-contract.js';
import { logsFlag, regionFlag } from '../../lib/txn/flags.js';
import { type ListAnswer, listTransactions, type TxnResult, withoutVerifyRows } from '../../lib/txn/index.js';
import { parseLimit, parseScope } from '../../lib/txn/inputs.js';
import { VERIFY_ID_PREFIX } from '../../lib/verify/ids.js';

export default class TxnList extends BaseCommand {
  static override summary = 'List the newest transactions.';
  static override examples = ['<%= config.bin %> txn list --limit 5'];
  static override flags = {
    stack: stackFlag,
    region: regionFlag,
    logs: logsFlag,
    limit: Flags.integer({
      description: `How many, newest first (1–${LIST_LIMIT.max}).`,
      default: LIST_LIMIT.default,
    }),
    'include-verify': Flags.boolean({
      description: `Also show the rows dsqlctl verify wrote (ids starting "${VERIFY_ID_PREFIX}").`,
      default: false,
    }),
  };

  async run(): Promise<TxnResult<ListAnswer>> {
    const { flags } = await this.parse(TxnList);
    const scope = parseScope(flags);
    const limit = parseLimit(flags.limit);
    const listed = await listTransactions(await this.target(flags), scope, limit);
    const result = flags['include-verify'] ? listed : withoutVerifyRows(listed);
    await this.show(async () => (await import('../../lib/txn/render.js')).renderList(result));
    if (result.logTail) this.log(result.logTail.trimEnd());
    return result;
  }
}
