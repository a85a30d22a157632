/**
 * The local cloud's HTTP server: one port for every service and region. AWS requests are routed by the
 * SigV4 credential scope (signing name → service, region) and pass through the same pipeline: fault
 * injection, the service's handler, its protocol's error shape, the request log. Paths under
 * `/_dsqlctl/` are the local cloud's own (not AWS) API: health, status and database settings.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOCAL_ACCOUNT_ID, ServiceError } from './aws.js';
import { type HttpRequest, type HttpResponse, jsonResponse } from './protocols/http.js';
import type { Cloud, LocalService } from './registry.js';
import type { RequestLog } from './request-log.js';

/** Region and signing name from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request`. */
export function credentialScope(
  authorization: string | undefined,
): { region: string; service: string } | undefined {
  const match = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization ?? '');
  return match ? { region: match[1] ?? '', service: match[2] ?? '' } : undefined;
}

/** Answers `/_dsqlctl/...` paths; undefined for any other. */
export type ControlHandler = (request: HttpRequest) => Promise<HttpResponse | undefined>;

export interface LocalCloudServer {
  server: Server;
  listen(port: number): Promise<number>;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: HttpResponse): void {
  const body = typeof response.body === 'string' ? Buffer.from(response.body) : response.body;
  res.writeHead(response.status, { ...response.headers, 'content-length': String(body.length) });
  res.end(body);
}

export function createLocalCloudServer(options: {
  cloud: Cloud;
  services: Map<string, LocalService>;
  log: RequestLog;
  control: ControlHandler;
}): LocalCloudServer {
  const { cloud, services, log, control } = options;

  async function serveAws(request: HttpRequest): Promise<HttpResponse> {
    const started = Date.now();
    const requestId = randomUUID();
    const scope = credentialScope(request.headers.authorization);
    const service = scope ? services.get(scope.service) : undefined;
    if (!scope || !service) {
      const message = scope
        ? `The dsqlctl local cloud does not serve the "${scope.service}" service (it serves ${[...services.keys()].join(', ')}).`
        : 'Missing SigV4 Authorization header: sign the request with any credentials.';
      const response = jsonResponse(400, { message });
      response.headers['x-amzn-errortype'] = scope ? 'UnknownServiceException' : 'MissingAuthenticationToken';
      return response;
    }
    let operation = 'Unknown';
    let response: HttpResponse;
    let errorCode: string | undefined;
    try {
      // Inside the try: a request the protocol cannot parse (a malformed percent-encoding in the path,
      // an unknown awsQuery Action) is answered in the protocol's shape and logged like any other.
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
      response = await call.invoke({
        service: service.signingName,
        operation,
        region: scope.region,
        accountId: LOCAL_ACCOUNT_ID,
        requestId,
        cloud,
      });
    } catch (error) {
      if (!(error instanceof ServiceError)) {
        process.stderr.write(
          `${new Date().toISOString()} ${service.signingName}:${operation} failed: ${(error as Error).stack}\n`,
        );
      }
      const serviceError =
        error instanceof ServiceError
          ? error
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
      region: scope.region,
      operation,
      status: response.status,
      ...(errorCode ? { error: errorCode } : {}),
      durationMs: Date.now() - started,
    });
    return response;
  }

  const server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const request: HttpRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: await readBody(req),
        };
        const response = request.path.startsWith('/_dsqlctl/')
          ? ((await control(request)) ??
            jsonResponse(404, { message: `No such local cloud path ${request.path}` }))
          : await serveAws(request);
        send(res, response);
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
