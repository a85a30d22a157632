/**
 * The local cloud's services, keyed by SigV4 signing name. The server reads the signing name and the
 * region from each request's credential scope (`Credential=AKID/<date>/<region>/<service>/aws4_request`),
 * picks the service here, asks it which operation the request names, and runs it. Fault injection
 * (delays, throttling, failing the Nth call) and the request log wrap every call in server.ts, the same
 * for every service: a service only implements its operations.
 *
 * ## How to add a service
 * 1. Create `services/<name>.ts` exporting a `LocalService` built with the protocol helper the real
 *    service speaks (check its model in @aws-sdk/client-<name>/dist-cjs: the `@http` traits, error
 *    codes and their HTTP statuses):
 *    - `restJson1Service({ signingName, throttling, operations: { Op: { method, path, handler } } })`
 *      (protocols/rest-json1.ts) — DSQL, Lambda. A handler gets `{ params, query, body, raw, header }`
 *      and returns the output object, or `new RawResponse({ status, headers, body })` for blob
 *      payloads and custom headers (Lambda Invoke's `X-Amz-Function-Error`); `payload: 'raw'` on an
 *      operation skips JSON parsing of a blob request body (read `input.raw`).
 *    - `awsQueryService({ signingName, xmlNamespace, operations: { Op: (input, ctx) => output } })`
 *      (protocols/aws-query.ts) — IAM, STS. Input arrives nested (`Tags.member.1.Key` → `Tags[0].Key`).
 *    - `awsJsonService({ signingName, version: '1.1', targetPrefix: 'AWSEvents', throttling,
 *      operations })` (protocols/aws-json.ts) — EventBridge.
 * 2. Fail with `throw new ServiceError(code, message, { status, fields })` (aws.ts): each protocol
 *    answers it in its own error shape so the SDK throws the modelled class (`ResourceNotFoundException`;
 *    for awsQuery the code is the short one, `NoSuchEntity`). Any other thrown error is answered as an
 *    InternalFailure (500) and logged.
 * 3. Keep durable data in the shared state store: `ctx.cloud.state.read('<ns>', init)` returns the
 *    namespace's live object for reads; change it only inside
 *    `await ctx.cloud.state.update('<ns>', init, (data) => { ...mutate... })`, which serializes writers
 *    and persists atomically (a kill -9 at any instant keeps either the old or the new document).
 *    Do slow work (processes, SQL) before or after an update, not inside it, when you can.
 * 4. Time: use `ctx.cloud.now()` and `ctx.cloud.faults.durationMs('<service>:<Transition>')` for how long
 *    a state transition takes (scaled by the time scale; add your default to DEFAULT_DURATIONS in
 *    faults.ts). Prefer storing "ready at" timestamps and settling lazily on reads over timers: it
 *    survives restarts for free.
 * 5. Register it in `SERVICES` below (and background work, if any, through `start`/`stop`).
 * Tests drive it through the real SDK client: `startTestLocalCloud({ home, faults })` from index.ts.
 */
import type { ServiceError } from './aws.js';
import type { Faults } from './faults.js';
import type { Postgres } from './postgres.js';
import type { HttpRequest, HttpResponse } from './protocols/http.js';
import type { RequestLog } from './request-log.js';
import { dsqlService } from './services/dsql.js';
import { eventsService } from './services/events.js';
import { iamService } from './services/iam.js';
import { lambdaService } from './services/lambda.js';
import { stsService } from './services/sts.js';
import type { StateStore } from './state.js';

/** What the running local cloud offers every handler. */
export interface Cloud {
  state: StateStore;
  faults: Faults;
  postgres: Postgres;
  /** The endpoint URL clients use (for values such as a function's AWS_ENDPOINT_URL). */
  endpoint: string;
  /** Where the local cloud keeps its files (DSQLCTL_HOME/local-cloud). */
  dir: string;
  /** The request log, for work a service does on its own (EventBridge deliveries to targets). */
  log: RequestLog;
  now(): number;
}

export interface CallContext {
  service: string;
  operation: string;
  /** From the request's SigV4 credential scope. */
  region: string;
  accountId: string;
  requestId: string;
  cloud: Cloud;
}

export interface ResolvedCall {
  operation: string;
  invoke(context: CallContext): Promise<HttpResponse>;
}

export interface LocalService {
  signingName: string;
  protocol: 'restJson1' | 'awsQuery' | 'awsJson1_0' | 'awsJson1_1';
  /** The operation this request names, or undefined when the local cloud does not serve it. */
  resolve(request: HttpRequest): ResolvedCall | undefined;
  /** How to name an unserved request in the error message. */
  describeUnknown(request: HttpRequest): string;
  errorResponse(error: ServiceError, requestId: string): HttpResponse;
  /** The error code and status this service's SDK client retries as throttling. */
  throttling: { code: string; status: number };
  /** Resources per region for `local status` (`global` for IAM): `{ 'us-east-1': { clusters: 2 } }`. */
  counts?(cloud: Cloud): Record<string, Record<string, number>>;
  /** Background work (start after the state is loaded; stop before the process exits). */
  start?(cloud: Cloud): Promise<void>;
  stop?(): Promise<void>;
}

export const SERVICES: readonly LocalService[] = [
  dsqlService,
  iamService,
  stsService,
  // Before Lambda: stopping EventBridge first lets in-flight deliveries reach the function workers.
  eventsService,
  lambdaService,
];

export function serviceRegistry(services: readonly LocalService[] = SERVICES): Map<string, LocalService> {
  return new Map(services.map((s) => [s.signingName, s]));
}
