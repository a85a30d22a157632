/**
 * Transaction amounts, shared by the function (its `amount` payload) and the CLI (`--amount`).
 *
 * An amount is stored as DECIMAL(10,2), so it is handled as a decimal string from the edge to the
 * database and never passes through float arithmetic: a JSON number is turned into its shortest
 * round-trip text (what `String(n)` gives), which either has at most two decimals or is refused.
 * `0.1 + 0.2` arrives as 0.30000000000000004 and is refused; it never becomes 0.30 by rounding.
 */

export const MAX_AMOUNT = '99999999.99';

type AmountResult = { ok: true; value: string } | { ok: false; message: string };

// Digits, an optional fraction; a sign is matched so a negative amount gets the right message.
const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/**
 * Parses a JSON number or a decimal string into an exact two-decimal string ("100.50").
 * Decisions where the issue is silent: surrounding whitespace in a string is ignored; trailing
 * zeros past the second decimal are accepted because they do not change the value ("1.500" → "1.50");
 * exponent notation in a string ("1e3") is refused as not a plain decimal; ".5" and "5." are refused.
 */
export function parseAmount(input: unknown): AmountResult {
  if (input === undefined || input === null) return fail('amount is required');
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return fail('amount must be a finite number');
    text = String(input);
    // Only magnitudes ≥ 1e21 or < 1e-6 print with an exponent: too large or too many decimals.
    if (text.includes('e')) {
      return Math.abs(input) >= 1 ? tooLarge() : fail('amount must have at most two decimal places');
    }
  } else if (typeof input === 'string') {
    text = input.trim();
    if (text === '') return fail('amount must not be empty');
  } else {
    return fail(`amount must be a number or a decimal string, not ${describe(input)}`);
  }

  const match = DECIMAL.exec(text);
  if (!match) {
    if (/^[+-]?(nan|infinity|inf)$/i.test(text)) return fail('amount must be a finite number');
    return fail(`amount "${truncate(text)}" is not a decimal number (expected digits such as 100.50)`);
  }
  const [, sign = '', rawInteger = '', rawFraction = ''] = match;
  const integer = rawInteger.replace(/^0+(?=\d)/, '');
  const fraction = rawFraction.replace(/0+$/, '');
  if (fraction.length > 2) return fail('amount must have at most two decimal places');
  const isZero = /^0*$/.test(integer) && fraction === '';
  if (sign === '-' || isZero) return fail('amount must be greater than 0');
  if (integer.length > 8) return tooLarge();
  return { ok: true, value: `${integer}.${fraction.padEnd(2, '0')}` };
}

function tooLarge(): AmountResult {
  return fail(`amount must be at most ${MAX_AMOUNT}`);
}

function fail(message: string): AmountResult {
  return { ok: false, message };
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
