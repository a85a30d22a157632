import { Flags } from '@oclif/core';
import { stackFlag } from '../../lib/base-command.js';
import { junitFlag, VerifyCommand } from '../../lib/verify/command.js';
import { parseDuration } from '../../lib/verify/duration.js';
import { type EventsReport, verifyEvents } from '../../lib/verify/events.js';
import { parseVerifyScope } from '../../lib/verify/inputs.js';
import { eventsSuite, type JUnitSuite } from '../../lib/verify/junit.js';
import { renderEvents } from '../../lib/verify/render.js';

export default class VerifyEvents extends VerifyCommand<EventsReport> {
  static override summary =
    "Create a transaction in each region and wait until the peer's function has recorded its event.";
  static override description = 'Exit 5 when an event does not arrive within --timeout.';
  static override examples = [
    '<%= config.bin %> verify events',
    '<%= config.bin %> verify events --timeout 10s --json',
  ];
  static override flags = {
    stack: stackFlag,
    regions: Flags.string({ description: "The two regions, comma-separated (default: the stack's)." }),
    timeout: Flags.string({
      description: 'How long to wait for each event (e.g. 30s, 500ms, 2m).',
      default: '30s',
    }),
    junit: junitFlag,
  };

  async run(): Promise<EventsReport> {
    const { flags } = await this.parse(VerifyEvents);
    const scope = parseVerifyScope(flags);
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    const target = await this.target(flags);
    return this.verify(flags.junit, () => verifyEvents(target, { ...scope, timeoutMs }));
  }

  protected render(report: EventsReport): string {
    return renderEvents(report);
  }

  protected junitSuites(report: EventsReport): JUnitSuite[] {
    return [eventsSuite(report)];
  }
}
