import { Flags } from '@oclif/core';
import { BaseCommand, stackFlag } from '../../lib/base-command.js';
import { failureReport } from '../../lib/errors.js';
import { interruption, stopOnSignals } from '../../lib/interrupt.js';
import { regionFlag } from '../../lib/txn/flags.js';
import { parseCount, parseScope } from '../../lib/txn/inputs.js';
import {
  EARLY_STOP_AFTER,
  LOAD_LIMITS,
  type LoadProgress,
  type LoadReport,
  runLoad,
} from '../../lib/txn/load.js';

/** Piped (CI logs), a progress line this often, so a long run is never silent. */
const PIPED_PROGRESS_MS = 5_000;

export default class TxnLoad extends BaseCommand {
  static override summary =
    'Drive N creates through the function with C in flight; report throughput, latency and OCC retries.';
  static override description =
    'A run with failures still reports what it measured (throttled calls counted apart) and exits with ' +
    `its first failure's code: 1 for throttling, 6 for a function error. When the first ${EARLY_STOP_AFTER} ` +
    'invocations all fail for the same reason, the rest are not started. On a terminal: a progress bar and ' +
    'a latency histogram; piped: a progress line every 5 s. Ctrl-C or SIGTERM stops after the invocations ' +
    'in flight (exit 130/143) and reports them.';
  static override examples = [
    '<%= config.bin %> txn load --count 1000 --concurrency 16',
    '<%= config.bin %> txn load --count 500 --report load.html',
  ];
  static override flags = {
    stack: stackFlag,
    region: regionFlag,
    count: Flags.integer({
      description: `How many transactions to create (1–${LOAD_LIMITS.count}).`,
      default: 100,
    }),
    concurrency: Flags.integer({
      description: `Invocations in flight (1–${LOAD_LIMITS.concurrency}).`,
      default: 8,
    }),
    report: Flags.string({
      description:
        'Also write a self-contained HTML report (availability and p50/p99 latency per second) to this file.',
    }),
  };

  async run(): Promise<LoadReport> {
    const { flags } = await this.parse(TxnLoad);
    // Loaded here, not with every command: it brings the table library.
    const { progressLine, progressText, renderHistogram, renderLoad } = await import(
      '../../lib/txn/render.js'
    );
    stopOnSignals((line) => process.stderr.write(`${line}\n`));
    const scope = parseScope(flags);
    const count = parseCount(flags.count, '--count', LOAD_LIMITS.count);
    const concurrency = parseCount(flags.concurrency, '--concurrency', LOAD_LIMITS.concurrency);
    const html = flags.report === undefined ? undefined : await import('../../lib/drill/html.js');
    const reportFile = flags.report === undefined ? undefined : html?.checkReportFile(flags.report);
    // A progress bar for a person watching a terminal; piped, a line every few seconds; --json: neither.
    const bar = process.stderr.isTTY && !this.jsonEnabled();
    let latest: LoadProgress | undefined;
    const ticker = bar
      ? undefined
      : setInterval(() => {
          if (latest && !this.jsonEnabled()) process.stderr.write(`${progressText(latest, count)}\n`);
        }, PIPED_PROGRESS_MS);
    let run: Awaited<ReturnType<typeof runLoad>>;
    try {
      run = await runLoad(await this.target(flags), scope, {
        count,
        concurrency,
        onProgress: (progress) => {
          latest = progress;
          if (bar) process.stderr.write(progressLine(progress.done, count));
        },
      });
    } finally {
      clearInterval(ticker);
    }
    if (bar) process.stderr.write('\n');
    const { report } = run;
    if (html && reportFile) {
      const { loadPage } = await import('../../lib/txn/load-page.js');
      html.writeReportHtml(reportFile, loadPage(report));
    }
    await this.show(() => renderLoad(report));
    if (process.stdout.isTTY && run.latencies.length > 0)
      await this.show(() => renderHistogram(run.latencies));
    const interrupted = interruption();
    if (interrupted) {
      await this.reportFailure(failureReport(interrupted, interrupted.message));
    } else if (run.firstError !== undefined) {
      // The exit code and advice of the first failure's root cause: throttling 1, a function error 6.
      const why = report.stoppedEarly
        ? `stopped early: the first ${EARLY_STOP_AFTER} invocations all failed the same way`
        : `${report.succeeded} succeeded at ${report.throughputPerSecond.toFixed(1)}/s`;
      const throttled = report.throttled > 0 ? `, ${report.throttled} throttled` : '';
      await this.reportFailure(
        failureReport(
          run.firstError,
          `${report.failed} of ${count} invocations failed${throttled} (${why}). First failure: ${report.firstFailure}`,
        ),
      );
    }
    return report;
  }
}
