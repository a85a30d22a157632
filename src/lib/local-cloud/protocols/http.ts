/** The plain HTTP request/response the server hands to protocols, and helpers every protocol shares. */
import type { IncomingHttpHeaders } from 'node:http';

export interface HttpRequest {
  method: string;
  /** Raw (still percent-encoded) path, without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export function jsonResponse(status: number, value: unknown, contentType = 'application/json'): HttpResponse {
  return { status, headers: { 'content-type': contentType }, body: JSON.stringify(value, awsJsonReplacer) };
}

/** JSON protocols (restJson1, awsJson1_x) send timestamps as epoch seconds. */
export function awsJsonReplacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Date ? raw.getTime() / 1000 : value;
}

export function header(request: HttpRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Member names no request may carry: a handler that assigned one (`node[name] ??= {}`) would reach
 * Object.prototype and change every object of the daemon. AWS's members never have these names; a map
 * key (a tag key `constructor`) could on AWS, and is refused here all the same — safety first.
 */
const FORBIDDEN_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Thrown while parsing a request; each protocol answers it with its own validation error (400). */
export class InvalidRequestInput extends Error {}

export function checkMemberName(name: string): void {
  if (FORBIDDEN_NAMES.has(name)) throw new InvalidRequestInput(`The member name "${name}" is not allowed.`);
}

/** A plain record with no prototype: nothing a request names can reach Object.prototype through it. */
export function nullRecord<T = unknown>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * Parses a JSON body into null-prototype objects; an empty body is `{}`. Undefined when it is not a
 * JSON object (the caller's SerializationException); a forbidden member name throws InvalidRequestInput.
 */
export function parseJsonBody(body: Buffer): Record<string, unknown> | undefined {
  if (body.length === 0) return nullRecord();
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'), (key, item: unknown) => {
      checkMemberName(key);
      return item && typeof item === 'object' && !Array.isArray(item)
        ? Object.assign(nullRecord(), item)
        : item;
    });
  } catch (error) {
    if (error instanceof InvalidRequestInput) throw error;
    return undefined;
  }
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
