import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { secp256k1 as NobleSecp256k1 } from '@noble/curves/secp256k1';
import type * as NativeSecp256k1 from 'secp256k1';
import { pushError } from '../../errors.js';
import { hexToBytesUnchecked, isHexOfLength, toHex } from './bytes.js';
import { keccak256Into } from './keccak.js';
import { parseSignature } from './signature.js';

/** A lower-case `0x` Ethereum address. */
export type Address = `0x${string}`;
export type Hex = `0x${string}`;

/**
 * Which secp256k1 implementation recovers public keys:
 * - `native`: libsecp256k1 through the `secp256k1` package's N-API binding (~12,000 recoveries/s per core here);
 * - `noble`: pure-JS `@noble/curves` (~300/s per core here), the fallback when the binding cannot load.
 */
export type Secp256k1Backend = 'native' | 'noble';

const require = createRequire(import.meta.url);

// The package's own entry silently swaps in a pure-JS `elliptic` build when the binding fails to load; requiring
// the binding directly tells us which one we got, and lets us fall back to noble instead.
function loadNative(): typeof NativeSecp256k1 | null {
  try {
    return require('secp256k1/bindings.js') as typeof NativeSecp256k1;
  } catch {
    return null;
  }
}

// @noble/curves is viem's dependency, not ours: resolve it directly (hoisted), else from viem's own location.
async function loadNoble(): Promise<typeof NobleSecp256k1 | null> {
  try {
    return (await import('@noble/curves/secp256k1')).secp256k1;
  } catch {
    try {
      const fromViem = createRequire(require.resolve('viem')).resolve('@noble/curves/secp256k1');
      const mod = (await import(pathToFileURL(fromViem).href)) as {
        secp256k1?: typeof NobleSecp256k1;
        default?: { secp256k1?: typeof NobleSecp256k1 };
      };
      return mod.secp256k1 ?? mod.default?.secp256k1 ?? null;
    } catch {
      return null;
    }
  }
}

const native = loadNative();
const noble = await loadNoble();

/** The backends that loaded in this thread, fastest first. */
export const availableBackends: readonly Secp256k1Backend[] = [
  ...(native ? (['native'] as const) : []),
  ...(noble ? (['noble'] as const) : []),
];

/** The backend used when none is named: native when its binding loads, else noble. */
export const defaultBackend: Secp256k1Backend = native ? 'native' : 'noble';

export function isBackendAvailable(backend: Secp256k1Backend): boolean {
  return backend === 'native' ? native !== null : noble !== null;
}

export function assertBackend(backend: Secp256k1Backend): void {
  if (!isBackendAvailable(backend)) {
    throw pushError(
      'PUSH_ERR_INTERNAL',
      `The ${backend} secp256k1 backend is not available in this process`,
      {
        hint:
          backend === 'native'
            ? 'the secp256k1 native binding did not load; reinstall with install scripts enabled, or use backend "noble"'
            : '@noble/curves (a dependency of viem) could not be resolved; reinstall dependencies',
        details: { backend, available: availableBackends },
      },
    );
  }
}

// Per-thread scratch for the hot path; recovery is synchronous, so calls never interleave within a thread.
const PUBKEY = new Uint8Array(65);
const HASH = new Uint8Array(32);

/**
 * Recovers the signer of `digest` and writes its 20 address bytes to `out[outOffset …]`.
 * Returns false when the signature does not recover to a public key (r is not an x-coordinate on the curve, or the
 * result is the point at infinity). Inputs are assumed checked: 32-byte digest, 64-byte `r ‖ s` in range
 * (`parseSignature`), recovery 0 or 1.
 */
export function recoverAddressInto(
  backend: Secp256k1Backend,
  digest: Uint8Array,
  compact: Uint8Array,
  recovery: 0 | 1,
  out: Uint8Array,
  outOffset: number,
): boolean {
  let pubkey: Uint8Array;
  try {
    if (backend === 'native' && native) {
      pubkey = native.ecdsaRecover(compact, recovery, digest, false, PUBKEY);
    } else if (noble) {
      pubkey = noble.Signature.fromCompact(compact)
        .addRecoveryBit(recovery)
        .recoverPublicKey(digest)
        .toRawBytes(false);
    } else {
      assertBackend(backend);
      return false;
    }
  } catch {
    return false;
  }
  // address = the last 20 bytes of keccak256(X ‖ Y), the uncompressed key without its 0x04 prefix
  keccak256Into(pubkey.subarray(1, 65), HASH, 0);
  out.set(HASH.subarray(12, 32), outOffset);
  return true;
}

/**
 * A 32-byte digest from bytes or `0x` hex, as bytes the caller no longer owns (the pool reads them a turn later);
 * throws `PUSH_ERR_VALIDATION` otherwise.
 */
export function parseDigest(digest: unknown, field = 'digest'): Uint8Array {
  if (digest instanceof Uint8Array && digest.length === 32) return new Uint8Array(digest);
  if (typeof digest === 'string' && isHexOfLength(digest, 32)) return hexToBytesUnchecked(digest);
  throw pushError(
    'PUSH_ERR_VALIDATION',
    'The digest must be 32 bytes (a Uint8Array or 0x + 64 hex characters)',
    {
      field,
    },
  );
}

export interface RecoverOptions {
  /** Defaults to `defaultBackend`. */
  backend?: Secp256k1Backend;
}

/**
 * The lower-case address that signed `digest`. `signature` is 65 bytes `r ‖ s ‖ v` with v 27/28 or 0/1; high-s is
 * accepted (see `signature.ts` for exactly what is accepted and why).
 * Throws `PUSH_ERR_SIGNATURE_INVALID` when the signature is malformed or recovers no key.
 */
export function recoverAddress(
  digest: Uint8Array | Hex,
  signature: Hex | Uint8Array,
  options: RecoverOptions = {},
): Address {
  const backend = options.backend ?? defaultBackend;
  assertBackend(backend);
  const hash = parseDigest(digest);
  const { compact, recovery } = parseSignature(signature);
  const out = new Uint8Array(20);
  if (!recoverAddressInto(backend, hash, compact, recovery, out, 0)) throw unrecoverable();
  return toHex(out);
}

export function unrecoverable() {
  return pushError('PUSH_ERR_SIGNATURE_INVALID', 'The signature does not recover to a public key', {
    field: 'signature',
    hint: 'the signature is not a valid secp256k1 signature over this message',
    details: { reason: 'unrecoverable' },
  });
}
