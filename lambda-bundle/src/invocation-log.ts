/**
 * One structured JSON line per invocation, written straight to stdout (not through console, whose
 * Lambda text format would prefix it and stop CloudWatch's JSON filter patterns such as
 * `{ $.level = "ERROR" }` from matching). It names the operation, its outcome (`ok` or the error code),
 * attempts, duration, the request id and the transaction id — never the payload itself, a token or a
 * password. An unexpected failure adds the error with its stack, then is rethrown for Lambda to report.
 */
import type { FunctionAnswer } from '../../src/lib/function-contract.js';

interface LambdaContext {
  awsRequestId?: string;
}

type Handler = (payload: unknown) => Promise<FunctionAnswer>;

/** A short field of the payload (operation names and transaction ids are short; anything else is cut). */
function field(payload: unknown, name: string): string | undefined {
  const value =
    payload && typeof payload === 'object' ? (payload as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value.slice(0, 64) : undefined;
}

function transactionIdOf(answer: FunctionAnswer, payload: unknown): string | undefined {
  if ('transaction' in answer && answer.transaction) return answer.transaction.id;
  if ('transactionId' in answer && typeof answer.transactionId === 'string') return answer.transactionId;
  return field(payload, 'transactionId');
}

function write(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export function withInvocationLog(handler: Handler) {
  return async (payload: unknown, context?: LambdaContext): Promise<FunctionAnswer> => {
    const started = performance.now();
    const base = {
      requestId: context?.awsRequestId,
      operation:
        field(payload, 'detail-type') !== undefined ? 'event' : (field(payload, 'operation') ?? 'unknown'),
    };
    const durationMs = () => Math.round((performance.now() - started) * 10) / 10;
    try {
      const answer = await handler(payload);
      write({
        level: answer.ok ? 'INFO' : 'WARN',
        ...base,
        ...(answer.ok ? { operation: answer.operation } : {}),
        outcome: answer.ok ? 'ok' : answer.error.code,
        ...('attempts' in answer ? { attempts: answer.attempts } : {}),
        durationMs: durationMs(),
        transactionId: transactionIdOf(answer, payload),
      });
      return answer;
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      write({
        level: 'ERROR',
        ...base,
        outcome: 'error',
        durationMs: durationMs(),
        transactionId: field(payload, 'transactionId'),
        error: { name: err.name, message: err.message, stack: err.stack },
      });
      throw error;
    }
  };
}
