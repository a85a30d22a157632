/**
 * The one path from the CLI to a deployed transaction function: a synchronous Lambda `Invoke`, with
 * every way it can fail turned into a typed error. Lambda answers HTTP 200 even when the handler threw,
 * so `FunctionError` is checked first; then the function's own `{ok: false}` answers.
 */

import type { InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { suggest } from '../advice.js';
import { FunctionReportedError, isAwsError, UsageError } from '../errors.js';
import type { FunctionAnswer as ContractAnswer, FunctionFailure } from '../function-contract.js';
import { stackNames } from '../stack.js';
import type { Target } from '../target.js';

type LambdaSdk = typeof import('@aws-sdk/client-lambda');

/** The function's successful answers, as its contract defines them. */
export type FunctionAnswer = Exclude<ContractAnswer, FunctionFailure>;

/** The function answered `{ok: false, error: {code, message}}`: exit 6, with the code kept for callers. */
export class FunctionRefusedError extends FunctionReportedError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Invocations one invoker keeps in flight per region (`txn load --concurrency` is bounded by it). The
 * SDK's own default is 50 sockets per client, which would silently cap a higher concurrency.
 */
export const MAX_CONCURRENT_INVOCATIONS = 256;

/** One invocation's answer and how long the round trip took, as the caller saw it. */
interface Invocation<A extends FunctionAnswer = FunctionAnswer> {
  answer: A;
  latencyMs: number;
  logTail?: string;
}

/**
 * Invokes a stack's function in any of its regions, reusing one Lambda client per region (the SDK
 * keeps connections alive), so verify and load runs pay the TLS and credential setup once.
 */
export class FunctionInvoker {
  readonly #clients = new Map<string, LambdaClient>();
  /** The Lambda SDK, loaded by the first invocation (the commands' --help never needs it), then kept. */
  #sdk?: LambdaSdk;
  #sdkLoading?: Promise<LambdaSdk>;
  readonly #functionName: string;

  constructor(
    readonly target: Target,
    readonly stack: string,
  ) {
    this.#functionName = stackNames(stack).functionName;
  }

  async invoke<A extends FunctionAnswer = FunctionAnswer>(
    region: string,
    payload: Record<string, unknown>,
    options: { tail?: boolean | undefined } = {},
  ): Promise<Invocation<A>> {
    const { InvokeCommand, LambdaClient } = this.#sdk ?? (await this.#loadSdk());
    const client = this.#client(region, LambdaClient);
    const started = performance.now();
    let response: InvokeCommandOutput;
    try {
      response = await client.send(
        new InvokeCommand({
          FunctionName: this.#functionName,
          InvocationType: 'RequestResponse',
          ...(options.tail ? { LogType: 'Tail' as const } : {}),
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      );
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) {
        throw new UsageError(`Function ${this.#functionName} not found in ${region}.`, {
          cause: error,
          advice: `Deploy the stack first: ${suggest(`up --stack ${this.stack}`)}`,
        });
      }
      throw error;
    }
    const latencyMs = performance.now() - started;
    const body = parsePayload(response.Payload);
    const logTail =
      response.LogResult === undefined
        ? undefined
        : Buffer.from(response.LogResult, 'base64').toString('utf8');
    // With --logs, a failed invocation shows its own log lines too: that is when they matter most.
    const withTail = (message: string) =>
      logTail ? `${message}\nIts log lines (LogResult):\n${logTail.trimEnd()}` : message;
    if (response.FunctionError) {
      const { errorType, errorMessage } = (body ?? {}) as { errorType?: string; errorMessage?: string };
      throw new FunctionReportedError(
        withTail(
          `Function ${this.#functionName} in ${region} failed (${response.FunctionError}): ${errorType ? `${errorType}: ` : ''}${errorMessage ?? 'no error message'}`,
        ),
        { advice: `Its logs are in CloudWatch Logs: ${stackNames(this.stack).logGroup} (${region}).` },
      );
    }
    if (isRefusal(body)) {
      throw new FunctionRefusedError(
        body.error.code,
        withTail(
          `Function ${this.#functionName} in ${region} refused the request: ${body.error.message} (${body.error.code})`,
        ),
      );
    }
    if (!isAnswer(body)) {
      throw new FunctionReportedError(
        `Function ${this.#functionName} in ${region} answered something that is not a dsqlctl answer: ${JSON.stringify(body)?.slice(0, 200)}`,
        { advice: `Redeploy the function: ${suggest(`up --stack ${this.stack}`)}` },
      );
    }
    return { answer: body as A, latencyMs, ...(logTail !== undefined ? { logTail } : {}) };
  }

  /** Closes every client's sockets, so a short-lived command exits at once. */
  close(): void {
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
  }

  async #loadSdk(): Promise<LambdaSdk> {
    this.#sdkLoading ??= import('@aws-sdk/client-lambda');
    this.#sdk = await this.#sdkLoading;
    return this.#sdk;
  }

  /** Synchronous, so invocations started together in a new region find the first one's client. */
  #client(region: string, Lambda: typeof LambdaClient): LambdaClient {
    let client = this.#clients.get(region);
    if (!client) {
      const agent = { maxSockets: MAX_CONCURRENT_INVOCATIONS };
      client = new Lambda({
        ...this.target.clientConfig(region),
        requestHandler: { httpAgent: agent, httpsAgent: agent },
      });
      this.#clients.set(region, client);
    }
    return client;
  }
}

function parsePayload(payload: Uint8Array | undefined): unknown {
  if (!payload || payload.length === 0) return undefined;
  const text = new TextDecoder().decode(payload);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isRefusal(body: unknown): body is FunctionFailure {
  return (
    typeof body === 'object' &&
    body !== null &&
    (body as { ok?: unknown }).ok === false &&
    typeof (body as { error?: { message?: unknown } }).error?.message === 'string'
  );
}

function isAnswer(body: unknown): body is FunctionAnswer {
  return typeof body === 'object' && body !== null && (body as { ok?: unknown }).ok === true;
}
