/**
 * The local cloud's durable state: one JSON document of namespaces (one per service), held in memory
 * and written whole after every change — to a temp file, fsynced, then renamed over the old one (and
 * the folder fsynced), so a kill -9 at any instant leaves either the previous or the new document.
 * Only the daemon writes it; writers are serialized through one queue.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

interface Document {
  version: 1;
  namespaces: Record<string, unknown>;
}

export class StateStore {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly document: Document,
  ) {}

  static open(file: string): StateStore {
    const document: Document = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as Document)
      : { version: 1, namespaces: {} };
    return new StateStore(file, document);
  }

  /** The namespace's live data, for reading. Mutate it only inside `update`. */
  read<T>(namespace: string, init: () => T): T {
    if (!Object.hasOwn(this.document.namespaces, namespace)) this.document.namespaces[namespace] = init();
    return this.document.namespaces[namespace] as T;
  }

  /**
   * Runs `change` alone (after every earlier update finished), then persists the document, also when
   * `change` threw after mutating part of it — the in-memory state is what requests see.
   */
  update<T, R>(namespace: string, init: () => T, change: (data: T) => R | Promise<R>): Promise<R> {
    const run = async () => {
      try {
        return await change(this.read(namespace, init));
      } finally {
        this.persist();
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private persist(): void {
    atomicWrite(this.file, JSON.stringify(this.document));
  }
}

/** Write to a temp file, fsync, rename over `file`, fsync the folder: readers see old or new, never half. */
export function atomicWrite(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  const dir = openSync(dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
