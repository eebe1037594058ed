/**
 * Signature verification for the admission pipeline: EIP-712 digests, secp256k1 signer recovery (native
 * libsecp256k1 with a pure-JS fallback), and a worker-thread pool that spreads recovery over every core.
 *
 * Typical use: one `createVerifierPool()` per process, then `await pool.verifyTyped({domain, types, primaryType,
 * message, signature})` per request; compare the returned lower-case address with who may sign.
 */
export type { TypedDataDomain, TypedDataField, TypedDataInput } from './digest.js';
export { domainSeparator, typedDataDigest, typedDataDigestViem } from './digest.js';
export { keccak256 } from './keccak.js';
export type {
  RecoverJob,
  RecoverResult,
  VerifierPool,
  VerifierPoolOptions,
  VerifierPoolStats,
} from './pool.js';
export { createVerifierPool } from './pool.js';
export type { Address, Hex, RecoverOptions, Secp256k1Backend } from './recover.js';
export {
  availableBackends,
  defaultBackend,
  isBackendAvailable,
  parseDigest,
  recoverAddress,
} from './recover.js';
export type { SignatureParts } from './signature.js';
export { canonicalSignature, isLowS, parseSignature } from './signature.js';
export type { TypedSignatureInput } from './verify-typed.js';
export { verifyTypedSignature } from './verify-typed.js';
