// Requests the SDK would never send (bad encodings, oversize bodies, pollution attempts), for the server's own checks.
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { LocalCloudAccess } from '../../src/lib/local-cloud/index.js';

/** node:crypto as the signer's hash (HMAC when given a key). */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | Uint8Array) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

/**
 * A request signed with the operator's key by the SDK's own signer, whatever its path, headers and body:
 * it passes the signature check and reaches the protocol's parsing.
 */
export async function rawRequest(
  cloud: LocalCloudAccess,
  options: {
    service: string;
    region?: string;
    method?: string;
    path?: string;
    headers?: Record<string, string>;
  },
  body?: string | Buffer,
): Promise<Response> {
  const url = new URL(cloud.endpoint);
  const rawPath = options.path ?? '/';
  const at = rawPath.indexOf('?');
  const path = at === -1 ? rawPath : rawPath.slice(0, at);
  const query = Object.fromEntries(new URLSearchParams(at === -1 ? '' : rawPath.slice(at + 1)));
  const signer = new SignatureV4({
    credentials: cloud.credentials,
    region: options.region ?? 'us-east-1',
    service: options.service,
    sha256: Sha256 as never,
    uriEscapePath: true,
  });
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  const signed = await signer.sign({
    method: options.method ?? 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path,
    query,
    headers: { host: url.host, ...options.headers },
    body: payload,
  });
  const { host: _host, ...headers } = signed.headers;
  return fetch(`${cloud.endpoint}${rawPath}`, {
    method: options.method ?? 'POST',
    headers,
    ...(body === undefined ? {} : { body }),
  });
}
