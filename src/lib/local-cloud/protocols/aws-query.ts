/**
 * awsQuery (IAM, STS): a form-encoded POST naming `Action`; nested input is flattened
 * (`Tags.member.1.Key=k`); the answer is XML `<OpResponse><OpResult>…</OpResult><ResponseMetadata>`;
 * errors are `<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>…`.
 */
import { ServiceError } from '../aws.js';
import type { CallContext, LocalService, ResolvedCall } from '../service.js';
import {
  checkMemberName,
  type HttpRequest,
  type HttpResponse,
  InvalidRequestInput,
  nullRecord,
} from './http.js';
import { type InputModel, InputViolation, validateInput } from './validate-input.js';

/** Input as a nested object: `member.N` lists become arrays, `entry.N.key/value` maps become objects. */
export type QueryInput = Record<string, unknown>;
export type QueryOutput = Record<string, unknown> | undefined;

export interface AwsQueryServiceOptions {
  signingName: string;
  xmlNamespace: string;
  operations: Record<string, (input: QueryInput, context: CallContext) => Promise<QueryOutput> | QueryOutput>;
  /** IAM and STS answer `Throttling` (400), which the SDK retries. */
  throttling?: { code: string; status: number };
  /** The input shapes and constraints every request is checked against before its handler runs. */
  model: () => Promise<InputModel>;
}

const MAX_NAME_PARTS = 32;

/**
 * `Tags.member.1.Key=a&Tags.member.1.Value=b` → `{ Tags: [{ Key: 'a', Value: 'b' }] }`, built of
 * null-prototype records; a forbidden member name (`__proto__.x=1`) throws InvalidRequestInput.
 */
export function parseQueryInput(form: URLSearchParams): QueryInput {
  const root = nullRecord();
  for (const [key, value] of form) {
    if (key === 'Action' || key === 'Version') continue;
    const parts = key.split('.');
    // No IAM or STS input nests deeper than a few levels; a deeper name would only exhaust the stack.
    if (parts.length > MAX_NAME_PARTS) {
      throw new InvalidRequestInput(`The parameter name ${key.slice(0, 64)}… nests too deeply.`);
    }
    let node = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] ?? '';
      checkMemberName(part);
      if (i === parts.length - 1) {
        node[part] = value;
        break;
      }
      const child = node[part];
      // `A=1&A.b=2`: a name that is both a value and a structure is not a request AWS accepts.
      if (child !== undefined && (typeof child !== 'object' || child === null)) {
        throw new InvalidRequestInput(`The parameter ${parts.slice(0, i + 1).join('.')} is given twice.`);
      }
      node[part] ??= nullRecord();
      node = node[part] as Record<string, unknown>;
    }
  }
  return collapse(root) as QueryInput;
}

function fromEntries(entries: [string, unknown][]): Record<string, unknown> {
  const record = nullRecord();
  for (const [key, value] of entries) {
    checkMemberName(key);
    record[key] = value;
  }
  return record;
}

/** Turns `{ member: { 1: x, 2: y } }` into `[x, y]` and `{ entry: { 1: {key, value} } }` into a map. */
function collapse(node: unknown): unknown {
  if (!node || typeof node !== 'object') return node;
  const record = node as Record<string, unknown>;
  const keys = Object.keys(record);
  const indexed = (inner: unknown) =>
    typeof inner === 'object' && inner !== null
      ? Object.entries(inner as Record<string, unknown>)
          .sort(([a], [b]) => Number(a) - Number(b))
          .map(([, v]) => collapse(v))
      : [inner];
  if (keys.length === 1 && keys[0] === 'member') return indexed(record.member);
  if (keys.length === 1 && keys[0] === 'entry') {
    const entries = indexed(record.entry) as { key?: unknown; value?: unknown }[];
    return fromEntries(entries.map((e) => [typeof e?.key === 'string' ? e.key : '', e?.value]));
  }
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) return indexed(record);
  return fromEntries(keys.map((k) => [k, collapse(record[k])]));
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Object → XML elements; arrays become `<member>` items; Dates ISO 8601; undefined is omitted. */
export function toXml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return escapeXml(String(value));
}

export function awsQueryService(options: AwsQueryServiceOptions): LocalService {
  let model: Promise<InputModel> | undefined;
  const xml = (status: number, body: string): HttpResponse => ({
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  });
  // The XML namespace names the API version: https://iam.amazonaws.com/doc/2010-05-08/.
  const apiVersion = /\/doc\/([\d-]+)\/$/.exec(options.xmlNamespace)?.[1] ?? '';
  const formOf = (request: HttpRequest) =>
    request.method === 'POST' ? new URLSearchParams(request.body.toString('utf8')) : request.query;

  return {
    signingName: options.signingName,
    protocol: 'awsQuery',
    operations: Object.keys(options.operations),
    resolve(request): ResolvedCall {
      const form = formOf(request);
      const action = form.get('Action');
      if (!action) throw new ServiceError('MissingAction', 'The request names no Action.');
      // AWS answers an action it does not know, or a Version it does not speak, with InvalidAction.
      const version = form.get('Version') || 'NO_VERSION_SPECIFIED';
      const handler = Object.hasOwn(options.operations, action) ? options.operations[action] : undefined;
      if (version !== apiVersion || !handler) {
        const why =
          version !== apiVersion
            ? `this API's version is ${apiVersion}`
            : `the dsqlctl local cloud serves ${Object.keys(options.operations).join(', ')}`;
        throw new ServiceError(
          'InvalidAction',
          `Could not find operation ${action} for version ${version}: ${why}.`,
        );
      }
      return {
        operation: action,
        async invoke(context) {
          let input: QueryInput;
          try {
            model ??= options.model();
            input = validateInput(await model, action, parseQueryInput(form), 'query');
          } catch (error) {
            if (error instanceof InvalidRequestInput || error instanceof InputViolation)
              throw new ServiceError('ValidationError', error.message);
            throw error;
          }
          context.authorize(input);
          const output = await handler(input, context);
          const result = output === undefined ? '' : `<${action}Result>${toXml(output)}</${action}Result>`;
          return xml(
            200,
            `<${action}Response xmlns="${options.xmlNamespace}">${result}` +
              `<ResponseMetadata><RequestId>${context.requestId}</RequestId></ResponseMetadata></${action}Response>`,
          );
        },
      };
    },
    describeUnknown: (request) => `Action=${formOf(request).get('Action') ?? '(none)'}`,
    errorResponse(error: ServiceError, requestId: string): HttpResponse {
      const type = error.status >= 500 ? 'Receiver' : 'Sender';
      return xml(
        error.status,
        `<ErrorResponse xmlns="${options.xmlNamespace}"><Error><Type>${type}</Type>` +
          `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
          `<RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
    },
    throttling: options.throttling ?? { code: 'Throttling', status: 400 },
  };
}
