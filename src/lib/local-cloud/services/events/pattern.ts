/**
 * EventBridge event patterns: the documented subset dsqlctl uses, validated as EventBridge validates a
 * rule's pattern and matched as EventBridge matches events. No maintained npm library implements
 * EventBridge's matching, so this is the one place it lives.
 *
 * Supported: nested objects (`{"detail": {"originRegion": [...]}}`), leaf arrays of exact values
 * (strings, numbers compared numerically, booleans, null), `{"prefix": "…"}`, `{"anything-but": v}` with
 * v a value, an array of values or `{"prefix": "…"}`, and `{"exists": true|false}`. A leaf matches when
 * any of its matchers matches; an array in the event matches when any of its elements does. Any other
 * operator (suffix, numeric, cidr, wildcard, equals-ignore-case, $or) is refused with a clear error.
 */

export class PatternError extends Error {}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Matcher = null | boolean | number | string | { [operator: string]: Json };
interface Pattern {
  [key: string]: Matcher[] | Pattern;
}

const OPERATORS = ['prefix', 'anything-but', 'exists'];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isScalar = (value: unknown): value is null | boolean | number | string =>
  value === null || ['boolean', 'number', 'string'].includes(typeof value);

function checkMatcher(matcher: unknown, path: string): void {
  if (isScalar(matcher)) return;
  if (!isObject(matcher))
    throw new PatternError(`Match value at ${path} must be a value or an operator object.`);
  const keys = Object.keys(matcher);
  const [operator] = keys;
  if (keys.length !== 1 || operator === undefined) {
    throw new PatternError(`Operator object at ${path} must have exactly one operator.`);
  }
  if (!OPERATORS.includes(operator)) {
    throw new PatternError(
      `Unsupported operator "${operator}" at ${path}: the dsqlctl local cloud matches exact values, prefix, anything-but and exists only.`,
    );
  }
  const argument = matcher[operator];
  if (operator === 'prefix' && typeof argument !== 'string') {
    throw new PatternError(`prefix match pattern at ${path} must be a string.`);
  }
  if (operator === 'exists' && typeof argument !== 'boolean') {
    throw new PatternError(`exists match pattern at ${path} must be either true or false.`);
  }
  if (operator === 'anything-but') {
    const ok =
      isScalar(argument) ||
      (Array.isArray(argument) && argument.length > 0 && argument.every(isScalar)) ||
      (isObject(argument) && Object.keys(argument).length === 1 && typeof argument.prefix === 'string');
    if (!ok) {
      throw new PatternError(
        `anything-but at ${path} must be a value, a non-empty array of values or {"prefix": "…"}.`,
      );
    }
  }
}

function checkObject(pattern: unknown, path: string): void {
  if (!isObject(pattern))
    throw new PatternError(`Pattern at ${path || 'the top level'} must be a JSON object.`);
  if (Object.keys(pattern).length === 0) throw new PatternError('Empty objects are not allowed.');
  for (const [key, value] of Object.entries(pattern)) {
    const at = path ? `${path}.${key}` : key;
    if (Array.isArray(value)) {
      if (value.length === 0) throw new PatternError(`Empty arrays are not allowed (at ${at}).`);
      for (const matcher of value) checkMatcher(matcher, at);
    } else if (isObject(value)) {
      checkObject(value, at);
    } else {
      throw new PatternError(`Match value at ${at} must be an array or an object.`);
    }
  }
}

/** Parsed patterns by text: every delivery matches its rules' patterns, which change only with PutRule. */
const parsedPatterns = new Map<string, Pattern>();
/** Rules are few; the bound only guards against churn. */
const MAX_CACHED_PATTERNS = 10_000;

/**
 * Parses and validates a rule's pattern text once (later calls with the same text reuse the result,
 * which callers only read); throws PatternError saying what is wrong.
 */
export function parsePattern(text: string): Pattern {
  const cached = parsedPatterns.get(text);
  if (cached) return cached;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PatternError(`Filter is not valid JSON: ${(error as Error).message}`);
  }
  checkObject(parsed, '');
  if (parsedPatterns.size >= MAX_CACHED_PATTERNS) parsedPatterns.clear();
  parsedPatterns.set(text, parsed as Pattern);
  return parsed as Pattern;
}

function excluded(argument: Json, value: unknown): boolean {
  if (Array.isArray(argument)) return argument.some((a) => isScalar(a) && a === value);
  if (isObject(argument)) return typeof value === 'string' && value.startsWith(String(argument.prefix));
  return argument === value;
}

function matchOne(matcher: Matcher, present: boolean, values: unknown[]): boolean {
  if (!isObject(matcher)) return present && values.some((v) => v === matcher);
  if ('exists' in matcher) return matcher.exists === present;
  if (!present) return false;
  if ('prefix' in matcher)
    return values.some((v) => typeof v === 'string' && v.startsWith(String(matcher.prefix)));
  const argument = matcher['anything-but'] as Json;
  return values.some((v) => isScalar(v) && !excluded(argument, v));
}

/** Does `event` (the full event: source, detail-type, detail, …) match `pattern`? */
export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  return Object.entries(pattern).every(([key, sub]) => {
    const present = isObject(event) && Object.hasOwn(event, key) && event[key] !== undefined;
    const field = present ? (event as Record<string, unknown>)[key] : undefined;
    if (!Array.isArray(sub)) return matchesPattern(sub, field);
    const values = Array.isArray(field) ? field : [field];
    return sub.some((matcher) => matchOne(matcher, present, values));
  });
}
