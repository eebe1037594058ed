import { pushError } from '../../errors.js';
import { toHex } from './bytes.js';
import { type TypedDataInput, typedDataDigest } from './digest.js';
import {
  type Address,
  assertBackend,
  defaultBackend,
  type Hex,
  type RecoverOptions,
  recoverAddressInto,
  unrecoverable,
} from './recover.js';
import { parseSignature } from './signature.js';

export interface TypedSignatureInput extends TypedDataInput {
  /** 65 bytes `r ‖ s ‖ v` (v 27/28 or 0/1), as `0x` hex or bytes. */
  signature: Hex | Uint8Array;
}

/**
 * The lower-case address that signed `{domain, types, primaryType, message}` (EIP-712), in this thread.
 * Throws `PUSH_ERR_SIGNATURE_INVALID` for a malformed or unrecoverable signature and `PUSH_ERR_VALIDATION` for typed
 * data that cannot be encoded. It does not compare the signer with anyone: callers check authorisation.
 * For throughput, use a verifier pool's `verifyTyped` instead (same result, off the main thread).
 */
export function verifyTypedSignature(input: TypedSignatureInput, options: RecoverOptions = {}): Address {
  if (input === null || typeof input !== 'object') {
    throw pushError(
      'PUSH_ERR_VALIDATION',
      'verifyTypedSignature needs {domain, types, primaryType, message, signature}',
    );
  }
  const backend = options.backend ?? defaultBackend;
  assertBackend(backend);
  // The signature is checked before hashing so that garbage costs nothing.
  const { compact, recovery } = parseSignature(input.signature);
  const digest = typedDataDigest(input);
  const out = new Uint8Array(20);
  if (!recoverAddressInto(backend, digest, compact, recovery, out, 0)) throw unrecoverable();
  return toHex(out);
}
