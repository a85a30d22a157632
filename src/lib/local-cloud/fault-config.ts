/**
 * Fault injection, fixed when the local cloud starts (flags of `local start`, a JSON file, or the env
 * variable DSQLCTL_LOCAL_FAULTS holding JSON or a path to a JSON file). Schema (every key optional):
 *
 * {
 *   "timeScale": 0.01,              // multiplies every AWS-time duration below (default 0.01)
 *   "durations": {                  // seconds of AWS time a state transition takes, by "<service>:<Name>"
 *     "dsql:CreateCluster": 60,     //   CREATING → ACTIVE / PENDING_SETUP
 *     "dsql:UpdateCluster": 30,     //   UPDATING → ACTIVE
 *     "dsql:DeleteCluster": 30,     //   DELETING → gone
 *     "dsql:IndexBuild": 10,        //   a CREATE INDEX ASYNC job, processing → completed
 *     "iam:Propagation": 0,         //   a new role becomes assumable by Lambda (CreateFunction before → InvalidParameterValueException)
 *     "lambda:CreateFunction": 5,   //   State Pending → Active
 *     "lambda:Update": 5,           //   LastUpdateStatus InProgress → Successful (a second update before → ResourceConflictException)
 *     "lambda:AsyncRetry": 60,      //   before retrying a failed asynchronous invocation (twice; the second wait doubles)
 *     "events:RetryBackoff": 1      //   before EventBridge's first retry of a failed delivery (doubling, ≤ 480 s)
 *   },
 *   "delays": { "dsql:GetCluster": 0.2, "iam:*": 0.1 },   // seconds of AWS time before answering
 *   "throttle": { "rate": 0.5, "operations": ["dsql:GetCluster"] },  // fraction of calls answered with the
 *                                   // service's throttling error, evenly spread (deterministic); default all ops
 *   "failures": [                   // fail calls count..count+times-1 of an operation (1-based, every call counts);
 *                                   // "dsql:IndexBuild" counts index builds: a failure makes that job fail
 *     { "operation": "dsql:CreateCluster", "nth": 2, "times": 1,
 *       "code": "InternalServerException", "status": 500, "message": "injected" },
 *     { "operation": "events:PutEvents", "nth": 1, "forSeconds": 30 },   // every call for 30 s of AWS
 *                                   // time from the nth on (instead of `times`)
 *     { "operation": "events:Deliver", "resource": "<rule ARN>", "nth": 1, "times": 3,
 *       "code": "ServiceException", "status": 500 }   // EventBridge's deliveries by one rule: Lambda's
 *                                   // answer to them (429 and 5xx are retried within the RetryPolicy)
 *   ],
 *   "captureLogs": false            // Lambda's output stays in a file instead of CloudWatch Logs (bench baseline)
 * }
 * Operation keys are "<signing name>:<Operation>"; "<signing name>:*" matches all of a service's.
 * Bounds (so every scaled duration fits node's timers, ≈ 24.8 days): timeScale 0–1, durations
 * 0–1,000,000 s, delays 0–3,600 s; nth and times 1–1,000,000,000; status 400–599; code letters, digits and dots.
 * A failure without a status answers the one AWS uses for its code (statusForCode below).
 * The document is checked against FAULT_SCHEMA (zod: the schema is also the TypeScript type, strict
 * objects refuse unknown keys, and each issue carries the path of the field it names).
 * This module holds the schema and its readers; it loads zod, so the CLI imports it only when a fault
 * configuration is given (faults.ts is the daemon's runtime side).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_DURATIONS, FAULT_SERVICES } from './fault-defaults.js';

/** A fault configuration (flag, file or DSQLCTL_LOCAL_FAULTS) that cannot be used; the CLI exits 2. */
export class FaultConfigError extends Error {
  override readonly name = 'FaultConfigError';
}

const SERVICE_LIST = FAULT_SERVICES.join(', ');
const operationPattern = z
  .string()
  .regex(/^[a-z0-9-]+:(\*|[A-Za-z0-9]+)$/, 'must look like "dsql:CreateCluster" or "dsql:*"')
  .refine((key) => (FAULT_SERVICES as readonly string[]).includes(key.split(':')[0] ?? ''), {
    message: `names a service the local cloud does not serve (it serves ${SERVICE_LIST})`,
  });
const seconds = (max: number) => z.number().min(0).max(max, `must be at most ${max} seconds`);
const count = z.number().int().min(1).max(1_000_000_000);

const FAILURE_SCHEMA = z.strictObject({
  operation: operationPattern,
  nth: count,
  times: count.optional(),
  /** Fail every call from the nth on for this many seconds of AWS time (scaled), instead of `times`. */
  forSeconds: seconds(1_000_000).optional(),
  /** Count only the calls about this resource (for `events:Deliver`, the delivering rule's ARN). */
  resource: z.string().max(2048).optional(),
  // The code reaches a response header (x-amzn-errortype): nothing that could end or split it.
  code: z
    .string()
    .regex(
      /^[A-Za-z][A-Za-z0-9.]{0,127}$/,
      'must be letters, digits and dots (at most 128), e.g. AccessDenied',
    )
    .optional(),
  status: z.number().int().min(400).max(599).optional(),
  message: z.string().max(1024).optional(),
});

const FAULT_SCHEMA = z.strictObject({
  timeScale: z.number().min(0).max(1).optional(),
  durations: z
    .partialRecord(
      z.enum(Object.keys(DEFAULT_DURATIONS) as [string, ...string[]], {
        message: `must be one of ${Object.keys(DEFAULT_DURATIONS).join(', ')}`,
      }),
      seconds(1_000_000),
    )
    .optional(),
  delays: z.record(operationPattern, seconds(3_600)).optional(),
  throttle: z
    .strictObject({ rate: z.number().min(0).max(1), operations: z.array(operationPattern).optional() })
    .optional(),
  failures: z.array(FAILURE_SCHEMA).optional(),
  /** false: function output stays in the worker's file instead of CloudWatch Logs (the bench's baseline). */
  captureLogs: z.boolean().optional(),
});

export type FailureRule = z.infer<typeof FAILURE_SCHEMA>;
export type FaultConfig = z.infer<typeof FAULT_SCHEMA>;

function invalid(what: string): FaultConfigError {
  return new FaultConfigError(`Invalid fault configuration: ${what}.`);
}

/** A schema issue as `field: rule` (`failures[0].status: Too big: expected number to be <=599`). */
function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path
    .map((part, i) =>
      typeof part === 'number'
        ? `[${part}]`
        : /^[A-Za-z]\w*$/.test(String(part))
          ? `${i > 0 ? '.' : ''}${String(part)}`
          : `["${String(part)}"]`,
    )
    .join('');
  if (issue.code === 'unrecognized_keys') {
    return `${field ? `${field}: ` : ''}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  // A record's key that fails its rule: the rule is in the nested issue.
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  return `${field || 'the document'}: ${message}`;
}

export function validateFaults(config: unknown): FaultConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    const got = config === null ? 'null' : Array.isArray(config) ? 'a list' : typeof config;
    throw invalid(`expected a JSON object, got ${got}`);
  }
  const result = FAULT_SCHEMA.safeParse(config);
  if (!result.success) throw invalid(result.error.issues.slice(0, 5).map(describeIssue).join('; '));
  return result.data;
}

/** DSQLCTL_LOCAL_FAULTS: inline JSON, or the path of a JSON file. */
export function faultsFromEnv(value = process.env.DSQLCTL_LOCAL_FAULTS): FaultConfig | undefined {
  if (!value?.trim()) return undefined;
  return readFaults(value);
}

/** A fault file is a small JSON document: larger, it is not one (and /dev/zero must not hang us). */
const MAX_FAULT_FILE_BYTES = 1024 * 1024;

function readFaultFile(path: string): string | undefined {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw invalid(`"${path}" is not a regular file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof FaultConfigError) throw error;
    return undefined;
  }
  if (size > MAX_FAULT_FILE_BYTES) throw invalid(`"${path}" is over ${MAX_FAULT_FILE_BYTES} bytes`);
  const buffer = Buffer.alloc(size);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, size, 0);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}

/**
 * Reads a fault configuration from JSON text or a file path. Errors name the field and the rule, and
 * never quote a file's content (`--faults /etc/passwd` must not print it).
 */
export function readFaults(source: string): FaultConfig {
  const trimmed = source.trim();
  const inline = /^[[{"]/.test(trimmed) || /^(null|true|false|-?\d[\d.eE+-]*)$/.test(trimmed);
  const text = inline ? trimmed : readFaultFile(source);
  if (text === undefined)
    throw new FaultConfigError(`Fault configuration "${source}" is neither JSON nor a readable file.`);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw invalid(inline ? 'the text is not valid JSON' : `the file "${source}" is not valid JSON`);
  }
  return validateFaults(document);
}

/** `dsql:CreateCluster:2[:Code]` (the `--fail` flag) → a failure rule. */
export function parseFailFlag(value: string): FailureRule {
  const parts = value.split(':');
  const [service, operation, nth, code] = parts;
  if (parts.length < 3 || parts.length > 4 || !/^\d+$/.test(nth ?? '')) {
    throw new FaultConfigError(
      `--fail "${value}" must look like service:Operation:N[:ErrorCode], e.g. dsql:CreateCluster:2`,
    );
  }
  const rule: FailureRule = { operation: `${service}:${operation}`, nth: Number(nth) };
  if (code) rule.code = code;
  const [checked] = validateFaults({ failures: [rule] }).failures ?? [];
  return checked ?? rule;
}
