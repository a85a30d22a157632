/**
 * The built function zip (lambda-bundle/build.mjs makes it) and its identity as Lambda reports it.
 * The zip is deterministic, so its CodeSha256 compared with the deployed one says whether to upload.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DsqlctlError } from './errors.js';

export const FUNCTION_HANDLER = 'index.handler';
// nodejs22.x is deprecated on 2027-04-30; nodejs24.x is generally available (async handlers only, as ours is).
export const FUNCTION_RUNTIME = 'nodejs24.x';

/** Absolute path of lambda-bundle/dist/function.zip (this module sits two levels deep in src/ or dist/). */
export function functionZipPath(): string {
  return fileURLToPath(new URL('../../lambda-bundle/dist/function.zip', import.meta.url));
}

export async function readFunctionZip(): Promise<Uint8Array> {
  const path = functionZipPath();
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new DsqlctlError(`The function bundle ${path} is missing: run npm run build first.`, {
      cause: error,
      advice: 'npm run build bundles and zips the function (lambda-bundle/build.mjs).',
    });
  }
}

/** Base64 SHA-256 of the zip bytes: the format of Lambda's `CodeSha256`. */
export function codeSha256(zip: Uint8Array): string {
  return createHash('sha256').update(zip).digest('base64');
}
