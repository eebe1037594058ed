import { recoverAddressInto, type Secp256k1Backend } from './recover.js';

/**
 * The wire format between the pool and its workers: one transferable buffer per batch, so a batch of a few hundred
 * jobs costs one postMessage each way instead of one structured clone per job.
 *
 * Request, per job (JOB_BYTES): digest (32) ‖ r ‖ s (64) ‖ recovery id (1).
 * Reply, written in place over the same job slot: status (1) ‖ address (20).
 */
export const JOB_BYTES = 97;
export const STATUS_OK = 1;
export const STATUS_UNRECOVERABLE = 2;

export interface BatchRequest {
  id: number;
  buf: ArrayBuffer;
  count: number;
}

export type BatchReply = { id: number; buf: ArrayBuffer; count: number } | { id: number; error: string };

/** Writes job `index` into `buf`. Inputs are checked by the caller (`parseDigest`, `parseSignature`). */
export function writeJob(
  buf: Uint8Array,
  index: number,
  digest: Uint8Array,
  compact: Uint8Array,
  recovery: 0 | 1,
) {
  const at = index * JOB_BYTES;
  buf.set(digest, at);
  buf.set(compact, at + 32);
  buf[at + 96] = recovery;
}

/**
 * Recovers every job of `buf` and overwrites each slot's first 21 bytes with status ‖ address. Safe in place: a
 * slot's address is written only after its digest and signature have been read.
 */
export function recoverBatchInPlace(backend: Secp256k1Backend, buf: Uint8Array, count: number): void {
  for (let i = 0; i < count; i++) {
    const at = i * JOB_BYTES;
    const ok = recoverAddressInto(
      backend,
      buf.subarray(at, at + 32),
      buf.subarray(at + 32, at + 96),
      buf[at + 96] === 1 ? 1 : 0,
      buf,
      at + 1,
    );
    buf[at] = ok ? STATUS_OK : STATUS_UNRECOVERABLE;
  }
}
