/**
 * The subset of CloudWatch Logs filter patterns the local cloud serves: terms (`ERROR`), quoted phrases
 * (`"timed out"`), alternatives (`?ERROR ?WARN`), exclusions (`ERROR -retrying`) and JSON selectors
 * (`{ $.level = "ERROR" }`, `{ $.attempts > 1 && $.outcome != "ok" }`). Terms and phrases are
 * case-sensitive substrings, as in CloudWatch. Anything else (space-delimited `[a, b]` patterns,
 * `%regex%`, parentheses in selectors) is refused with a PatternError naming the pattern.
 */
export class PatternError extends Error {
  override readonly name = 'PatternError';
}

export type EventMatcher = (message: string) => boolean;

const SERVED =
  'the local cloud serves terms, "quoted phrases", ?alternatives, -exclusions and JSON selectors such as { $.level = "ERROR" }';

function refuse(pattern: string, why: string): PatternError {
  return new PatternError(`Invalid filter pattern ${JSON.stringify(pattern)}: ${why} (${SERVED}).`);
}

/** A term pattern's words: bare terms and quoted phrases, each maybe prefixed with `?` or `-`. */
function termsOf(pattern: string): { text: string; prefix: '' | '?' | '-' }[] {
  const terms: { text: string; prefix: '' | '?' | '-' }[] = [];
  const token = /\s*([?-]?)(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))/y;
  let rest = pattern.trim();
  while (rest.length > 0) {
    token.lastIndex = 0;
    const match = token.exec(rest);
    if (!match) throw refuse(pattern, 'an unterminated quoted phrase');
    const [whole, prefix = '', quoted, bare] = match;
    const text = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare as string);
    if (quoted === undefined && /[[\]{}()%]/.test(text)) {
      throw refuse(pattern, `"${text}" is not a term`);
    }
    if (text.length === 0) throw refuse(pattern, 'an empty term');
    terms.push({ text, prefix: prefix as '' | '?' | '-' });
    rest = rest.slice(whole.length).trimStart();
  }
  return terms;
}

function termMatcher(pattern: string): EventMatcher {
  const terms = termsOf(pattern);
  const alternatives = terms.filter((t) => t.prefix === '?').map((t) => t.text);
  const required = terms.filter((t) => t.prefix === '').map((t) => t.text);
  const excluded = terms.filter((t) => t.prefix === '-').map((t) => t.text);
  if (alternatives.length > 0 && required.length + excluded.length > 0) {
    throw refuse(pattern, '?alternatives cannot be mixed with other terms');
  }
  if (alternatives.length > 0) return (message) => alternatives.some((t) => message.includes(t));
  if (required.length === 0) throw refuse(pattern, 'exclusions need at least one term to match');
  return (message) =>
    required.every((t) => message.includes(t)) && !excluded.some((t) => message.includes(t));
}

type Comparison = { path: string[]; op: string; value: string | number | null | boolean; wildcard: boolean };

/** `$.a.b[0]` → ['a', 'b', '0']. */
function selectorPath(pattern: string, text: string): string[] {
  if (!/^\$(\.[A-Za-z_][\w-]*|\[\d+\])+$/.test(text))
    throw refuse(pattern, `"${text}" is not a JSON selector`);
  return [...text.matchAll(/\.([A-Za-z_][\w-]*)|\[(\d+)\]/g)].map((m) => (m[1] ?? m[2]) as string);
}

function parseComparison(pattern: string, text: string): Comparison {
  const match = /^\s*(\$[^\s=!<>]*)\s*(=|!=|<=|>=|<|>)\s*(.+?)\s*$/.exec(text);
  if (!match) throw refuse(pattern, `"${text.trim()}" is not a comparison`);
  const [, selector = '', op = '', raw = ''] = match;
  const path = selectorPath(pattern, selector);
  if (/^"((?:[^"\\]|\\.)*)"$/.test(raw)) {
    const value = raw.slice(1, -1).replace(/\\(.)/g, '$1');
    if (op !== '=' && op !== '!=') throw refuse(pattern, `${op} compares numbers only`);
    return { path, op, value, wildcard: value.includes('*') };
  }
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw)) return { path, op, value: Number(raw), wildcard: false };
  if (raw === 'NULL' || raw === 'TRUE' || raw === 'FALSE') {
    if (op !== '=' && op !== '!=') throw refuse(pattern, `${op} compares numbers only`);
    return { path, op, value: raw === 'NULL' ? null : raw === 'TRUE', wildcard: false };
  }
  if (/^[\w.*-]+$/.test(raw)) {
    if (op !== '=' && op !== '!=') throw refuse(pattern, `${op} compares numbers only`);
    return { path, op, value: raw, wildcard: raw.includes('*') };
  }
  throw refuse(pattern, `"${raw}" is not a value`);
}

function lookup(document: unknown, path: string[]): unknown {
  let value = document;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function compare(document: unknown, c: Comparison): boolean {
  const actual = lookup(document, c.path);
  if (typeof c.value === 'number') {
    if (typeof actual !== 'number') return false;
    switch (c.op) {
      case '=':
        return actual === c.value;
      case '!=':
        return actual !== c.value;
      case '<':
        return actual < c.value;
      case '>':
        return actual > c.value;
      case '<=':
        return actual <= c.value;
      default:
        return actual >= c.value;
    }
  }
  let equal: boolean;
  if (typeof c.value === 'string') {
    if (typeof actual !== 'string') return c.op === '!=' && actual !== undefined;
    equal = c.wildcard
      ? new RegExp(`^${c.value.split('*').map(escapeRegExp).join('.*')}$`).test(actual)
      : actual === c.value;
  } else {
    equal = actual === c.value;
  }
  return c.op === '=' ? equal : !equal && actual !== undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `{ a && b || c }`: && binds tighter than ||, as in CloudWatch; no parentheses here. */
function jsonMatcher(pattern: string): EventMatcher {
  const body = pattern.trim().slice(1, -1);
  if (/[()]/.test(body.replace(/"(?:[^"\\]|\\.)*"/g, '""')))
    throw refuse(pattern, 'parentheses in selectors');
  const alternatives = body.split('||').map((any) => any.split('&&').map((c) => parseComparison(pattern, c)));
  return (message) => {
    let document: unknown;
    try {
      document = JSON.parse(message);
    } catch {
      return false;
    }
    return alternatives.some((all) => all.every((c) => compare(document, c)));
  };
}

/** The matcher of `pattern`; an empty or missing pattern matches every event. Throws PatternError. */
export function parseFilterPattern(pattern: string | undefined): EventMatcher {
  const text = (pattern ?? '').trim();
  if (text.length === 0) return () => true;
  if (text.startsWith('{')) {
    if (!text.endsWith('}')) throw refuse(pattern as string, 'a JSON selector must end with }');
    return jsonMatcher(text);
  }
  if (text.startsWith('[')) throw refuse(pattern as string, 'space-delimited [ ] patterns are not served');
  if (text.startsWith('%')) throw refuse(pattern as string, 'regular expressions are not served');
  return termMatcher(text);
}
