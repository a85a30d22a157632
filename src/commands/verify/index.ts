import { Flags } from '@oclif/core';
import { stackFlag } from '../../lib/base-command.js';
import { parseCount } from '../../lib/txn/inputs.js';
import { type VerifyReport, verifyAll } from '../../lib/verify/all.js';
import { junitFlag, VerifyCommand } from '../../lib/verify/command.js';
import { parseDuration } from '../../lib/verify/duration.js';
import { MAX_ITERATIONS, parseVerifyScope } from '../../lib/verify/inputs.js';
import { consistencySuite, eventsSuite, type JUnitSuite } from '../../lib/verify/junit.js';
import { renderVerify } from '../../lib/verify/render.js';

export default class Verify extends VerifyCommand<VerifyReport> {
  static override summary = 'Run every check (consistency, then events) over the same regions; one report.';
  static override description =
    'Exit 5 naming each failed check. `verify consistency` and `verify events` run one check alone.';
  static override examples = [
    '<%= config.bin %> verify --regions us-east-1,us-west-2',
    '<%= config.bin %> verify --junit verify.xml --json',
  ];
  static override flags = {
    stack: stackFlag,
    regions: Flags.string({ description: "Comma-separated regions to check (default: all of the stack's)." }),
    iterations: Flags.integer({
      description: `Consistency writes per region (1–${MAX_ITERATIONS}).`,
      default: 1,
    }),
    timeout: Flags.string({ description: 'How long to wait for each event (e.g. 30s, 2m).', default: '30s' }),
    junit: junitFlag,
  };

  async run(): Promise<VerifyReport> {
    const { flags } = await this.parse(Verify);
    const scope = parseVerifyScope(flags);
    const iterations = parseCount(flags.iterations, '--iterations', MAX_ITERATIONS);
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    const target = await this.target(flags);
    return this.verify(flags.junit, () => verifyAll(target, { ...scope, iterations, timeoutMs }));
  }

  protected render(report: VerifyReport): string {
    return renderVerify(report);
  }

  protected junitSuites(report: VerifyReport): JUnitSuite[] {
    return [consistencySuite(report.consistency), ...(report.events ? [eventsSuite(report.events)] : [])];
  }
}
