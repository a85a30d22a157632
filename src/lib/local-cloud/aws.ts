/**
 * What every local service shares about "being AWS": the one account, ARNs, and the error a handler
 * throws so each protocol can answer it in its own shape (the SDK then throws the modelled class).
 */
export const LOCAL_ACCOUNT_ID = '000000000000';

/**
 * An AWS error a handler throws. `code` is the wire error code the SDK maps to a class
 * (restJson1/awsJson: `ValidationException`; awsQuery: `NoSuchEntity` → `NoSuchEntityException`).
 * `fields` are extra members the modelled exception carries (DSQL `fieldList`, `resourceId`…).
 */
export class ServiceError extends Error {
  readonly code: string;
  readonly status: number;
  readonly fields: Record<string, unknown>;
  constructor(
    code: string,
    message: string,
    options: { status?: number; fields?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'ServiceError';
    this.code = code;
    this.status = options.status ?? 400;
    this.fields = options.fields ?? {};
  }
}

/** `arn:aws:<service>:<region>:<account>:<resource>`; global services pass region ''. */
export function arn(service: string, region: string, resource: string): string {
  return `arn:aws:${service}:${region}:${LOCAL_ACCOUNT_ID}:${resource}`;
}

interface ParsedArn {
  service: string;
  region: string;
  account: string;
  resource: string;
}

export function parseArn(value: string): ParsedArn | undefined {
  const match = /^arn:aws:([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):(.+)$/.exec(value);
  if (!match) return undefined;
  const [, service = '', region = '', account = '', resource = ''] = match;
  return { service, region, account, resource };
}

/** AWS-style ids: `length` characters from `alphabet`, cryptographically random. */
export function randomId(length: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}
