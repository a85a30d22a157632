import { Flags } from '@oclif/core';
import { BaseCommand, stackFlag } from '../lib/base-command.js';
import type { DoctorCheck } from '../lib/doctor.js';
import { DEFAULT_REGIONS, DEFAULT_WITNESS, type Topology, validateStackName } from '../lib/stack.js';

export interface DoctorResult {
  stack: string;
  checks: DoctorCheck[];
}

export default class Doctor extends BaseCommand {
  static override summary =
    'Check, read-only, that dsqlctl can run here: Node.js, credentials, regions, region set, permissions.';
  static override description =
    "The permissions are the operator's own, simulated (iam:SimulatePrincipalPolicy) against `dsqlctl iam policy` " +
    "for the stack's topology (the deployed stack's, else --regions/--witness). Each check prints ✓ or ✗ with advice.\n\n" +
    'Exit codes: 0 every check passed, 3 a credentials or permissions check failed, 1 another check failed.';
  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --stack shop --target local --json',
  ];
  static override flags = {
    stack: stackFlag,
    regions: Flags.string({
      description: 'Regions when the stack is not deployed yet (as given to dsqlctl up).',
      default: DEFAULT_REGIONS.join(','),
    }),
    witness: Flags.string({
      description: `Witness when the stack is not deployed yet. Default: ${DEFAULT_WITNESS} for two regions.`,
    }),
  };

  async run(): Promise<DoctorResult> {
    const { flags } = await this.parse(Doctor);
    const stack = validateStackName(flags.stack);
    const target = await this.target(flags);
    const { AwsClients } = await import('../lib/aws-clients.js');
    const { runDoctor } = await import('../lib/doctor.js');
    const { readStackTopology } = await import('../lib/stack-topology.js');
    const clients = new AwsClients(target);
    try {
      const deployed = await readStackTopology(target, stack, clients.iam()).catch(() => undefined);
      const regions = flags.regions.split(',').map((r) => r.trim());
      const given: Topology = {
        regions,
        ...(regions.length === 2 ? { witness: flags.witness ?? DEFAULT_WITNESS } : {}),
      };
      const checks = await runDoctor({
        stack,
        topology: deployed ?? given,
        topologySource: deployed ? 'stack' : 'flags',
        clients,
        settings: this.resolvedSettings(),
      });
      for (const check of checks) {
        this.log(`${check.ok ? '✓' : '✗'} ${check.name}: ${check.detail}`);
        for (const m of check.missing ?? []) this.log(`    missing ${m.action} on ${m.resources.join(', ')}`);
        if (!check.ok && check.advice) this.log(`    ${check.advice}`);
      }
      const failedChecks = checks.filter((c) => !c.ok);
      const first = failedChecks.find((c) => c.exitCode === 3) ?? failedChecks[0];
      if (first) {
        await this.reportFailure({
          name: 'DoctorCheckFailed',
          message: `${failedChecks.length} of ${checks.length} checks failed: ${failedChecks.map((c) => c.name).join(', ')}`,
          exitCode: first.exitCode ?? 1,
          ...(first.advice ? { advice: first.advice } : {}),
        });
      }
      return { stack, checks };
    } finally {
      clients.destroy();
    }
  }
}
