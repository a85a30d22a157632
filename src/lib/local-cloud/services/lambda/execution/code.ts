/**
 * Function code on disk: each uploaded zip is kept once per content (named by its SHA-256) under
 * `<local cloud>/lambda/code/`, and extracted once, next to it, into the folder workers run from.
 * Extraction goes to a temp folder renamed into place, so a crash never leaves half a tree.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { unzipSync } from 'fflate';

interface StoredCode {
  /** Base64 SHA-256 of the zip: Lambda's CodeSha256. */
  sha256: string;
  /** Hex SHA-256: the folder name. */
  id: string;
  size: number;
}

export function codeRoot(cloudDir: string): string {
  return join(cloudDir, 'lambda', 'code');
}

export function zipPath(cloudDir: string, id: string): string {
  return join(codeRoot(cloudDir), `${id}.zip`);
}

export function codeDir(cloudDir: string, id: string): string {
  return join(codeRoot(cloudDir), id);
}

/**
 * Lambda's task root has no package.json above it, so a `.js` handler is CommonJS unless the zip ships a
 * package.json saying otherwise. An empty package.json at the code root keeps Node from finding one
 * further up (DSQLCTL_HOME inside an ESM project would otherwise make every `.js` handler ESM).
 */
function isolatePackageScope(cloudDir: string): void {
  const file = join(codeRoot(cloudDir), 'package.json');
  if (existsSync(file)) return;
  mkdirSync(codeRoot(cloudDir), { recursive: true });
  writeFileSync(file, '{}\n');
}

/** Thrown for bytes that are not a zip Lambda could unpack. */
export class BadZipError extends Error {}

/** Keeps the zip and its extracted tree (once per content); throws BadZipError for a bad archive. */
export function storeCode(cloudDir: string, zip: Uint8Array): StoredCode {
  const digest = createHash('sha256').update(zip).digest();
  const stored = { sha256: digest.toString('base64'), id: digest.toString('hex'), size: zip.length };
  const target = codeDir(cloudDir, stored.id);
  isolatePackageScope(cloudDir);
  if (existsSync(target)) return stored;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip);
  } catch (error) {
    throw new BadZipError(`Could not unzip uploaded file: ${(error as Error).message}`);
  }
  const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
  mkdirSync(temp, { recursive: true });
  try {
    for (const [name, bytes] of Object.entries(files)) {
      const relative = normalize(name);
      if (relative.startsWith('..') || relative.startsWith(sep)) {
        throw new BadZipError(`Could not unzip uploaded file: entry ${name} leaves the archive's folder`);
      }
      const path = join(temp, relative);
      if (name.endsWith('/')) {
        mkdirSync(path, { recursive: true });
        continue;
      }
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
    }
    writeFileSync(zipPath(cloudDir, stored.id), zip);
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    // The same zip uploaded twice at once: the other upload extracted it first.
    if (!(error instanceof BadZipError) && existsSync(target)) return stored;
    throw error;
  }
  return stored;
}

/**
 * Removes stored code no function refers to any more (replaced or deleted functions) and extractions a
 * crash left half done. Run when the local cloud starts, before any upload.
 */
export function collectUnusedCode(cloudDir: string, referenced: ReadonlySet<string>): string[] {
  const root = codeRoot(cloudDir);
  if (!existsSync(root)) return [];
  const removed: string[] = [];
  for (const entry of readdirSync(root)) {
    if (entry === 'package.json') continue;
    const id = entry.endsWith('.zip') ? entry.slice(0, -'.zip'.length) : entry;
    if (referenced.has(id)) continue;
    rmSync(join(root, entry), { recursive: true, force: true });
    removed.push(entry);
  }
  return removed;
}
