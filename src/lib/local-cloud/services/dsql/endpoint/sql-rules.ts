/**
 * Aurora DSQL's SQL rules, in one table: what the local endpoint refuses, with which SQLSTATE and
 * message, and the AWS page each rule comes from (all checked 2026-12-01). `refusalOf` decides, from
 * PostgreSQL's own parse tree (libpg-query), which rule a statement breaks, if any.
 *
 * Where AWS documents the words of the error they are used verbatim; elsewhere the message is ours
 * and names the rule. The SQLSTATE class follows DSQL: 0A000 for an unsupported feature.
 */

const DOCS = 'https://docs.aws.amazon.com/aurora-dsql/latest/userguide';
const UNSUPPORTED = `${DOCS}/working-with-postgresql-compatibility-unsupported-features.html`;
const SUPPORTED = `${DOCS}/working-with-postgresql-compatibility-supported-sql-features.html`;
const ASYNC_INDEX = `${DOCS}/working-with-create-index-async.html`;
const SEQUENCE = `${DOCS}/create-sequence-syntax-support.html`;
const FUNCTION = `${DOCS}/create-function-syntax-support.html`;
const CONCURRENCY = `${DOCS}/working-with-concurrency-control.html`;
const CHECKED = '2026-12-01';

export interface SqlRule {
  sqlstate: string;
  message: string;
  source: string;
  checked: string;
}

function rule(message: string, source: string, sqlstate = '0A000'): SqlRule {
  return { sqlstate, message, source, checked: CHECKED };
}

export const SQL_RULES = {
  // DSQL's own words (aws-facts.md, checked 2026-12-01).
  plainIndex: rule('unsupported mode. please use CREATE INDEX ASYNC.', ASYNC_INDEX),
  indexOrdering: rule('ASC and DESC are not supported in CREATE INDEX ASYNC', UNSUPPORTED),
  foreignKey: rule('FOREIGN KEY constraints are not supported', UNSUPPORTED),
  exclusion: rule('EXCLUDE constraints are not supported', UNSUPPORTED),
  temporaryTable: rule('temporary tables are not supported', UNSUPPORTED),
  trigger: rule('triggers are not supported', UNSUPPORTED),
  truncate: rule('TRUNCATE is not supported', UNSUPPORTED),
  savepoint: rule('SAVEPOINT is not supported', UNSUPPORTED),
  extension: rule('extensions are not supported (CREATE EXTENSION)', UNSUPPORTED),
  // CREATE FUNCTION takes LANGUAGE sql only; DO blocks are PL/pgSQL.
  procedural: rule(
    'only LANGUAGE sql functions are supported (PL/pgSQL and other languages are not)',
    FUNCTION,
  ),
  partition: rule('partitioned tables are not supported', UNSUPPORTED),
  inherits: rule('table inheritance (INHERITS) is not supported', UNSUPPORTED),
  tablespace: rule('tablespaces are not supported', UNSUPPORTED),
  tableAs: rule('CREATE TABLE AS (and SELECT INTO) is not supported', UNSUPPORTED),
  materializedView: rule('materialized views are not supported', UNSUPPORTED),
  // DSQL's words for a missing CACHE; the range is from the same page.
  sequenceWithoutCache: rule('CREATE SEQUENCE is not supported without an explicit cache size', SEQUENCE),
  sequenceCache: rule('sequence CACHE must be 1 or at least 65536', SEQUENCE),
  serial: rule('SERIAL types are not supported: use an identity column or a sequence with CACHE', SEQUENCE),
  // DSQL's words (aws-facts.md): privileges are granted on tables, never on a schema.
  schemaGrant: rule('feature not supported on system entity', SUPPORTED),
  isolationLevel: rule('only REPEATABLE READ isolation is supported', CONCURRENCY),
  setTransaction: rule(
    'SET TRANSACTION is not supported: DSQL runs every transaction at REPEATABLE READ',
    SUPPORTED,
  ),
  otherDatabase: rule(
    'a cluster has exactly one database, postgres: other databases are not supported',
    UNSUPPORTED,
  ),
  vacuum: rule('VACUUM is not supported (DSQL maintains storage itself)', UNSUPPORTED),
  alterSystem: rule('ALTER SYSTEM is not supported', UNSUPPORTED),
  // On DSQL sys.wait_for_job is a procedure; PostgreSQL answers a procedure called from SELECT with
  // 42809 and this hint, which is what DSQL's backend does too (the exact DSQL text is not published).
  waitForJobSelect: rule(
    "sys.wait_for_job is a procedure: call it as CALL sys.wait_for_job('<job id>'), outside a transaction block",
    ASYNC_INDEX,
    '42809',
  ),
} as const satisfies Record<string, SqlRule>;

type RuleName = keyof typeof SQL_RULES;

// ── the parse tree, as libpg-query hands it over (JSON: { NodeType: fields }) ─────────────────────

export type Node = Record<string, unknown>;

/** The single key of a parse-tree node ({ CreateStmt: {...} } → ['CreateStmt', {...}]). */
export function unwrap(node: unknown): [string, Node] | undefined {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
  const keys = Object.keys(node);
  if (keys.length !== 1) return undefined;
  const [type] = keys as [string];
  const body = (node as Node)[type];
  return body && typeof body === 'object' ? [type, body as Node] : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Every node of one type below `root`, at any depth. */
function findNodes(root: unknown, type: string): Node[] {
  const found: Node[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (!value || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      if (key === type && child && typeof child === 'object') found.push(child as Node);
      visit(child);
    }
  };
  visit(root);
  return found;
}

/** A qualified name list ([{String:{sval:'sys'}}, …]) as its parts. */
export function nameParts(names: unknown): string[] {
  return list(names).map((n) => String((unwrap(n)?.[1] as { sval?: string } | undefined)?.sval ?? ''));
}

function defElems(options: unknown): Node[] {
  return list(options)
    .map(unwrap)
    .filter((u): u is [string, Node] => u?.[0] === 'DefElem')
    .map(([, body]) => body);
}

function integerArg(def: Node): number | undefined {
  const arg = unwrap(def.arg);
  if (!arg) return undefined;
  const [type, body] = arg;
  if (type === 'Integer') return Number((body as { ival?: number }).ival ?? 0);
  if (type === 'Float') return Number((body as { fval?: string }).fval);
  return undefined;
}

function stringArg(def: Node): string | undefined {
  const arg = unwrap(def.arg);
  if (arg?.[0] === 'String') return String(arg[1].sval ?? '');
  if (arg?.[0] === 'A_Const') return String((arg[1].sval as { sval?: string } | undefined)?.sval ?? '');
  return undefined;
}

/** DSQL's sequence rule, for CREATE SEQUENCE and identity columns alike (CACHE 1 or ≥ 65536). */
function cacheRefusal(options: unknown): RuleName | undefined {
  const cache = defElems(options).find((d) => d.defname === 'cache');
  if (!cache) return 'sequenceWithoutCache';
  const value = integerArg(cache);
  return value === 1 || (value !== undefined && value >= 65536) ? undefined : 'sequenceCache';
}

const SERIAL_TYPES = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);

function constraintRefusal(constraint: Node): RuleName | undefined {
  switch (constraint.contype) {
    case 'CONSTR_FOREIGN':
      return 'foreignKey';
    case 'CONSTR_EXCLUSION':
      return 'exclusion';
    case 'CONSTR_IDENTITY':
      return cacheRefusal(constraint.options);
    default:
      return constraint.indexspace ? 'tablespace' : undefined;
  }
}

function columnRefusal(column: Node): RuleName | undefined {
  const typeNames = nameParts((column.typeName as Node | undefined)?.names);
  if (typeNames.length === 1 && SERIAL_TYPES.has(typeNames[0] ?? '')) return 'serial';
  for (const c of list(column.constraints)) {
    const refusal = constraintRefusal(unwrap(c)?.[1] ?? {});
    if (refusal) return refusal;
  }
  return undefined;
}

/** A table element (column or table constraint) that DSQL refuses. */
function tableElementRefusal(element: unknown): RuleName | undefined {
  const unwrapped = unwrap(element);
  if (!unwrapped) return undefined;
  const [type, body] = unwrapped;
  if (type === 'ColumnDef') return columnRefusal(body);
  if (type === 'Constraint') return constraintRefusal(body);
  return undefined;
}

function createTableRefusal(stmt: Node): RuleName | undefined {
  if ((stmt.relation as Node | undefined)?.relpersistence === 't') return 'temporaryTable';
  if (stmt.partspec || stmt.partbound) return 'partition';
  if (list(stmt.inhRelations).length > 0) return 'inherits';
  if (stmt.tablespacename) return 'tablespace';
  for (const element of list(stmt.tableElts)) {
    const refusal = tableElementRefusal(element);
    if (refusal) return refusal;
  }
  return undefined;
}

function alterTableRefusal(stmt: Node): RuleName | undefined {
  for (const command of list(stmt.cmds)) {
    const cmd = unwrap(command)?.[1];
    if (!cmd) continue;
    if (cmd.subtype === 'AT_AttachPartition' || cmd.subtype === 'AT_DetachPartition') return 'partition';
    if (cmd.subtype === 'AT_SetTableSpace') return 'tablespace';
    const refusal = tableElementRefusal(cmd.def);
    if (refusal) return refusal;
  }
  return undefined;
}

function functionRefusal(stmt: Node): RuleName | undefined {
  const language = defElems(stmt.options).find((d) => d.defname === 'language');
  // Without LANGUAGE, PostgreSQL takes a BEGIN ATOMIC / RETURN body as SQL and refuses an AS body.
  if (!language) return undefined;
  return stringArg(language)?.toLowerCase() === 'sql' ? undefined : 'procedural';
}

function isolationRefusal(options: unknown): RuleName | undefined {
  const isolation = defElems(options).find((d) => d.defname === 'transaction_isolation');
  if (!isolation) return undefined;
  return stringArg(isolation)?.toLowerCase() === 'repeatable read' ? undefined : 'isolationLevel';
}

function isWaitForJob(funcname: unknown): boolean {
  const parts = nameParts(funcname).map((p) => p.toLowerCase());
  return parts.length === 2 && parts[0] === 'sys' && parts[1] === 'wait_for_job';
}

/** Calls sys.wait_for_job as a function (SELECT …, or anywhere in an expression). */
function callsWaitForJobAsFunction(stmt: unknown): boolean {
  return findNodes(stmt, 'FuncCall').some((call) => isWaitForJob(call.funcname));
}

/** The rule a parsed statement breaks, or undefined. `type` and `stmt` are one unwrapped RawStmt.stmt. */
export function refusalOf(type: string, stmt: Node): RuleName | undefined {
  switch (type) {
    case 'IndexStmt':
      return 'plainIndex';
    case 'CreateStmt':
      return createTableRefusal(stmt);
    case 'AlterTableStmt':
      return alterTableRefusal(stmt);
    case 'CreateTableAsStmt':
      return stmt.objtype === 'OBJECT_MATVIEW' ? 'materializedView' : 'tableAs';
    case 'RefreshMatViewStmt':
      return 'materializedView';
    case 'CreateTrigStmt':
    case 'CreateEventTrigStmt':
      return 'trigger';
    case 'TruncateStmt':
      return 'truncate';
    case 'TransactionStmt':
      if (
        ['TRANS_STMT_SAVEPOINT', 'TRANS_STMT_RELEASE', 'TRANS_STMT_ROLLBACK_TO'].includes(String(stmt.kind))
      ) {
        return 'savepoint';
      }
      return isolationRefusal(stmt.options);
    case 'VariableSetStmt':
      return stmt.name === 'TRANSACTION' || stmt.name === 'SESSION CHARACTERISTICS'
        ? 'setTransaction'
        : undefined;
    case 'CreateExtensionStmt':
      return 'extension';
    case 'CreateFunctionStmt':
      return functionRefusal(stmt);
    case 'DoStmt':
    case 'CreatePLangStmt':
      return 'procedural';
    case 'CreateTableSpaceStmt':
      return 'tablespace';
    case 'CreatedbStmt':
    case 'DropdbStmt':
    case 'AlterDatabaseStmt':
      return 'otherDatabase';
    case 'CreateSeqStmt':
      return cacheRefusal(stmt.options);
    case 'AlterSeqStmt': {
      const cache = defElems(stmt.options).some((d) => d.defname === 'cache');
      return cache ? cacheRefusal(stmt.options) : undefined;
    }
    case 'GrantStmt':
      return stmt.objtype === 'OBJECT_SCHEMA' ? 'schemaGrant' : undefined;
    case 'VacuumStmt':
      return 'vacuum';
    case 'AlterSystemStmt':
      return 'alterSystem';
    case 'SelectStmt':
      if ((stmt as { intoClause?: unknown }).intoClause) return 'tableAs';
      return callsWaitForJobAsFunction(stmt) ? 'waitForJobSelect' : undefined;
    default:
      return callsWaitForJobAsFunction(stmt) ? 'waitForJobSelect' : undefined;
  }
}

/** Statement types that change the schema or privileges: DSQL allows one per transaction, without DML. */
const DDL_TYPES = new Set([
  'CreateStmt',
  'AlterTableStmt',
  'DropStmt',
  'RenameStmt',
  'CreateSeqStmt',
  'AlterSeqStmt',
  'ViewStmt',
  'CreateFunctionStmt',
  'AlterFunctionStmt',
  'CreateSchemaStmt',
  'CreateDomainStmt',
  'AlterDomainStmt',
  'CompositeTypeStmt',
  'CreateEnumStmt',
  'DefineStmt',
  'CreateStatsStmt',
  'AlterStatsStmt',
  'CommentStmt',
  'AlterOwnerStmt',
  'AlterObjectSchemaStmt',
  // Privileges and roles live in the catalog too; DSQL answers OC001 to GRANT/REVOKE races (aws-facts.md).
  'GrantStmt',
  'GrantRoleStmt',
  'CreateRoleStmt',
  'AlterRoleStmt',
  'DropRoleStmt',
  'AlterDefaultPrivilegesStmt',
  'ReassignOwnedStmt',
  'DropOwnedStmt',
]);

export function isDdl(type: string): boolean {
  return DDL_TYPES.has(type);
}

const DML_TYPES = ['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt'];

/** Writes rows: INSERT/UPDATE/DELETE/MERGE, also inside a WITH or EXPLAIN ANALYZE. */
export function isDml(type: string, stmt: Node): boolean {
  if (DML_TYPES.includes(type)) return true;
  if (isDdl(type)) return false;
  return DML_TYPES.some((t) => findNodes(stmt, t).length > 0);
}
