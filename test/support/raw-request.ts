// Requests the SDK would never send (bad encodings, oversize bodies, pollution attempts), for the server's own checks.
/** A request signed with nothing but a credential scope, which is all the local cloud routes by. */
export function rawRequest(
  cloud: { endpoint: string },
  options: {
    service: string;
    region?: string;
    method?: string;
    path?: string;
    headers?: Record<string, string>;
  },
  body?: string | Buffer,
): Promise<Response> {
  const scope = `AKIDTEST/20260101/${options.region ?? 'us-east-1'}/${options.service}/aws4_request`;
  return fetch(`${cloud.endpoint}${options.path ?? '/'}`, {
    method: options.method ?? 'POST',
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host, Signature=00`,
      ...options.headers,
    },
    ...(body === undefined ? {} : { body }),
  });
}
