import { Flags } from '@oclif/core';
import { BaseCommand, stackFlag } from '../../lib/base-command.js';
import { UsageError } from '../../lib/errors.js';
import { parseScope } from '../../lib/txn/inputs.js';

export default class DbShell extends BaseCommand {
  static override summary =
    "Open psql on the stack's cluster in a region: TLS verify-full, a fresh IAM token as password.";
  static override description =
    "Connects as the stack's role <stack>_app (your IAM role must be mapped to it), or as admin with --admin. Arguments after -- go to psql; psql's exit code is dsqlctl's. Needs psql (Debian/Ubuntu: postgresql-client; macOS: brew install libpq).";
  static override examples = [
    '<%= config.bin %> db shell --admin',
    "<%= config.bin %> db shell --admin --region us-west-2 -- -c 'select count(*) from transactions'",
  ];
  // psql's own arguments follow `--`; oclif leaves them as arguments.
  static override strict = false;
  // psql owns the terminal: there is no JSON document to print.
  static override enableJsonFlag = false;
  static override flags = {
    stack: stackFlag,
    region: Flags.string({ description: "The cluster's region (default: the stack's first region)." }),
    admin: Flags.boolean({ description: 'Connect as admin (a DbConnectAdmin token).', default: false }),
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(DbShell);
    const separator = this.argv.indexOf('--');
    const psqlArgs = separator === -1 ? [] : this.argv.slice(separator + 1);
    if (argv.length > psqlArgs.length) {
      throw new UsageError(
        `Unexpected argument ${JSON.stringify(String(argv[0]))}: put psql's own arguments after --, e.g. dsqlctl db shell -- -c 'select 1'.`,
      );
    }
    const scope = parseScope(flags);
    const { dbShell, findPsql } = await import('../../lib/db-access.js');
    // Before any call: a missing psql is reported without starting the local cloud or asking AWS.
    const psql = findPsql();
    process.exitCode = await dbShell(await this.target(flags), {
      ...scope,
      admin: flags.admin,
      psql,
      psqlArgs,
    });
  }
}
