/**
 * GetFunction's Code.Location: on AWS a presigned S3 URL, valid for 10 minutes, that downloads the
 * function's zip. Here a URL on the local cloud's own endpoint, signed with a key of the running
 * instance and expiring the same way; GET answers the zip.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { HttpRequest, HttpResponse } from '../../protocols/http.js';
import type { Cloud } from '../../service.js';
import { zipPath } from './execution/code.js';

const PREFIX = '/_dsqlctl/lambda-code/';
const VALID_SECONDS = 600;

export function createCodeLocations() {
  const key = randomBytes(32);
  const sign = (codeId: string, expires: string) =>
    createHmac('sha256', key).update(`${codeId} ${expires}`).digest('hex');
  return {
    url(cloud: Cloud, codeId: string): string {
      const expires = String(Math.floor(cloud.now() / 1000) + VALID_SECONDS);
      return `${cloud.endpoint}${PREFIX}${codeId}.zip?X-Amz-Expires=${VALID_SECONDS}&Expires=${expires}&Signature=${sign(codeId, expires)}`;
    },
    /** The zip for a valid, unexpired URL; 403 for any other under the prefix (as S3 answers). */
    serve(request: HttpRequest, cloud: Cloud): HttpResponse | undefined {
      if (!request.path.startsWith(PREFIX)) return undefined;
      const codeId = /^([0-9a-f]{64})\.zip$/.exec(request.path.slice(PREFIX.length))?.[1];
      const expires = request.query.get('Expires') ?? '';
      const given = Buffer.from(request.query.get('Signature') ?? '');
      const denied = (message: string): HttpResponse => ({
        status: 403,
        headers: { 'content-type': 'text/plain' },
        body: message,
      });
      if (request.method !== 'GET' || !codeId) return denied('Not a code location of this local cloud.');
      const wanted = Buffer.from(sign(codeId, expires));
      if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
        return denied('The request signature does not match.');
      if (Number(expires) * 1000 < cloud.now()) return denied('Request has expired.');
      try {
        return {
          status: 200,
          headers: { 'content-type': 'application/zip' },
          body: readFileSync(zipPath(cloud.dir, codeId)),
        };
      } catch {
        return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'The function code is gone.' };
      }
    },
  };
}
