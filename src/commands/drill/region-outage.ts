import { Flags } from '@oclif/core';
import { suggest } from '../../lib/advice.js';
import { BaseCommand, stackFlag } from '../../lib/base-command.js';
import type { DrillReport } from '../../lib/drill/index.js';
import { DRILL_LIMITS } from '../../lib/drill/plan.js';
import { EXIT_CODES_HELP, UsageError } from '../../lib/errors.js';
import { validateStackName } from '../../lib/stack.js';

export default class DrillRegionOutage extends BaseCommand {
  static override summary =
    "Impair one region's cluster with AWS FIS, keep writing through both, prove nothing was lost, report availability.";
  static override description =
    "Starts an FIS experiment (aws:dsql:cluster-connection-failure, 100 %) on the region's cluster with the stack's FIS role, drives --rate creates/s over both regions (a create failing in one is retried in the other with the same id), waits for the impaired region to recover, then reads every acknowledged create back through both regions and checks the events reached the other region. Exit 5 when a create was lost or doubled, the counts differ, or the healthy region answered under 99 % during the outage. With --events, the impaired region's forwarding rule is disabled while the experiment runs and enabled again before it ends (an event put while it is disabled is dropped, on AWS too: the drill counts any). Ctrl-C stops the experiment (and enables the rule) before exiting.\n\n" +
    EXIT_CODES_HELP;
  static override examples = [
    '<%= config.bin %> drill region-outage --region us-west-2 --target local --duration 10s',
    '<%= config.bin %> drill region-outage --region us-east-1 --duration 2m --rate 50 --report drill.html --yes',
    '<%= config.bin %> drill region-outage --region us-west-2 --target local --duration 10s --events',
  ];
  static override flags = {
    stack: stackFlag,
    region: Flags.string({ description: "The region to impair (one of the stack's two).", required: true }),
    duration: Flags.string({
      description: 'How long the outage lasts (wall-clock time): 60s, 2m, 1m30s; 1s to 1h.',
      default: '60s',
    }),
    rate: Flags.integer({
      description: `Creates per second over both regions (1–${DRILL_LIMITS.maxRate}).`,
      default: 20,
    }),
    events: Flags.boolean({
      description:
        "Also disable the impaired region's EventBridge forwarding rule during the outage (EventBridge lost there), and enable it again before the outage ends.",
      default: false,
    }),
    report: Flags.string({
      description: 'Also write a self-contained HTML report (charts, verdicts) to this file.',
    }),
    yes: Flags.boolean({
      char: 'y',
      description: 'Do not ask for confirmation before impairing a cluster on AWS.',
      default: false,
    }),
  };

  async run(): Promise<DrillReport> {
    const { flags } = await this.parse(DrillRegionOutage);
    const stack = validateStackName(flags.stack);
    const target = await this.target(flags);
    const { planDrill } = await import('../../lib/drill/plan.js');
    const plan = await planDrill(target, {
      stack,
      region: flags.region,
      duration: flags.duration,
      rate: flags.rate,
      events: flags.events,
    });
    const { checkReportFile, drillPage, writeReportHtml } = await import('../../lib/drill/html.js');
    const reportFile = flags.report === undefined ? undefined : checkReportFile(flags.report);
    if (target.kind === 'aws' && !flags.yes) await this.#confirm(stack, plan.region);
    const { runDrill } = await import('../../lib/drill/index.js');
    const report = await runDrill(target, plan, { onPhase: (message) => this.logToStderr(message) });
    if (reportFile) writeReportHtml(reportFile, drillPage(report));
    await this.show(async () => (await import('../../lib/drill/render.js')).renderDrill(report));
    if (report.error) await this.reportFailure(report.error);
    return report;
  }

  /** It impairs a real cluster: a person confirms on a terminal; anything else needs --yes. */
  async #confirm(stack: string, region: string): Promise<void> {
    if (!(process.stdin.isTTY && process.stderr.isTTY)) {
      throw new UsageError(
        `Refusing to impair stack ${stack}'s cluster in ${region} on AWS without confirmation: there is no terminal to ask on.`,
        {
          advice: `Pass --yes to confirm: ${suggest(`drill region-outage --stack ${stack} --region ${region}`, { last: '--yes' })}`,
        },
      );
    }
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question(
        `Impair stack ${stack}'s cluster in ${region} on AWS (connections refused)? [y/N] `,
      );
      if (!/^y(es)?$/i.test(answer.trim())) throw new UsageError('Drill cancelled.');
    } finally {
      rl.close();
    }
  }
}
