import type { ErrorCode } from '../errors.js';
import { pushError } from '../errors.js';

/**
 * Renders untrusted input for an error message: quoted, and cut short so a megabyte of garbage never ends up in a
 * log line or an HTTP body.
 */
export function quote(value: unknown, max = 64): string {
  if (typeof value !== 'string') return value === null ? 'null' : typeof value;
  const cut = truncateCodePoints(value, max);
  return JSON.stringify(cut) + (cut.length < value.length ? '…' : '');
}

/**
 * Cuts a string to at most `max` Unicode code points. Cutting by code point (not UTF-16 unit, as the original node
 * did with `substring`) never leaves half a surrogate pair, i.e. never turns an emoji into an invalid string.
 */
export function truncateCodePoints(value: string, max: number): string {
  if (value.length <= max) return value;
  let out = '';
  let count = 0;
  for (const ch of value) {
    if (count === max) break;
    out += ch;
    count++;
  }
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Own-property read that ignores prototype keys such as `__proto__` or `constructor`. */
export function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Shorthand used by every parser: a `PushError` naming the field at fault. */
export function fail(code: ErrorCode, message: string, field?: string, hint?: string): never {
  throw pushError(code, message, { ...(field ? { field } : {}), ...(hint ? { hint } : {}) });
}

/** Canonical decimal integers only: no sign, no leading zeros, no exponent, within the safe-integer range. */
export function parseCanonicalUint(value: string): number | null {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * `text` with U+0000 as U+FFFD, for text from outside that is stored as it is (a log's strings, an error message quoting
 * fetched content): Postgres text cannot hold U+0000, and a write that fails on it fails whatever it was part of.
 */
export function withoutNul(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD');
}

/**
 * The text of a string an EVM log carries (hex of its bytes), read leniently: invalid UTF-8 and U+0000 become U+FFFD.
 * A log carrying U+0000 (anyone can emit a SendNotification or a settings string) failed its whole batch on Postgres,
 * retried forever, stalling that chain.
 */
export function chainText(hex: string): string {
  return withoutNul(Buffer.from(hex.startsWith('0x') ? hex.slice(2) : hex, 'hex').toString('utf8'));
}
