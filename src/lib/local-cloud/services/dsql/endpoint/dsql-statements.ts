/**
 * The endpoint's verdict on each statement a client sends: forward it (maybe rewritten onto the
 * system schema, see system-schema.ts) or refuse it with DSQL's SQLSTATE.
 *
 * Classification uses PostgreSQL's own parser (libpg-query, WASM). DSQL-only statements that parser
 * does not know (`CREATE [UNIQUE] INDEX ASYNC …`, `AWS IAM GRANT/REVOKE …`) are recognised from the
 * leading keywords in PostgreSQL's own scanner tokens; the index statement is then parsed for real
 * with ASYNC removed. Offsets from libpg-query are UTF-8 byte offsets, so all slicing is on bytes.
 */
import { loadModule, parseSync, type ScanToken, scanSync } from 'libpg-query';
import {
  isDdl,
  isDml,
  type Node,
  nameParts,
  refusalOf,
  SQL_RULES,
  type SqlRule,
  unwrap,
} from './sql-rules.js';
import { INTERNAL_SCHEMA } from './system-schema.js';

export type Verdict =
  | {
      action: 'forward';
      /** What the backend runs: the statement itself, or its rewrite onto the system schema. */
      sql: string;
      ddl: boolean;
      dml: boolean;
      transaction?: 'begin' | 'commit' | 'rollback';
      /** Refused inside a transaction block (the session checks): CALL sys.wait_for_job. */
      outsideTransactionOnly?: boolean;
    }
  | { action: 'refuse'; sqlstate: string; message: string };

let loading: Promise<void> | undefined;

/** Loads the parser's WASM module once; `judge` is synchronous after it. */
export function loadParser(): Promise<void> {
  loading ??= loadModule();
  return loading;
}

class SyntaxError42601 extends Error {}

function refuse(rule: SqlRule): Verdict {
  return { action: 'refuse', sqlstate: rule.sqlstate, message: rule.message };
}

function forward(sql: string, ddl: boolean, dml: boolean, extra: Partial<Verdict> = {}): Verdict {
  return { action: 'forward', sql, ddl, dml, ...extra } as Verdict;
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * One verdict per statement of `sql` (a simple-query string or one Parse message), in order. A syntax
 * error anywhere refuses the whole string with 42601, as PostgreSQL parses a simple query whole
 * before running any of it. Call `await loadParser()` once first.
 */
export function judge(sql: string): Verdict[] {
  const bytes = Buffer.from(sql, 'utf8');
  try {
    return judgeSegments(bytes, segmentsOf(bytes));
  } catch (error) {
    if (error instanceof SyntaxError42601 || isParserError(error)) {
      return [{ action: 'refuse', sqlstate: '42601', message: (error as Error).message }];
    }
    throw error;
  }
}

function isParserError(error: unknown): boolean {
  return error instanceof Error && error.name === 'SqlError';
}

interface Segment {
  /** Byte offsets of the statement text, without its terminating `;`. */
  start: number;
  end: number;
  tokens: ScanToken[];
}

/** The string cut at top-level `;` tokens (the scanner has already skipped strings and comments). */
function segmentsOf(bytes: Buffer): Segment[] {
  const segments: Segment[] = [];
  let current: Segment = { start: 0, end: bytes.length, tokens: [] };
  for (const token of scanSync(bytes.toString('utf8')).tokens) {
    if (token.text === ';' && token.tokenName === 'ASCII_59') {
      segments.push({ ...current, end: token.start });
      current = { start: token.end, end: bytes.length, tokens: [] };
    } else {
      current.tokens.push(token);
    }
  }
  segments.push(current);
  return segments.filter((s) => s.tokens.length > 0);
}

type DsqlOnly = 'indexAsync' | 'iamGrant' | 'iamRevoke';

function dsqlOnlyKind(tokens: ScanToken[]): DsqlOnly | undefined {
  const words = tokens.slice(0, 4).map((t) => t.text.toUpperCase());
  if (words[0] === 'CREATE' && (words[2] === 'ASYNC' || words[3] === 'ASYNC')) {
    if (words[1] === 'INDEX' || (words[1] === 'UNIQUE' && words[2] === 'INDEX')) return 'indexAsync';
  }
  if (words[0] === 'AWS' && words[1] === 'IAM') {
    if (words[2] === 'GRANT') return 'iamGrant';
    if (words[2] === 'REVOKE') return 'iamRevoke';
  }
  return undefined;
}

/**
 * DSQL-only segments are judged on their own; each run of ordinary segments between them is parsed
 * as one text, so a `;` inside a BEGIN ATOMIC function body stays where PostgreSQL's parser puts it.
 */
function judgeSegments(bytes: Buffer, segments: Segment[]): Verdict[] {
  const verdicts: Verdict[] = [];
  let run: Segment[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const first = run[0] as Segment;
    const last = run[run.length - 1] as Segment;
    verdicts.push(...judgeParsed(bytes.subarray(first.start, last.end)));
    run = [];
  };
  for (const segment of segments) {
    const kind = dsqlOnlyKind(segment.tokens);
    if (!kind) {
      run.push(segment);
      continue;
    }
    flush();
    verdicts.push(judgeDsqlOnly(kind, bytes, segment));
  }
  flush();
  return verdicts;
}

interface RawStmt {
  stmt: unknown;
  stmt_location?: number;
  stmt_len?: number;
}

function judgeParsed(text: Buffer): Verdict[] {
  const { stmts } = parseSync(text.toString('utf8')) as unknown as { stmts?: RawStmt[] };
  return (stmts ?? []).map((raw) => {
    const start = raw.stmt_location ?? 0;
    const end = raw.stmt_len === undefined ? text.length : start + raw.stmt_len;
    const [type, stmt] = unwrap(raw.stmt) ?? ['', {}];
    return judgeStatement(type, stmt, text.subarray(start, end).toString('utf8').trim());
  });
}

const TRANSACTION_KINDS: Record<string, 'begin' | 'commit' | 'rollback'> = {
  TRANS_STMT_BEGIN: 'begin',
  TRANS_STMT_START: 'begin',
  TRANS_STMT_COMMIT: 'commit',
  TRANS_STMT_ROLLBACK: 'rollback',
};

function judgeStatement(type: string, stmt: Node, sql: string): Verdict {
  const refusal = refusalOf(type, stmt);
  if (refusal) return refuse(SQL_RULES[refusal]);
  if (type === 'TransactionStmt') {
    const transaction = TRANSACTION_KINDS[String(stmt.kind)];
    return forward(sql, false, false, transaction ? { transaction } : {});
  }
  if (type === 'CallStmt') {
    const call = stmt.funccall as Node;
    const name = nameParts(call.funcname).map((p) => p.toLowerCase());
    if (name.join('.') === 'sys.wait_for_job') return waitForJob(sql, call);
  }
  if (type === 'DropRoleStmt') return dropRoles(sql, stmt);
  return forward(sql, isDdl(type), isDml(type, stmt));
}

/**
 * `CALL sys.wait_for_job(id)`: the backend's procedure has an OUT parameter (`wait_for_job boolean`,
 * the one column DSQL returns), which PostgreSQL's CALL wants passed as NULL.
 */
function waitForJob(sql: string, call: Node): Verdict {
  const args = Array.isArray(call.args) ? call.args : [];
  if (args.length !== 1) {
    return { action: 'refuse', sqlstate: '42883', message: 'procedure sys.wait_for_job takes one job id' };
  }
  const bytes = Buffer.from(sql, 'utf8');
  const close = scanSync(sql).tokens.findLast((t) => t.text === ')');
  if (!close) throw new SyntaxError42601('syntax error in CALL sys.wait_for_job');
  const rewritten = `${bytes.subarray(0, close.start).toString('utf8')}, NULL)`;
  return forward(rewritten, false, false, { outsideTransactionOnly: true });
}

/** DROP ROLE through the system schema, which refuses (2BP01) while an IAM mapping remains. */
function dropRoles(sql: string, stmt: Node): Verdict {
  const specs = (Array.isArray(stmt.roles) ? stmt.roles : []).map((r) => unwrap(r)?.[1] ?? {});
  if (specs.some((s) => s.roletype !== 'ROLESPEC_CSTRING')) return forward(sql, true, false);
  const names = specs.map((s) => quoteLiteral(String(s.rolename)));
  return forward(
    `CALL ${INTERNAL_SCHEMA}.drop_roles(ARRAY[${names.join(', ')}]::text[], ${stmt.missing_ok === true})`,
    true,
    false,
  );
}

// ── DSQL-only statements ─────────────────────────────────────────────────────────────────────────

function judgeDsqlOnly(kind: DsqlOnly, bytes: Buffer, segment: Segment): Verdict {
  if (kind === 'indexAsync') return indexAsync(bytes, segment);
  return iamMapping(kind, segment.tokens);
}

function syntaxErrorAt(token: ScanToken | undefined): SyntaxError42601 {
  return new SyntaxError42601(
    token ? `syntax error at or near "${token.text}"` : 'syntax error at end of input',
  );
}

/** A role name token: an identifier, or a keyword PostgreSQL accepts as one (not reserved). */
function roleName(token: ScanToken | undefined): string {
  if (!token) throw syntaxErrorAt(token);
  if (token.tokenName === 'IDENT') {
    return token.text.startsWith('"')
      ? token.text.slice(1, -1).replaceAll('""', '"')
      : token.text.toLowerCase();
  }
  if (token.keywordKind > 0 && token.keywordKind < 4) return token.text.toLowerCase();
  throw syntaxErrorAt(token);
}

/** A standard string literal's value ('…' with '' for a quote). */
function stringLiteral(token: ScanToken | undefined): string {
  if (token?.tokenName !== 'SCONST' || !token.text.startsWith("'")) throw syntaxErrorAt(token);
  return token.text.slice(1, -1).replaceAll("''", "'");
}

/**
 * `AWS IAM GRANT role TO 'arn'` / `AWS IAM REVOKE role FROM 'arn'`. The ARN must be a literal: a
 * parameter (`$1`) is a syntax error, as on DSQL.
 */
function iamMapping(kind: 'iamGrant' | 'iamRevoke', tokens: ScanToken[]): Verdict {
  const role = roleName(tokens[3]);
  const preposition = kind === 'iamGrant' ? 'TO' : 'FROM';
  if (tokens[4]?.text.toUpperCase() !== preposition) throw syntaxErrorAt(tokens[4]);
  const arn = stringLiteral(tokens[5]);
  if (tokens.length > 6) throw syntaxErrorAt(tokens[6]);
  const procedure = kind === 'iamGrant' ? 'aws_iam_grant' : 'aws_iam_revoke';
  return forward(
    `CALL ${INTERNAL_SCHEMA}.${procedure}(${quoteLiteral(role)}, ${quoteLiteral(arn)})`,
    true,
    false,
  );
}

/**
 * `CREATE [UNIQUE] INDEX ASYNC [IF NOT EXISTS] name ON table (cols…)`: parsed as the same statement
 * without ASYNC, checked against DSQL's index rules, then turned into a job submission that answers
 * one row `job_id`. The background worker (index-jobs.ts) runs the stored build statement.
 */
function indexAsync(bytes: Buffer, segment: Segment): Verdict {
  const asyncToken = segment.tokens.find((t) => t.text.toUpperCase() === 'ASYNC') as ScanToken;
  const withoutAsync = Buffer.concat([
    bytes.subarray(segment.start, asyncToken.start),
    bytes.subarray(asyncToken.end, segment.end),
  ]).toString('utf8');
  const { stmts } = parseSync(withoutAsync) as unknown as { stmts?: RawStmt[] };
  const parsed = stmts?.length === 1 ? unwrap(stmts[0]?.stmt) : undefined;
  if (parsed?.[0] !== 'IndexStmt') throw syntaxErrorAt(asyncToken);
  const index = parsed[1];
  const elements = (Array.isArray(index.indexParams) ? index.indexParams : []).map(
    (p) => unwrap(p)?.[1] ?? {},
  );
  if (elements.some((e) => e.ordering !== 'SORTBY_DEFAULT')) return refuse(SQL_RULES.indexOrdering);
  if (index.tableSpace) return refuse(SQL_RULES.tablespace);
  const relation = index.relation as Node;
  const table = [relation.schemaname, relation.relname].filter(Boolean).map((p) => quoteIdent(String(p)));
  // DSQL names an unnamed index <table>_<columns>_idx (working-with-create-index-async.html).
  const name = String(
    index.idxname ?? [relation.relname, ...elements.map((e) => e.name)].join('_').concat('_idx'),
  );
  const on = segment.tokens.find((t) => t.text.toUpperCase() === 'ON' && t.start > asyncToken.end);
  if (!on) throw syntaxErrorAt(undefined);
  const build = `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${quoteIdent(name)} ON${bytes
    .subarray(on.end, segment.end)
    .toString('utf8')}`;
  const submit = [
    `${quoteLiteral(table.join('.'))}::regclass`,
    quoteLiteral(name),
    quoteLiteral(build.trim()),
    String(index.if_not_exists === true),
  ];
  return forward(`SELECT ${INTERNAL_SCHEMA}.submit_index_job(${submit.join(', ')}) AS job_id`, true, false);
}
