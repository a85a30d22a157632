/**
 * The lines Lambda writes around an invocation's own output, as AWS's Node runtime writes them:
 * `START RequestId: <id> Version: $LATEST`, the function's lines, Lambda's error lines when it threw,
 * timed out or crashed, `END RequestId: <id>` and the tab-separated REPORT line (with Init Duration
 * on a cold start). And `LogType: Tail`'s LogResult: the last 4 KB of those lines, base64.
 */
import type { InvocationOutcome } from './execution/pool.js';

type Line = { timestamp: number; message: string };

const TAIL_BYTES = 4096;

function errorLines(requestId: string, outcome: InvocationOutcome, timeoutMs: number): Line[] {
  const at = outcome.endedAt;
  const iso = new Date(at).toISOString();
  switch (outcome.ending) {
    case 'threw': {
      const error = JSON.parse(outcome.payload) as {
        errorType: string;
        errorMessage: string;
        trace: string[];
      };
      const body = { errorType: error.errorType, errorMessage: error.errorMessage, stack: error.trace };
      return [
        { timestamp: at, message: `${iso}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify(body)}\n` },
      ];
    }
    case 'timeout':
      return [
        {
          timestamp: at,
          message: `${iso} ${requestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds\n`,
        },
      ];
    case 'crash': {
      const { errorMessage } = JSON.parse(outcome.payload) as { errorMessage: string };
      return [{ timestamp: at, message: `${errorMessage}\nRuntime.ExitError\n` }];
    }
    default:
      return [];
  }
}

/** Every line of one invocation, in order, ready for its log stream. */
export function invocationLines(
  requestId: string,
  outcome: InvocationOutcome,
  memorySizeMb: number,
  timeoutMs: number,
): Line[] {
  const elapsed = outcome.report?.durationMs ?? outcome.endedAt - outcome.startedAt;
  const duration = Math.min(elapsed, timeoutMs);
  const init = outcome.report?.initMs;
  // Since August 2025 Lambda bills the init phase of on-demand functions too.
  const billed = Math.ceil(duration) + (init === undefined ? 0 : Math.ceil(init));
  const report = [
    `REPORT RequestId: ${requestId}`,
    `Duration: ${duration.toFixed(2)} ms`,
    `Billed Duration: ${billed} ms`,
    `Memory Size: ${memorySizeMb} MB`,
    `Max Memory Used: ${outcome.report?.maxMemoryMb ?? memorySizeMb} MB`,
    ...(init === undefined ? [] : [`Init Duration: ${init.toFixed(2)} ms`]),
    ...(outcome.ending === 'timeout' ? ['Status: timeout'] : []),
  ].join('\t');
  return [
    { timestamp: outcome.startedAt, message: `START RequestId: ${requestId} Version: $LATEST\n` },
    ...outcome.lines,
    ...errorLines(requestId, outcome, timeoutMs),
    { timestamp: outcome.endedAt, message: `END RequestId: ${requestId}\n` },
    { timestamp: outcome.endedAt, message: `${report}\t\n` },
  ];
}

/** LogResult: the last 4 KB of the invocation's lines, base64 (cut on a character boundary). */
export function logTail(lines: Line[]): string {
  const bytes = Buffer.from(lines.map((l) => l.message).join(''), 'utf8');
  let start = Math.max(0, bytes.length - TAIL_BYTES);
  while (start < bytes.length && ((bytes[start] as number) & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('base64');
}
