import { keccak256Into } from './keccak.js';

/** Field kinds of a flat struct (also their tags on the verifier pool's wire, `batch.ts`). */
export const FIELD_STRING = 0;
export const FIELD_ADDRESS = 1;

/**
 * Typed data of the fast path (a flat struct of strings and addresses: every shape the SDK signs), checked but not
 * hashed: what its digest is made of (`flatTypedParts` in `digest.ts`). A verifier pool sends it to its workers
 * (strings as UTF-8, addresses as 20 bytes), so that the hashing — a few keccak blocks per request, as much
 * main-thread time as storing the request — runs beside the recovery instead of on the main thread.
 */
export interface FlatTypedParts {
  domainSeparator: Uint8Array;
  typeHash: Uint8Array;
  /** FIELD_STRING or FIELD_ADDRESS per field. */
  kinds: Uint8Array;
  /** Each field's value: any string for a string field, `0x` + 40 hex characters for an address field. */
  values: string[];
}

// Per-thread scratch: hashing is synchronous, so calls never interleave within a thread.
const ENVELOPE = new Uint8Array(66);

/**
 * The EIP-712 digest `keccak256(0x1901 ‖ domainSeparator ‖ keccak256(words))` written to `out[offset …]`, where
 * `words` is `typeHash ‖ one 32-byte encoded word per field` (the struct's `encodeData`). Shared by the main-thread
 * digest (`digest.ts`) and the verifier workers (`batch.ts`), which hash typed data they receive in wire form.
 */
export function eip712DigestInto(
  domainSeparator: Uint8Array,
  words: Uint8Array,
  out: Uint8Array,
  offset: number,
): void {
  ENVELOPE[0] = 0x19;
  ENVELOPE[1] = 0x01;
  ENVELOPE.set(domainSeparator, 2);
  keccak256Into(words, ENVELOPE, 34);
  keccak256Into(ENVELOPE, out, offset);
}
