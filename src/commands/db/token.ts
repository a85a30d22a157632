import { Flags } from '@oclif/core';
import { BaseCommand, stackFlag } from '../../lib/base-command.js';
import type { DbTokenResult } from '../../lib/db-access.js';
import { parseScope } from '../../lib/txn/inputs.js';

export default class DbToken extends BaseCommand {
  static override summary =
    "Print an IAM authentication token for the stack's cluster in a region (like aws dsql generate-db-connect-auth-token).";
  static override description =
    "Without --admin the token is a DbConnect token, for the stack's role <stack>_app (the endpoint lets you in only when your IAM role is mapped to it with AWS IAM GRANT); with --admin a DbConnectAdmin token for admin. Only the token goes to stdout; --json adds host, port, database, user and expiry.";
  static override examples = [
    'PGPASSWORD="$(<%= config.bin %> db token --admin)" psql "host=<endpoint> dbname=postgres user=admin sslmode=verify-full sslrootcert=system"',
    '<%= config.bin %> db token --region us-west-2 --expires 1h --json',
  ];
  static override flags = {
    stack: stackFlag,
    region: Flags.string({ description: "The cluster's region (default: the stack's first region)." }),
    admin: Flags.boolean({ description: 'A DbConnectAdmin token for the admin role.', default: false }),
    expires: Flags.string({
      description: 'Token lifetime: seconds or 30s, 15m, 2h, 1d, 1w (at most one week).',
      default: '15m',
    }),
  };

  async run(): Promise<DbTokenResult> {
    const { flags } = await this.parse(DbToken);
    const scope = parseScope(flags);
    const { dbToken, parseExpires } = await import('../../lib/db-access.js');
    const expiresInSeconds = parseExpires(flags.expires);
    const result = await dbToken(await this.target(flags), {
      ...scope,
      admin: flags.admin,
      expiresInSeconds,
    });
    this.log(result.token);
    if (process.stderr.isTTY && !this.jsonEnabled()) {
      this.logToStderr(
        `For ${result.user}@${result.host}:${result.port}/${result.database} (${result.region}), expires ${result.expiresAt}.`,
      );
    }
    return result;
  }
}
