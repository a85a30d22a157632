/**
 * restJson1 (DSQL, Lambda): the operation is chosen by method + path template, input comes from path
 * labels, the query string and a JSON body; output is a JSON body. Errors: HTTP status from the model,
 * `x-amzn-errortype: <Code>` and a JSON body with the message and the exception's members.
 */
import { ServiceError } from '../aws.js';
import type { CallContext, LocalService, ResolvedCall } from '../service.js';
import {
  type HttpRequest,
  type HttpResponse,
  header,
  InvalidRequestInput,
  jsonResponse,
  nullRecord,
  parseJsonBody,
} from './http.js';
import { type InputModel, InputViolation, restBindings, validateInput } from './validate-input.js';

export interface RestJsonInput {
  /** Path labels, percent-decoded: `/cluster/{identifier}` → `{ identifier }`. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body (`{}` when empty); `raw` is the bytes, for blob payloads (Lambda Invoke). */
  body: Record<string, unknown>;
  raw: Buffer;
  header(name: string): string | undefined;
}

/** A handler returns its output object (sent as JSON with the operation's status) or a raw response. */
export type RestJsonResult = Record<string, unknown> | undefined | RawResponse;

export class RawResponse {
  constructor(readonly response: HttpResponse) {}
}

export interface RestJsonOperation {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD';
  /** Smithy-style template; `{name+}` is a greedy label spanning several segments. */
  path: string;
  /** Success status from the model's `@http` trait (default 200). */
  status?: number;
  /** `raw`: the body is a blob payload (Lambda Invoke's), not parsed; read `input.raw`. Default `json`. */
  payload?: 'json' | 'raw';
  handler(input: RestJsonInput, context: CallContext): Promise<RestJsonResult> | RestJsonResult;
}

export interface RestJsonServiceOptions {
  signingName: string;
  operations: Record<string, RestJsonOperation>;
  /** Error code and status the SDK retries as throttling (DSQL: ThrottlingException 429). */
  throttling: { code: string; status: number };
  /** Member carrying the error message: `message` for most services, `Message` for Lambda. */
  messageMember?: string;
  /**
   * The code of the service's validation error, for input it cannot parse (a malformed path, a
   * forbidden member name): DSQL's ValidationException (the default); Lambda's is
   * InvalidParameterValueException.
   */
  validationError?: string;
  /** The input shapes and constraints every request is checked against before its handler runs. */
  model: () => Promise<InputModel>;
  /** Members the service's ValidationException carries for a failed constraint (DSQL's fieldList). */
  violationFields?: (field: string, message: string) => Record<string, unknown>;
}

/**
 * The whole input of a request as the model names it (labels, query strings, headers and body
 * members), checked; the handler gets the checked body. Text-borne members are converted to their type.
 */
function checkedBody(
  model: InputModel,
  operation: string,
  request: HttpRequest,
  params: Record<string, string>,
  body: Record<string, unknown>,
): Record<string, unknown> {
  const input = nullRecord();
  const text = new Set<string>();
  for (const binding of restBindings(model, operation)) {
    const { member } = binding;
    let value: unknown;
    if (binding.label) value = params[member];
    else if (binding.query !== undefined)
      value = binding.list ? request.query.getAll(binding.query) : request.query.get(binding.query);
    else if (binding.header !== undefined) value = header(request, binding.header);
    else if (binding.payload) continue;
    else {
      value = Object.hasOwn(body, member) ? body[member] : undefined;
      if (value !== undefined) input[member] = value;
      continue;
    }
    if (binding.list && Array.isArray(value) && value.length === 0) continue;
    if (value === undefined || value === null) continue;
    text.add(member);
    input[member] = value;
  }
  return validateInput(model, operation, input, 'json', text);
}

interface CompiledRoute {
  operation: string;
  spec: RestJsonOperation;
  segments: string[];
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

/** A path segment, percent-decoded; a malformed encoding (`%ZZ`, a cut UTF-8 sequence) is the caller's error. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new InvalidRequestInput(`The path segment "${segment}" is not valid percent-encoded UTF-8.`);
  }
}

function match(route: CompiledRoute, method: string, segments: string[]): Record<string, string> | undefined {
  if (route.spec.method !== method) return undefined;
  const params = nullRecord<string>();
  for (let i = 0; i < route.segments.length; i++) {
    const pattern = route.segments[i] ?? '';
    const label = /^\{(\w+)(\+?)\}$/.exec(pattern);
    if (label?.[2] === '+') {
      if (i >= segments.length) return undefined;
      params[label[1] ?? ''] = segments.slice(i).map(decodeSegment).join('/');
      return params;
    }
    const segment = segments[i];
    if (segment === undefined) return undefined;
    if (label) params[label[1] ?? ''] = decodeSegment(segment);
    else if (pattern !== segment) return undefined;
  }
  return segments.length === route.segments.length ? params : undefined;
}

export function restJson1Service(options: RestJsonServiceOptions): LocalService {
  const messageMember = options.messageMember ?? 'message';
  const validationError = options.validationError ?? 'ValidationException';
  let model: Promise<InputModel> | undefined;
  const invalid = (error: unknown) =>
    error instanceof InvalidRequestInput ? new ServiceError(validationError, error.message) : error;
  // Literal segments beat labels: try templates with more literal segments first.
  const routes: CompiledRoute[] = Object.entries(options.operations)
    .map(([operation, spec]) => ({ operation, spec, segments: splitPath(spec.path) }))
    .sort(
      (a, b) =>
        b.segments.filter((s) => !s.startsWith('{')).length -
        a.segments.filter((s) => !s.startsWith('{')).length,
    );

  const errorResponse = (error: ServiceError): HttpResponse => {
    const response = jsonResponse(error.status, { [messageMember]: error.message, ...error.fields });
    response.headers['x-amzn-errortype'] = error.code;
    return response;
  };

  return {
    signingName: options.signingName,
    protocol: 'restJson1',
    operations: Object.keys(options.operations),
    resolve(request: HttpRequest): ResolvedCall | undefined {
      const segments = splitPath(request.path);
      for (const route of routes) {
        let params: Record<string, string> | undefined;
        try {
          params = match(route, request.method, segments);
        } catch (error) {
          throw invalid(error);
        }
        if (!params) continue;
        return {
          operation: route.operation,
          async invoke(context) {
            let body: Record<string, unknown> | undefined;
            try {
              body = route.spec.payload === 'raw' ? nullRecord() : parseJsonBody(request.body);
            } catch (error) {
              throw invalid(error);
            }
            if (body === undefined) {
              throw new ServiceError('SerializationException', 'The request body is not a JSON object.');
            }
            try {
              model ??= options.model();
              body = checkedBody(await model, route.operation, request, params, body);
            } catch (error) {
              // Lambda and DSQL both answer a member that fails its constraints with ValidationException.
              if (error instanceof InputViolation) {
                throw new ServiceError('ValidationException', error.message, {
                  fields: options.violationFields?.(error.field, error.message) ?? {},
                });
              }
              throw error;
            }
            context.authorize({ ...body, ...params });
            const input: RestJsonInput = {
              params,
              query: request.query,
              body,
              raw: request.body,
              header: (name) => header(request, name),
            };
            const result = await route.spec.handler(input, context);
            if (result instanceof RawResponse) return result.response;
            return jsonResponse(route.spec.status ?? 200, result ?? {});
          },
        };
      }
      return undefined;
    },
    describeUnknown: (request) => `${request.method} ${request.path}`,
    errorResponse,
    throttling: options.throttling,
  };
}
