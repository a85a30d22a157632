/**
 * What a local service is, and what the running local cloud offers its handlers (how to add a service:
 * README.md in this folder). The server picks a service by the SigV4 signing name of each request.
 */
import type { ServiceError } from './aws.js';
import type { Faults } from './faults.js';
import type { IdentityGate } from './identity/gate.js';
import type { Postgres } from './postgres.js';
import type { HttpRequest, HttpResponse } from './protocols/http.js';
import type { RequestLog } from './request-log.js';
import type { StateStore } from './state-store.js';

/** What the running local cloud offers every handler. */
export interface Cloud {
  state: StateStore;
  faults: Faults;
  postgres: Postgres;
  /** The endpoint URL clients use (for values such as a function's AWS_ENDPOINT_URL). */
  endpoint: string;
  /** Where the local cloud keeps its files (DSQLCTL_HOME/local-cloud). */
  dir: string;
  /** The DSQL endpoint once the DSQL service has started it (clusters' port, the CA clients trust). */
  dsqlEndpoint?: { port: number; caFile: string; ca: string };
  /** The request log, for work a service does on its own (EventBridge deliveries to targets). */
  log: RequestLog;
  /** Signatures, principals, authorization and role sessions (identity/gate.ts). */
  identity: IdentityGate;
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
  /** The verified caller's ARN (STS GetCallerIdentity answers it). */
  callerArn: string;
  /**
   * Checks the call's IAM authorization on its parsed input (restJson1: path labels merged with the
   * body); throws AccessDenied. Each protocol calls it once the input is parsed, before the handler.
   */
  authorize(input: Record<string, unknown>): void;
}

export interface ResolvedCall {
  operation: string;
  invoke(context: CallContext): Promise<HttpResponse>;
}

/** One tagged resource as the Resource Groups Tagging API lists it. */
export interface TaggedResource {
  arn: string;
  region: string;
  /** `service:type`, the form of GetResources' ResourceTypeFilters: `dsql:cluster`, `events:rule`. */
  resourceType: string;
  tags: Record<string, string>;
}

export interface LocalService {
  signingName: string;
  protocol: 'restJson1' | 'awsQuery' | 'awsJson1_0' | 'awsJson1_1';
  /** Every operation it serves (the identity checks must cover exactly these). */
  operations: readonly string[];
  /** The operation this request names, or undefined when the local cloud does not serve it. */
  resolve(request: HttpRequest): ResolvedCall | undefined;
  /** How to name an unserved request in the error message. */
  describeUnknown(request: HttpRequest): string;
  errorResponse(error: ServiceError, requestId: string): HttpResponse;
  /** The error code and status this service's SDK client retries as throttling. */
  throttling: { code: string; status: number };
  /** Resources per region for `local status` (`global` for IAM): `{ 'us-east-1': { clusters: 2 } }`. */
  counts?(cloud: Cloud): Record<string, Record<string, number>>;
  /** Its tagged resources, for the Resource Groups Tagging API (`services/tagging/`). */
  taggedResources?(cloud: Cloud): TaggedResource[];
  /**
   * Answers one of the service's own `/_dsqlctl/` paths, else undefined. These URLs carry their own
   * signature (Lambda's presigned code downloads), so the server serves them without the operator's bearer.
   */
  control?(request: HttpRequest, cloud: Cloud): HttpResponse | undefined;
  /** Background work (start after the state is loaded; stop before the process exits). */
  start?(cloud: Cloud): Promise<void>;
  stop?(): Promise<void>;
}
