/**
 * A flag value as an error message quotes it: in full when short, else its start and its length, so a
 * 100,000-digit `--amount` is never echoed back in full.
 */
const MAX_ECHO = 40;

export function echoInput(value: string): string {
  const chars = [...value];
  if (chars.length <= MAX_ECHO) return `"${value}"`;
  return `"${chars.slice(0, MAX_ECHO).join('')}…" (${chars.length} characters)`;
}
