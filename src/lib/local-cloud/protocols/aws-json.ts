/**
 * awsJson1_0 / awsJson1_1 (EventBridge is 1.1): every call is `POST /` with
 * `X-Amz-Target: <Prefix>.<Operation>` and a JSON body; the answer is JSON. Errors: HTTP status,
 * `x-amzn-errortype` and a body `{"__type": "<Code>", "message": "…"}`.
 */
import { ServiceError } from '../aws.js';
import type { CallContext, LocalService, ResolvedCall } from '../service.js';
import { type HttpResponse, header, InvalidRequestInput, jsonResponse, parseJsonBody } from './http.js';
import { type InputModel, InputViolation, validateInput } from './validate-input.js';

export type JsonInput = Record<string, unknown>;
export type JsonOutput = Record<string, unknown> | undefined;

export interface AwsJsonServiceOptions {
  signingName: string;
  /** `1.1` for EventBridge. */
  version: '1.0' | '1.1';
  /** The X-Amz-Target prefix: `AWSEvents` for EventBridge. */
  targetPrefix: string;
  operations: Record<string, (input: JsonInput, context: CallContext) => Promise<JsonOutput> | JsonOutput>;
  /** EventBridge: ThrottlingException (400). */
  throttling: { code: string; status: number };
  /** The input shapes and constraints every request is checked against before its handler runs. */
  model: () => Promise<InputModel>;
  /**
   * The code the service answers input it cannot accept with: EventBridge's ValidationException (the
   * default); CloudWatch Logs and the tagging API model InvalidParameterException instead.
   */
  validationError?: string;
}

function parseBody(body: Buffer, code: string): JsonInput | undefined {
  try {
    return parseJsonBody(body);
  } catch (error) {
    if (error instanceof InvalidRequestInput) throw new ServiceError(code, error.message);
    throw error;
  }
}

export function awsJsonService(options: AwsJsonServiceOptions): LocalService {
  const contentType = `application/x-amz-json-${options.version}`;
  const validationError = options.validationError ?? 'ValidationException';
  let model: Promise<InputModel> | undefined;
  const targetOf = (request: Parameters<LocalService['resolve']>[0]) => header(request, 'x-amz-target') ?? '';
  return {
    signingName: options.signingName,
    protocol: options.version === '1.1' ? 'awsJson1_1' : 'awsJson1_0',
    operations: Object.keys(options.operations),
    resolve(request): ResolvedCall | undefined {
      const [prefix, operation = ''] = targetOf(request).split('.');
      if (prefix !== options.targetPrefix || !Object.hasOwn(options.operations, operation)) return undefined;
      const handler = options.operations[operation];
      if (!handler) return undefined;
      return {
        operation,
        async invoke(context) {
          const body = parseBody(request.body, validationError);
          if (!body)
            throw new ServiceError('SerializationException', 'The request body is not a JSON object.');
          let input: JsonInput;
          try {
            model ??= options.model();
            input = validateInput(await model, operation, body, 'json');
          } catch (error) {
            if (error instanceof InputViolation) throw new ServiceError(validationError, error.message);
            throw error;
          }
          context.authorize(input);
          return jsonResponse(200, (await handler(input, context)) ?? {}, contentType);
        },
      };
    },
    describeUnknown: (request) => `X-Amz-Target: ${targetOf(request) || '(none)'}`,
    errorResponse(error: ServiceError): HttpResponse {
      const response = jsonResponse(
        error.status,
        { __type: error.code, message: error.message, ...error.fields },
        contentType,
      );
      response.headers['x-amzn-errortype'] = error.code;
      return response;
    },
    throttling: options.throttling,
  };
}
