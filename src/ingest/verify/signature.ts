import { pushError } from '../../errors.js';
import { hexToBytesUnchecked, isHexOfLength, toHex } from './bytes.js';

/**
 * A 65-byte Ethereum signature split for recovery: `r ‖ s` (64 bytes) and the recovery id.
 *
 * What is accepted is what the reference node's verifier (eth-sig-util `recoverTypedSignature_v4`) and ethers v5
 * `verifyTypedData` accept, so that no signature the SDKs produce is refused:
 * - exactly 65 bytes `r ‖ s ‖ v` as `0x` + 130 hex characters (any case) or a 65-byte Uint8Array; the 64-byte
 *   EIP-2098 compact form is refused (no SDK sends it, and the proof parser requires 65 bytes);
 * - `v` ∈ {27, 28} or the bare recovery id {0, 1}; EIP-155-style `v` (≥ 35) and anything else are refused;
 * - `1 ≤ r < n` and `1 ≤ s < n`. **High-s signatures (s > n/2) are accepted**: neither eth-sig-util nor ethers v5
 *   enforce low-s for off-chain signatures, and libsecp256k1's and noble's recovery don't either.
 *
 * Consequence of accepting high-s: for any valid signature `(r, s, v)`, `(r, n − s, v ^ 1)` recovers the same
 * signer over the same digest. Never de-duplicate or index on the raw signature bytes; key replay protection on the
 * digest (or use `canonicalSignature` to store one form).
 */
export interface SignatureParts {
  /** `r ‖ s`, 64 bytes, big-endian. */
  compact: Uint8Array;
  /** The recovery id: 0 or 1 (`v − 27` when v is 27 or 28). */
  recovery: 0 | 1;
}

/** The secp256k1 group order n, big-endian. */
const CURVE_ORDER = Uint8Array.from(
  Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 'hex'),
);
const CURVE_ORDER_BIG = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_ORDER_BIG = CURVE_ORDER_BIG >> 1n;

const HINT = 'send the 65-byte r‖s‖v signature produced by signTypedData (0x + 130 hex characters)';

function invalid(reason: string, field: string, details: Record<string, unknown> = {}) {
  return pushError('PUSH_ERR_SIGNATURE_INVALID', `The signature is malformed: ${reason}`, {
    field,
    hint: HINT,
    details: { reason, ...details },
  });
}

/** 1 ≤ value < n, for the 32 bytes of `b` at `offset`. */
function inScalarRange(b: Uint8Array, offset: number): boolean {
  let zero = true;
  for (let i = 0; i < 32; i++) {
    if (b[offset + i] !== 0) {
      zero = false;
      break;
    }
  }
  if (zero) return false;
  for (let i = 0; i < 32; i++) {
    const x = b[offset + i]!;
    const m = CURVE_ORDER[i]!;
    if (x !== m) return x < m;
  }
  return false; // equal to n
}

/**
 * Splits and checks a 65-byte signature. Throws `PUSH_ERR_SIGNATURE_INVALID` (with `details.reason`) when it is
 * malformed; a well-formed signature may still fail to recover (see `recover.ts`).
 */
export function parseSignature(signature: unknown, field = 'signature'): SignatureParts {
  let bytes: Uint8Array;
  if (typeof signature === 'string') {
    if (!isHexOfLength(signature, 65)) {
      const looksHex = /^0x[0-9a-fA-F]*$/.test(signature);
      throw looksHex
        ? invalid(`expected 65 bytes, got ${(signature.length - 2) / 2}`, field, { length: signature.length })
        : invalid('not a 0x-prefixed hex string', field);
    }
    bytes = hexToBytesUnchecked(signature);
  } else if (signature instanceof Uint8Array) {
    if (signature.length !== 65) throw invalid(`expected 65 bytes, got ${signature.length}`, field);
    bytes = signature;
  } else {
    throw invalid(`expected a hex string, got ${signature === null ? 'null' : typeof signature}`, field);
  }

  const v = bytes[64]!;
  let recovery: 0 | 1;
  if (v === 27 || v === 0) recovery = 0;
  else if (v === 28 || v === 1) recovery = 1;
  else throw invalid(`v must be 27, 28, 0 or 1, got ${v}`, field, { v });

  if (!inScalarRange(bytes, 0)) throw invalid('r is not in [1, n-1]', field);
  if (!inScalarRange(bytes, 32)) throw invalid('s is not in [1, n-1]', field);

  // Hex was decoded into a fresh buffer; caller's bytes are copied so that they may reuse their buffer.
  // (Not `.slice`: on a Buffer it returns a view.)
  const compact =
    typeof signature === 'string' ? bytes.subarray(0, 64) : new Uint8Array(bytes.subarray(0, 64));
  return { compact, recovery };
}

/** True when s ≤ n/2 (the form Ethereum transactions require since EIP-2). */
export function isLowS(parts: SignatureParts): boolean {
  return BigInt(toHex(parts.compact, 32, 32)) <= HALF_ORDER_BIG;
}

/**
 * The one low-s form of a signature, as lower-case `0x` hex with v 27/28: `(r, s, v)` and `(r, n − s, v ^ 1)` map
 * to the same string. Use it wherever signatures are compared or stored as keys.
 */
export function canonicalSignature(signature: unknown, field = 'signature'): `0x${string}` {
  const parts = parseSignature(signature, field);
  const out = new Uint8Array(65);
  out.set(parts.compact);
  let recovery: number = parts.recovery;
  if (!isLowS(parts)) {
    const s = CURVE_ORDER_BIG - BigInt(toHex(parts.compact, 32, 32));
    out.set(Buffer.from(s.toString(16).padStart(64, '0'), 'hex'), 32);
    recovery ^= 1;
  }
  out[64] = 27 + recovery;
  return toHex(out);
}
