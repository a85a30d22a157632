import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/base-command.js';
import type { FaultConfig, StartResult } from '../../lib/local-cloud/index.js';

export default class LocalStart extends BaseCommand {
  static override summary =
    'Start the local cloud (AWS APIs on 127.0.0.1 with PostgreSQL behind), or report the running one.';
  static override description =
    'Its state lives under DSQLCTL_HOME (default ~/.dsqlctl). Any command run with --target local starts it too. ' +
    'Fault options apply only when it starts (see --faults for the JSON schema in src/lib/local-cloud/faults.ts).';
  static override examples = [
    '<%= config.bin %> local start',
    '<%= config.bin %> local start --time-scale 0.01 --throttle-rate 0.2 --fail dsql:CreateCluster:1',
    '<%= config.bin %> local start --faults faults.json --json',
  ];
  static override flags = {
    port: Flags.integer({
      description: 'Port for the endpoint (default: any free port).',
      min: 1,
      max: 65535,
    }),
    faults: Flags.string({
      description: 'Fault configuration: JSON text or a JSON file (also env DSQLCTL_LOCAL_FAULTS).',
      env: 'DSQLCTL_LOCAL_FAULTS',
    }),
    'time-scale': Flags.string({
      description: 'Multiply simulated AWS durations (default 0.01: a 60 s creation takes 0.6 s).',
    }),
    'throttle-rate': Flags.string({
      description: 'Fraction of calls (0..1) answered with throttling errors.',
    }),
    'operator-policy': Flags.string({
      description:
        "An IAM policy document (file): the operator's key acts as an IAM user limited to it, instead of the account root (also env DSQLCTL_LOCAL_OPERATOR_POLICY).",
      env: 'DSQLCTL_LOCAL_OPERATOR_POLICY',
    }),
    fail: Flags.string({
      description: 'Fail the Nth call of an operation: service:Operation:N[:ErrorCode] (repeatable).',
      multiple: true,
    }),
  };

  async run(): Promise<StartResult> {
    const { flags } = await this.parse(LocalStart);
    const { faultConfigReaders, readOperatorPolicy, renderStart, startLocalCloud } = await import(
      '../../lib/local-cloud/index.js'
    );
    const { parseFailFlag, readFaults } = await faultConfigReaders();
    const faults: FaultConfig = flags.faults ? readFaults(flags.faults) : {};
    if (flags['time-scale'] !== undefined) faults.timeScale = Number(flags['time-scale']);
    if (flags['throttle-rate'] !== undefined) faults.throttle = { rate: Number(flags['throttle-rate']) };
    if (flags.fail) faults.failures = [...(faults.failures ?? []), ...flags.fail.map(parseFailFlag)];
    const operatorPolicy = flags['operator-policy']
      ? await readOperatorPolicy(flags['operator-policy'])
      : undefined;
    const result = await startLocalCloud({
      faults,
      ...(flags.port ? { port: flags.port } : {}),
      ...(operatorPolicy !== undefined ? { operatorPolicy } : {}),
    });
    await this.show(() => renderStart(result));
    return result;
  }
}
