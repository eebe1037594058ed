import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPushError } from '../../errors.js';
import { canonicalSignature, isLowS, parseSignature } from './signature.js';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const word = (x: bigint) => x.toString(16).padStart(64, '0');
const sig = (r: bigint, s: bigint, v: number) =>
  `0x${word(r)}${word(s)}${v.toString(16).padStart(2, '0')}` as const;

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isPushError(err, 'PUSH_ERR_SIGNATURE_INVALID')) return String(err.details?.reason);
    throw err;
  }
  throw new Error('expected a PUSH_ERR_SIGNATURE_INVALID');
}

describe('parseSignature', () => {
  it('maps v 27/28 and 0/1 to recovery ids 0/1', () => {
    expect(parseSignature(sig(1n, 2n, 27)).recovery).toBe(0);
    expect(parseSignature(sig(1n, 2n, 28)).recovery).toBe(1);
    expect(parseSignature(sig(1n, 2n, 0)).recovery).toBe(0);
    expect(parseSignature(sig(1n, 2n, 1)).recovery).toBe(1);
  });

  it('accepts upper-case hex and bytes, and copies r ‖ s', () => {
    const hex = sig(0xabcn, 0xdefn, 27);
    const upper = `0x${hex.slice(2).toUpperCase()}`;
    const parts = parseSignature(upper);
    expect(Buffer.from(parts.compact).toString('hex')).toBe(hex.slice(2, 130));
    const bytes = Buffer.from(hex.slice(2), 'hex');
    const fromBytes = parseSignature(bytes);
    bytes[0] = 0xff;
    expect(fromBytes.compact[0]).toBe(0);
  });

  it('refuses malformed signatures with a reason', () => {
    expect(reasonOf(() => parseSignature('0x1234'))).toMatch(/expected 65 bytes, got 2/);
    expect(reasonOf(() => parseSignature(sig(1n, 2n, 27).slice(0, 130)))).toMatch(
      /expected 65 bytes, got 64/,
    );
    expect(reasonOf(() => parseSignature(`${sig(1n, 2n, 27)}00`))).toMatch(/expected 65 bytes, got 66/);
    expect(reasonOf(() => parseSignature(sig(1n, 2n, 27).slice(2)))).toMatch(/not a 0x-prefixed hex/);
    expect(reasonOf(() => parseSignature(`0x${'zz'.repeat(65)}`))).toMatch(/not a 0x-prefixed hex/);
    expect(reasonOf(() => parseSignature(12))).toMatch(/got number/);
    expect(reasonOf(() => parseSignature(null))).toMatch(/got null/);
    expect(reasonOf(() => parseSignature(new Uint8Array(64)))).toMatch(/expected 65 bytes, got 64/);
    expect(reasonOf(() => parseSignature(sig(1n, 2n, 29)))).toMatch(/v must be/);
    expect(reasonOf(() => parseSignature(sig(1n, 2n, 37)))).toMatch(/v must be/);
    expect(reasonOf(() => parseSignature(sig(1n, 2n, 2)))).toMatch(/v must be/);
  });

  it('requires 1 ≤ r, s < n', () => {
    expect(reasonOf(() => parseSignature(sig(0n, 2n, 27)))).toMatch(/^r is not/);
    expect(reasonOf(() => parseSignature(sig(N, 2n, 27)))).toMatch(/^r is not/);
    expect(reasonOf(() => parseSignature(sig(N + 1n, 2n, 27)))).toMatch(/^r is not/);
    expect(reasonOf(() => parseSignature(sig(1n, 0n, 27)))).toMatch(/^s is not/);
    expect(reasonOf(() => parseSignature(sig(1n, N, 27)))).toMatch(/^s is not/);
    expect(parseSignature(sig(N - 1n, N - 1n, 27)).recovery).toBe(0);
  });

  it('names the field it was given', () => {
    try {
      parseSignature('0x', 'body.verificationProof');
      expect.unreachable();
    } catch (err) {
      expect(isPushError(err) && err.field).toBe('body.verificationProof');
      expect(isPushError(err) && err.status).toBe(403);
    }
  });

  it('throws nothing but PushError for any input', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.stringMatching(/^0x[0-9a-fA-F]{130}$/), fc.anything()),
        (input) => {
          try {
            parseSignature(input);
          } catch (err) {
            expect(isPushError(err, 'PUSH_ERR_SIGNATURE_INVALID')).toBe(true);
          }
        },
      ),
      { seed: 42, numRuns: 1000 },
    );
  });
});

describe('canonicalSignature', () => {
  it('maps (r, s, v) and (r, n − s, v ^ 1) to the same low-s string', () => {
    const r = 0x1234n;
    const lowS = 0x5678n;
    const low = sig(r, lowS, 27);
    const high = sig(r, N - lowS, 28);
    expect(isLowS(parseSignature(low))).toBe(true);
    expect(isLowS(parseSignature(high))).toBe(false);
    expect(canonicalSignature(high)).toBe(low);
    expect(canonicalSignature(low)).toBe(low);
    expect(canonicalSignature(sig(r, lowS, 0))).toBe(low);
  });
});
