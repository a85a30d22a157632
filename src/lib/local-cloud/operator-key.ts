/**
 * The operator's access key: generated once per local-cloud home, kept in `operator-key.json` (0600, in
 * the 0700 local-cloud folder), and handed to clients only through that file — whoever can read the home
 * owns the local cloud, no one else. The daemon verifies every request against it; the CLI reads it to
 * sign its own.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CloudPaths, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './paths.js';

export interface OperatorKey {
  accessKeyId: string;
  secretAccessKey: string;
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function generate(): OperatorKey {
  const id = Array.from(randomBytes(16), (b) => KEY_ALPHABET[b % KEY_ALPHABET.length]).join('');
  return { accessKeyId: `AKIA${id}`, secretAccessKey: randomBytes(30).toString('base64') };
}

function parse(text: string, file: string): OperatorKey {
  const value = JSON.parse(text) as Partial<OperatorKey>;
  if (typeof value.accessKeyId !== 'string' || typeof value.secretAccessKey !== 'string') {
    throw new Error(`${file} holds no operator key; remove it to have a new one generated.`);
  }
  return { accessKeyId: value.accessKeyId, secretAccessKey: value.secretAccessKey };
}

/** The home's operator key, or undefined when none was generated yet. */
export function readOperatorKey(paths: CloudPaths): OperatorKey | undefined {
  try {
    return parse(readFileSync(paths.operatorKey, 'utf8'), paths.operatorKey);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The home's operator key, generated when missing. Written to a private temporary file and linked into
 * place, so a concurrent reader sees the whole key or none, and two concurrent creators agree on one.
 */
export function ensureOperatorKey(paths: CloudPaths): OperatorKey {
  const existing = readOperatorKey(paths);
  if (existing) return existing;
  mkdirSync(paths.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const temp = join(paths.dir, `.operator-key.${process.pid}.${randomBytes(4).toString('hex')}`);
  writeFileSync(temp, `${JSON.stringify(generate(), null, 2)}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  try {
    linkSync(temp, paths.operatorKey);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temp, { force: true });
  }
  return readOperatorKey(paths) as OperatorKey;
}
