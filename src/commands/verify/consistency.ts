import { Flags } from '@oclif/core';
import { stackFlag } from '../../lib/base-command.js';
import { parseCount } from '../../lib/txn/inputs.js';
import { junitFlag, VerifyCommand } from '../../lib/verify/command.js';
import { type ConsistencyReport, verifyConsistency } from '../../lib/verify/consistency.js';
import { MAX_ITERATIONS, parseVerifyScope } from '../../lib/verify/inputs.js';
import { consistencySuite, type JUnitSuite } from '../../lib/verify/junit.js';
import { renderConsistency } from '../../lib/verify/render.js';

export default class VerifyConsistency extends VerifyCommand<ConsistencyReport> {
  static override summary =
    'Write through each region and read back through the others at once; compare counts.';
  static override description =
    'Exit 5 when a transaction written in one region is not immediately visible in another, or the regions count different totals.';
  static override examples = [
    '<%= config.bin %> verify consistency',
    '<%= config.bin %> verify consistency --iterations 5 --json',
  ];
  static override flags = {
    stack: stackFlag,
    regions: Flags.string({ description: "Comma-separated regions to check (default: all of the stack's)." }),
    iterations: Flags.integer({ description: `Writes per region (1–${MAX_ITERATIONS}).`, default: 1 }),
    junit: junitFlag,
  };

  async run(): Promise<ConsistencyReport> {
    const { flags } = await this.parse(VerifyConsistency);
    const scope = parseVerifyScope(flags);
    const iterations = parseCount(flags.iterations, '--iterations', MAX_ITERATIONS);
    const target = await this.target(flags);
    return this.verify(flags.junit, () => verifyConsistency(target, { ...scope, iterations }));
  }

  protected render(report: ConsistencyReport): string {
    return renderConsistency(report);
  }

  protected junitSuites(report: ConsistencyReport): JUnitSuite[] {
    return [consistencySuite(report)];
  }
}
