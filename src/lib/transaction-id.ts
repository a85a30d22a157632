/**
 * Transaction ids, shared by the function (`transactionId` in its payloads; lambda-bundle/src/request.ts
 * imports this file, so the bundle carries the same rule) and the CLI (`--id`): 1–255 characters, as
 * the varchar(255) column counts them (code points, not UTF-16 units), and nothing a person could
 * misread: no control characters (C0, DEL, C1 such as U+0085), no bidirectional controls (U+202E
 * shows `abc\u202Egpj.exe` as "abcexe.jpg"), no zero-width or invisible characters (`seed\u200B-1`
 * looks exactly like `seed-1`), no leading or trailing space, and no lone surrogate (both `sur\ud800`
 * and `sur\udbff` would be stored as U+FFFD and collide). Each refusal names its rule.
 */
export const MAX_TRANSACTION_ID_LENGTH = 255;

type TransactionIdResult = { ok: true; value: string } | { ok: false; message: string };

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
/** Bidirectional embeddings, overrides, isolates and marks. */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
/** Zero-width and other invisible format characters (soft hyphen, joiners, word joiner, BOM…). */
const INVISIBLE = /[\u00ad\u180e\u200b-\u200d\u2060-\u2064\ufeff]/u;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one (no `u` flag: units). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** "U+202E", for the message: the offending character named, never shown. */
const codePoint = (c: string) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

export function parseTransactionId(input: unknown): TransactionIdResult {
  if (input === undefined || input === null) return { ok: false, message: 'is required' };
  if (typeof input !== 'string') return { ok: false, message: 'must be a string' };
  if (LONE_SURROGATE.test(input)) {
    return { ok: false, message: 'must not contain a lone surrogate (not valid Unicode text)' };
  }
  const length = [...input].length;
  if (length === 0 || input.trim() === '') return { ok: false, message: 'must not be empty' };
  if (length > MAX_TRANSACTION_ID_LENGTH) {
    return { ok: false, message: `must be at most ${MAX_TRANSACTION_ID_LENGTH} characters (got ${length})` };
  }
  if (input !== input.trim()) return { ok: false, message: 'must not begin or end with a space' };
  for (const [rule, pattern] of [
    ['control characters', CONTROL],
    ['bidirectional control characters', BIDI],
    ['zero-width or invisible characters', INVISIBLE],
  ] as const) {
    const found = pattern.exec(input);
    if (found) return { ok: false, message: `must not contain ${rule} (found ${codePoint(found[0])})` };
  }
  return { ok: true, value: input };
}
