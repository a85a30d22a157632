// Requests built by hand (odd members, wrong types) but signed exactly as the SDK signs them, with
// @smithy/signature-v4 and the test cloud's operator key, so they pass signature verification.
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { LocalCloudAccess } from '../../src/lib/local-cloud/index.js';

/** node:crypto as the signer's hash constructor (HMAC when given a key). */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac(
            'sha256',
            typeof secret === 'string'
              ? secret
              : ArrayBuffer.isView(secret)
                ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength)
                : new Uint8Array(secret),
          );
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

export interface SignedRequestOptions {
  service: string;
  region?: string;
  method?: string;
  /** Raw path, percent-encoded as it goes on the wire. */
  path?: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
}

export async function signedRequest(
  cloud: LocalCloudAccess,
  options: SignedRequestOptions,
): Promise<Response> {
  const url = new URL(cloud.endpoint);
  const signer = new SignatureV4({
    service: options.service,
    region: options.region ?? 'us-east-1',
    credentials: cloud.credentials,
    sha256: Sha256,
  });
  const body = options.body ?? '';
  const signed = await signer.sign({
    method: options.method ?? 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: options.path ?? '/',
    query: options.query ?? {},
    headers: { host: url.host, ...options.headers },
    body,
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(options.query ?? {}))
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, item);
  const qs = search.toString();
  return fetch(`${cloud.endpoint}${options.path ?? '/'}${qs ? `?${qs}` : ''}`, {
    method: options.method ?? 'POST',
    headers: Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host')),
    ...(options.method === 'GET' || options.method === 'DELETE' || options.method === 'HEAD' ? {} : { body }),
  });
}
