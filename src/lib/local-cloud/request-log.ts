/**
 * The request log: one JSON line per AWS call the local cloud answered, appended synchronously (so a
 * test that reads it right after a call sees that call). Tests and benchmarks count calls with it.
 */
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';

export interface RequestLogEntry {
  /** ISO 8601 time the request arrived. */
  time: string;
  /** SigV4 signing name: dsql, iam, sts, lambda, events. */
  service: string;
  region: string;
  /** The operation, or `Unknown` when the local cloud does not serve what was asked. */
  operation: string;
  status: number;
  /** The error code answered (`ThrottlingException`, `NoSuchEntity`…); absent on success. */
  error?: string;
  durationMs: number;
  /** For an EventBridge delivery (operation `Deliver`): the target's ARN. */
  target?: string;
  /** For a delivery: the rule's ARN, the attempt (1 = first), and after a failure `retrying` or `dropped`. */
  rule?: string;
  attempt?: number;
  outcome?: 'retrying' | 'dropped';
}

export class RequestLog {
  private readonly fd: number;
  constructor(readonly file: string) {
    this.fd = openSync(file, 'a', 0o600);
  }
  append(entry: RequestLogEntry): void {
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** Every entry of a request log file (a partial last line, from a kill -9 mid-write, is skipped). */
export function readRequestLogFile(file: string): RequestLogEntry[] {
  if (!existsSync(file)) return [];
  const entries: RequestLogEntry[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      entries.push(JSON.parse(line) as RequestLogEntry);
    } catch {
      // torn final line
    }
  }
  return entries;
}
