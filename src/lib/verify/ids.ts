/**
 * The rows `verify` writes are marked by their id prefix (README), so `txn list` can leave them out
 * of the user's view unless --include-verify.
 */
export const VERIFY_ID_PREFIX = 'verify-';

export function verifyId(check: string, unique: string): string {
  return `${VERIFY_ID_PREFIX}${check}-${unique}`;
}

export function isVerifyId(id: string): boolean {
  return id.startsWith(VERIFY_ID_PREFIX);
}
