import type { ErrorCode } from '../errors.js';
import { fail, quote } from './text.js';

export type Hex = `0x${string}`;

/**
 * Validates `0x` followed by exactly `bytes` bytes of hex (any case) and returns it lower-cased, so equal values
 * compare equal as strings (proof uniqueness, tx-hash keys).
 */
export function parseFixedHex(
  input: string,
  bytes: number,
  what: string,
  code: ErrorCode,
  field: string | undefined,
): Hex {
  if (!input.startsWith('0x')) {
    fail(code, `${what} must start with 0x, got ${quote(input)}`, field);
  }
  const digits = input.length - 2;
  if (digits !== bytes * 2) {
    fail(
      code,
      `${what} must be ${bytes} bytes (${bytes * 2} hex digits after 0x), got ${digits} digits`,
      field,
    );
  }
  if (!/^0x[0-9a-fA-F]*$/.test(input)) {
    fail(code, `${what} contains non-hex characters: ${quote(input)}`, field);
  }
  return input.toLowerCase() as Hex;
}
