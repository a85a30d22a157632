/**
 * Input validation before any handler runs, one validator for every protocol: each member is checked
 * against the operation's input shape as the SDK package's own schema describes it (types, required
 * members, nesting: `@aws-sdk/client-<name>` exports `<Operation>$`), and against the model's
 * constraints (length, range, pattern, enum), which the SDK's schemas leave out and each service keeps
 * as data beside its operations (`services/<name>/constraints.ts`). A violation is refused with AWS's
 * message (`1 validation error detected: Value 'abc' at 'maxSessionDuration' failed to satisfy
 * constraint: …`); nothing invalid reaches a handler, so nothing invalid is stored.
 */
import { NormalizedSchema } from '@smithy/core/schema';
import { nullRecord } from './http.js';

/** A model constraint: `length` for strings, lists and maps; `range` for numbers; `keys` of a map. */
export interface Constraint {
  length?: readonly [number, number];
  range?: readonly [number, number];
  /** A full-match regular expression source, as in the model. */
  pattern?: string;
  enum?: readonly string[];
  keys?: Constraint;
  /** Of each item of a list. */
  items?: Constraint;
}

/** By `<Structure>.<Member>` (`CreateRoleRequest.MaxSessionDuration`), or by member name for every structure. */
export type Constraints = Readonly<Record<string, Constraint>>;

/** A service's input model: its SDK package (for `<Operation>$` schemas) and its constraints. */
export interface InputModel {
  schemas: Readonly<Record<string, unknown>>;
  constraints: Constraints;
}

/** A member that fails its shape; the protocol answers it with the service's validation error. */
export class InputViolation extends Error {
  constructor(
    message: string,
    /** The member's path as AWS names it: `tags.1.member.key`. */
    readonly field: string,
  ) {
    super(message);
  }
}

/**
 * How values arrive: `json` keeps JSON's types; `query` (awsQuery forms, restJson1 labels, query
 * strings and headers) carries every scalar as text, converted here to the member's type.
 */
type Encoding = 'json' | 'query';

const regexCache = new Map<string, RegExp>();
function fullMatch(pattern: string): RegExp {
  let regex = regexCache.get(pattern);
  if (!regex) {
    regex = new RegExp(`^(?:${pattern})$`, 'u');
    regexCache.set(pattern, regex);
  }
  return regex;
}

/** The lowerCamel path AWS names in its messages: `tags.1.member.key`. */
const fieldName = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 256 ? `${text.slice(0, 256)}…` : text;
}

function violation(value: unknown, field: string, rule: string): InputViolation {
  return new InputViolation(
    `1 validation error detected: Value '${shown(value)}' at '${field}' failed to satisfy constraint: ${rule}`,
    field,
  );
}

function checkConstraint(value: unknown, field: string, c: Constraint | undefined): void {
  if (!c) return;
  const size =
    typeof value === 'string'
      ? [...value].length
      : Array.isArray(value)
        ? value.length
        : value && typeof value === 'object'
          ? Object.keys(value).length
          : undefined;
  if (c.length && size !== undefined) {
    if (size < c.length[0])
      throw violation(value, field, `Member must have length greater than or equal to ${c.length[0]}`);
    if (size > c.length[1])
      throw violation(value, field, `Member must have length less than or equal to ${c.length[1]}`);
  }
  if (c.range && typeof value === 'number') {
    if (value < c.range[0])
      throw violation(value, field, `Member must have value greater than or equal to ${c.range[0]}`);
    if (value > c.range[1])
      throw violation(value, field, `Member must have value less than or equal to ${c.range[1]}`);
  }
  if (c.pattern && typeof value === 'string' && !fullMatch(c.pattern).test(value)) {
    throw violation(value, field, `Member must satisfy regular expression pattern: ${c.pattern}`);
  }
  if (c.enum && typeof value === 'string' && !c.enum.includes(value)) {
    throw violation(value, field, `Member must satisfy enum value set: [${c.enum.join(', ')}]`);
  }
  if (c.keys && value && typeof value === 'object' && !Array.isArray(value)) {
    for (const key of Object.keys(value)) checkConstraint(key, field, c.keys);
  }
}

function scalar(schema: NormalizedSchema, value: unknown, field: string, encoding: Encoding): unknown {
  if (schema.isStringSchema() || schema.isBlobSchema()) {
    if (typeof value !== 'string') throw violation(value, field, 'Member must be a string');
    return value;
  }
  if (schema.isNumericSchema() || schema.isTimestampSchema()) {
    const number =
      encoding === 'query' && typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    // The served operations' numeric members are all integers (timestamps: epoch seconds, any number).
    const ok = typeof number === 'number' && Number.isFinite(number);
    if (!ok || (!schema.isTimestampSchema() && !Number.isSafeInteger(number))) {
      throw violation(value, field, 'Member must be an integer');
    }
    return number;
  }
  if (schema.isBooleanSchema()) {
    if (encoding === 'query' && (value === 'true' || value === 'false')) return value === 'true';
    if (typeof value !== 'boolean') throw violation(value, field, 'Member must be a boolean');
    return value;
  }
  return value; // documents: any JSON value
}

/** The checked (and, for `query`, converted) value of a member of shape `schema`. */
function check(
  schema: NormalizedSchema,
  value: unknown,
  field: string,
  constraint: Constraint | undefined,
  model: InputModel,
  encoding: Encoding,
): unknown {
  let result: unknown;
  if (schema.isStructSchema() || schema.isUnionSchema()) {
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw violation(value, field, 'Member must be a structure');
    result = structure(schema, value as Record<string, unknown>, `${field}.`, model, encoding);
  } else if (schema.isListSchema()) {
    // awsQuery sends an empty list as `Name=`.
    const list = encoding === 'query' && value === '' ? [] : value;
    if (!Array.isArray(list)) throw violation(value, field, 'Member must be a list');
    const item = schema.getValueSchema();
    result = list.map((entry, i) => {
      const at = `${field}.${i + 1}.member`;
      if (entry === null || entry === undefined) throw violation('null', at, 'Member must not be null');
      return check(item, entry, at, constraint?.items, model, encoding);
    });
  } else if (schema.isMapSchema()) {
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw violation(value, field, 'Member must be a map');
    const item = schema.getValueSchema();
    const map = nullRecord();
    for (const [key, entry] of Object.entries(value)) {
      if (entry === null || entry === undefined)
        throw violation('null', `${field}.${key}`, 'Member must not be null');
      map[key] = check(item, entry, `${field}.${key}`, undefined, model, encoding);
    }
    result = map;
  } else {
    result = scalar(schema, value, field, encoding);
  }
  checkConstraint(result, field, constraint);
  return result;
}

function structure(
  schema: NormalizedSchema,
  value: Record<string, unknown>,
  prefix: string,
  model: InputModel,
  encoding: Encoding,
  textMembers?: ReadonlySet<string>,
): Record<string, unknown> {
  const name = schema.getName() ?? '';
  const raw = schema.getSchema() as unknown[];
  const required = typeof raw[6] === 'number' ? raw[6] : 0;
  const result = nullRecord();
  let index = 0;
  for (const [member, memberSchema] of schema.structIterator()) {
    const field = `${prefix}${fieldName(member)}`;
    const given = Object.hasOwn(value, member) ? value[member] : undefined;
    // JSON null is an absent member, as AWS's JSON deserializers read it.
    if (given === undefined || given === null) {
      if (index < required) throw violation('null', field, 'Member must not be null');
    } else {
      const constraint = model.constraints[`${name}.${member}`] ?? model.constraints[member];
      const memberEncoding = textMembers?.has(member) ? 'query' : encoding;
      result[member] = check(memberSchema, given, field, constraint, model, memberEncoding);
    }
    index++;
  }
  return result;
}

/** The input shape of `operation`, when the SDK package models it. */
function inputSchema(model: InputModel, operation: string): NormalizedSchema | undefined {
  const op = model.schemas[`${operation}$`];
  if (!Array.isArray(op) || op[0] !== 9) return undefined;
  return NormalizedSchema.of(op[4]);
}

/**
 * `input` checked against `operation`'s input shape: only modelled members are kept (AWS ignores
 * others), scalars converted for `query` and for `textMembers` (restJson1's labels, query strings and
 * headers). Throws InputViolation with AWS's message.
 */
export function validateInput(
  model: InputModel,
  operation: string,
  input: Record<string, unknown>,
  encoding: Encoding,
  textMembers?: ReadonlySet<string>,
): Record<string, unknown> {
  const schema = inputSchema(model, operation);
  if (!schema) throw new Error(`The SDK model has no operation ${operation}.`);
  return structure(schema, input, '', model, encoding, textMembers);
}

/**
 * restJson1: where each member of the input travels (path label, query string, header, payload or
 * body), so the protocol can assemble the whole input before checking it.
 */
export function restBindings(
  model: InputModel,
  operation: string,
): { member: string; list: boolean; label?: true; query?: string; header?: string; payload?: true }[] {
  const schema = inputSchema(model, operation);
  if (!schema) throw new Error(`The SDK model has no operation ${operation}.`);
  return [...schema.structIterator()].map(([member, memberSchema]) => {
    const traits = memberSchema.getMergedTraits();
    return {
      member,
      list: memberSchema.isListSchema(),
      ...(traits.httpLabel ? { label: true as const } : {}),
      ...(typeof traits.httpQuery === 'string' ? { query: traits.httpQuery } : {}),
      ...(typeof traits.httpHeader === 'string' ? { header: traits.httpHeader } : {}),
      ...(traits.httpPayload ? { payload: true as const } : {}),
    };
  });
}
