import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/base-command.js';
import { UsageError } from '../../lib/errors.js';
import { echoInput } from '../../lib/input-echo.js';
import { type OperatorPolicyDocument, operatorPolicy } from '../../lib/operator-policy.js';
import {
  DEFAULT_REGIONS,
  DEFAULT_STACK,
  DEFAULT_WITNESS,
  type Topology,
  validateStackName,
  validateTopology,
} from '../../lib/stack.js';

export interface IamPolicyResult {
  stack: string;
  regions: string[];
  witness?: string;
  account: string;
  policy: OperatorPolicyDocument;
}

export default class IamPolicy extends BaseCommand {
  static override summary =
    'Print the least-privilege IAM policy an operator needs for up, status, txn, verify, logs and down of a stack.';
  static override description =
    "A JSON policy document (attach it to the operator's user or role), its resources scoped to the stack's names " +
    'and regions wherever the service supports resource-level permissions. Calls nothing: give the same ' +
    '--stack, --regions and --witness as to up. `local start --operator-policy FILE` tries it on the local cloud.';
  static override examples = [
    '<%= config.bin %> iam policy > operator-policy.json',
    '<%= config.bin %> iam policy --stack shop --regions eu-west-1,eu-west-2 --witness eu-west-3 --account 123456789012',
  ];
  static override flags = {
    stack: Flags.string({ description: 'Stack name (as given to dsqlctl up).', default: DEFAULT_STACK }),
    regions: Flags.string({
      description: 'One region, or two peered regions, comma-separated (as given to dsqlctl up).',
      default: DEFAULT_REGIONS.join(','),
    }),
    witness: Flags.string({
      description: `Witness region of a peered pair. Default: ${DEFAULT_WITNESS} for two regions.`,
    }),
    account: Flags.string({
      description:
        'The 12-digit account id to put in the ARNs (default: * — any account the policy is attached in).',
    }),
  };

  async run(): Promise<IamPolicyResult> {
    const { flags } = await this.parse(IamPolicy);
    const stack = validateStackName(flags.stack);
    const regions = flags.regions.split(',');
    const topology: Topology = validateTopology(
      regions,
      flags.witness ?? (regions.length === 2 ? DEFAULT_WITNESS : undefined),
    );
    if (flags.account !== undefined && !/^\d{12}$/.test(flags.account)) {
      throw new UsageError(`Invalid --account ${echoInput(flags.account)}: an AWS account id is 12 digits.`);
    }
    const account = flags.account ?? '*';
    const policy = operatorPolicy({ stack, topology, account });
    this.log(JSON.stringify(policy, null, 2));
    return { stack, ...topology, account, policy };
  }
}
