/**
 * The local cloud's HTTP server: one port for every service and region. AWS requests are routed by the
 * SigV4 credential scope (signing name → service, region) and pass through the same pipeline: fault
 * injection, the service's handler, its protocol's error shape, the request log. Paths under
 * `/_dsqlctl/` are the local cloud's own (not AWS) API: health, status and database settings (for the
 * operator's bearer), and Lambda's presigned code downloads.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOCAL_ACCOUNT_ID, ServiceError } from './aws.js';
import { REFUSAL_ERRORS, type SigningProtocol } from './identity/sigv4.js';
import { type BodyLimit, bodyLimit, MAX_HEADER_BYTES } from './limits.js';
import { DATABASE_RESTARTED } from './postgres.js';
import { type HttpRequest, type HttpResponse, jsonResponse } from './protocols/http.js';
import type { RequestLog } from './request-log.js';
import type { Cloud, LocalService } from './service.js';

/** Region and signing name from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request`. */
export function credentialScope(
  authorization: string | undefined,
): { region: string; service: string } | undefined {
  const match = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization ?? '');
  return match ? { region: match[1] ?? '', service: match[2] ?? '' } : undefined;
}

/** How long the rest of a refused body is read (and discarded) after the answer, before the connection is cut. */
const DISCARD_GRACE_MS = 10_000;

/** Answers `/_dsqlctl/...` paths; undefined for any other. */
export type ControlHandler = (request: HttpRequest) => Promise<HttpResponse | undefined>;

export interface LocalCloudServer {
  server: Server;
  listen(port: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * The body, counted as it streams: undefined as soon as it passes `limit` bytes — the rest is discarded
 * unread (node dumps it after the answer), so a huge body costs the daemon nothing.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) {
        req.off('data', onData);
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: HttpResponse): void {
  const body = typeof response.body === 'string' ? Buffer.from(response.body) : response.body;
  res.writeHead(response.status, { ...response.headers, 'content-length': String(body.length) });
  res.end(body);
}

const signingProtocol = (service: LocalService): SigningProtocol =>
  service.protocol === 'restJson1' ? 'restJson1' : service.protocol === 'awsQuery' ? 'awsQuery' : 'awsJson';

/** The request as sent: the path and query string split at the first `?`, still percent-encoded. */
function rawTarget(url: string): { path: string; query: string } {
  const at = url.indexOf('?');
  return at === -1 ? { path: url, query: '' } : { path: url.slice(0, at), query: url.slice(at + 1) };
}

/** The service an unsigned request is meant for (to answer it in that service's shape), if any. */
function serviceRecognizing(
  services: Map<string, LocalService>,
  request: HttpRequest,
): LocalService | undefined {
  for (const service of services.values()) {
    try {
      if (service.resolve(request)) return service;
    } catch {
      // not this service's request shape
    }
  }
  return undefined;
}

/**
 * The control paths (`/_dsqlctl/`) answer only the operator: `Authorization: Bearer <operator secret>`.
 * A bearer secret rather than a signature: these paths are the local cloud's own, reached with fetch,
 * on loopback only.
 */
function isOperatorBearer(authorization: string | undefined, secret: string): boolean {
  const presented = Buffer.from(/^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '');
  const expected = Buffer.from(secret);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

export function createLocalCloudServer(options: {
  cloud: Cloud;
  services: Map<string, LocalService>;
  log: RequestLog;
  control: ControlHandler;
}): LocalCloudServer {
  const { cloud, services, log, control } = options;

  /**
   * A service's own control path (Lambda's Code.Location): its URL carries its own signature, so it is
   * answered without the operator's bearer, as AWS's presigned URLs need no credentials.
   */
  function serviceControl(request: HttpRequest): HttpResponse | undefined {
    for (const service of services.values()) {
      const response = service.control?.(request, cloud);
      if (response) return response;
    }
    return undefined;
  }

  /** `tooLarge`: the body passed its limit and was not read; answered with the limit's error. */
  async function serveAws(
    request: HttpRequest,
    raw: { path: string; query: string },
    tooLarge?: BodyLimit,
  ): Promise<HttpResponse> {
    const started = Date.now();
    const requestId = randomUUID();
    const claimed = credentialScope(request.headers.authorization);
    const verification = tooLarge
      ? undefined
      : await cloud.identity.verify(
          { ...raw, method: request.method, headers: request.headers, body: request.body },
          claimed,
          cloud.now(),
        );
    const scope = verification?.ok ? verification : claimed;
    const service = scope ? services.get(scope.service) : serviceRecognizing(services, request);
    if (!service) {
      const message = scope
        ? `The dsqlctl local cloud does not serve the "${scope.service}" service (it serves ${[...services.keys()].join(', ')}).`
        : 'Missing Authentication Token';
      const response = jsonResponse(scope ? 400 : 403, { message });
      response.headers['x-amzn-errortype'] = scope
        ? 'UnknownServiceException'
        : 'MissingAuthenticationTokenException';
      return response;
    }
    const region = scope?.region ?? '';
    let operation = 'Unknown';
    let response: HttpResponse;
    let errorCode: string | undefined;
    try {
      // Inside the try: a request the protocol cannot parse (a malformed percent-encoding in the path,
      // an unknown awsQuery Action) is answered in the protocol's shape and logged like any other.
      if (tooLarge) {
        operation = tooLarge.operation ?? operation;
        throw new ServiceError(tooLarge.code, tooLarge.message, { status: tooLarge.status });
      }
      if (!verification?.ok) {
        const { code, status } =
          REFUSAL_ERRORS[signingProtocol(service)][verification?.refusal ?? 'MissingAuthentication'];
        throw new ServiceError(code, verification?.message ?? 'Missing Authentication Token', { status });
      }
      const { owner } = verification;
      const call = service.resolve(request);
      if (!call) {
        throw new ServiceError(
          'UnknownOperationException',
          `The dsqlctl local cloud does not serve this ${service.signingName} operation: ${service.describeUnknown(request)}.`,
        );
      }
      operation = call.operation;
      const decision = cloud.faults.decide(service.signingName, operation);
      if (decision.kind === 'fail') throw decision.error;
      if (decision.kind === 'throttle') {
        const { code, status } = service.throttling;
        throw new ServiceError(code, 'Rate exceeded', { status });
      }
      if (decision.delayMs > 0) await sleep(decision.delayMs);
      const accessDenied = service.protocol === 'awsQuery' ? 'AccessDenied' : 'AccessDeniedException';
      response = await call.invoke({
        service: service.signingName,
        operation,
        region,
        accountId: LOCAL_ACCOUNT_ID,
        requestId,
        cloud,
        callerArn: owner.caller.arn,
        authorize(input) {
          const denial = cloud.identity.denial(owner, {
            service: service.signingName,
            operation,
            input,
            region,
          });
          if (denial) throw new ServiceError(accessDenied, denial.message, { status: 403 });
        },
      });
    } catch (error) {
      if (!(error instanceof ServiceError)) {
        process.stderr.write(
          `${new Date().toISOString()} ${service.signingName}:${operation} failed: ${(error as Error).stack}\n`,
        );
      }
      // While PostgreSQL is being restarted, SQL fails with ECONNREFUSED: say what happens (503, retried).
      const restarting = cloud.postgres.state !== 'running';
      const serviceError =
        error instanceof ServiceError
          ? error
          : restarting
            ? new ServiceError('ServiceUnavailable', DATABASE_RESTARTED, { status: 503 })
            : new ServiceError('InternalFailure', `The local cloud failed: ${(error as Error).message}`, {
                status: 500,
              });
      response = service.errorResponse(serviceError, requestId);
      errorCode = serviceError.code;
    }
    response.headers['x-amzn-requestid'] = requestId;
    log.append({
      time: new Date(started).toISOString(),
      service: service.signingName,
      region,
      operation,
      status: response.status,
      ...(errorCode ? { error: errorCode } : {}),
      durationMs: Date.now() - started,
    });
    return response;
  }

  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const raw = rawTarget(req.url ?? '/');
        const head = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
        };
        const limit = bodyLimit(credentialScope(req.headers.authorization)?.service, head);
        const body = await readBody(req, limit.bytes);
        const request: HttpRequest = { ...head, body: body ?? Buffer.alloc(0) };
        const isControl = request.path.startsWith('/_dsqlctl/');
        const presigned = isControl && body ? serviceControl(request) : undefined;
        let response: HttpResponse;
        if (!isControl) response = await serveAws(request, raw, body ? undefined : limit);
        else if (!body) response = jsonResponse(limit.status, { message: limit.message });
        else if (presigned) response = presigned;
        else if (
          !isOperatorBearer(
            request.headers.authorization,
            cloud.identity.credentials.operator.secretAccessKey,
          )
        ) {
          response = jsonResponse(403, {
            message:
              "The local cloud's control paths need the operator's key: Authorization: Bearer <secret> (from the home's local-cloud/operator-key.json).",
          });
        } else {
          response =
            (await control(request)) ??
            jsonResponse(404, { message: `No such local cloud path ${request.path}` });
        }
        send(res, response);
        // A client still sending a refused body gets the answer first; past a while, it is cut off.
        if (!body) setTimeout(() => req.destroy(), DISCARD_GRACE_MS).unref();
      } catch (error) {
        send(res, jsonResponse(500, { message: (error as Error).message }));
      }
    })();
  });
  // SDK clients keep connections alive; don't let an idle one hold the port open at close.
  server.keepAliveTimeout = 5_000;

  return {
    server,
    listen: (port) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
