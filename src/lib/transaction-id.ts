/**
 * Transaction ids, shared by the function (`transactionId` in its payloads) and the CLI (`--id`):
 * 1–255 characters, as the varchar(255) column counts them (code points, not UTF-16 units), not
 * blank, and without control characters.
 */
export const MAX_TRANSACTION_ID_LENGTH = 255;

type TransactionIdResult = { ok: true; value: string } | { ok: false; message: string };

export function parseTransactionId(input: unknown): TransactionIdResult {
  if (input === undefined || input === null) return { ok: false, message: 'is required' };
  if (typeof input !== 'string') return { ok: false, message: 'must be a string' };
  const length = [...input].length;
  if (length === 0 || input.trim() === '') return { ok: false, message: 'must not be empty' };
  if (length > MAX_TRANSACTION_ID_LENGTH) {
    return { ok: false, message: `must be at most ${MAX_TRANSACTION_ID_LENGTH} characters (got ${length})` };
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (/[\u0000-\u001f\u007f]/.test(input))
    return { ok: false, message: 'must not contain control characters' };
  return { ok: true, value: input };
}
