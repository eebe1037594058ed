import { eip712DigestInto, FIELD_STRING, type FlatTypedParts } from './envelope.js';
import { keccak256Into } from './keccak.js';
import { recoverAddressInto, type Secp256k1Backend } from './recover.js';

/**
 * The wire format between the pool and its workers: one transferable buffer per batch, so a batch of a few hundred
 * jobs costs one postMessage each way instead of one structured clone per job.
 *
 * A batch is its jobs back to back. Every job starts with kind (1) ‖ r ‖ s (64) ‖ recovery id (1), then:
 * - KIND_DIGEST: the 32-byte digest;
 * - KIND_TYPED: typed data of the fast path (`FlatTypedParts`), hashed by the worker: domain separator (32) ‖ type
 *   hash (32) ‖ field count (u16 LE) ‖ per field its kind (1) and either a string's UTF-8 length (u32 LE) and
 *   bytes, or an address's 20 bytes.
 *
 * Reply, written in place over the start of each job: status (1) ‖ address (20).
 */
export const KIND_DIGEST = 0;
export const KIND_TYPED = 1;
export const STATUS_OK = 1;
export const STATUS_UNRECOVERABLE = 2;

const HEAD = 66;
/** The smallest job (a digest job); every job is longer than its 21-byte reply. */
export const DIGEST_JOB_BYTES = HEAD + 32;

export interface BatchRequest {
  id: number;
  buf: ArrayBuffer;
  count: number;
}

export type BatchReply = { id: number; buf: ArrayBuffer; count: number } | { id: number; error: string };

/** Bytes `parts` take as a KIND_TYPED job. */
export function typedJobBytes(parts: FlatTypedParts): number {
  let n = HEAD + 66;
  for (let i = 0; i < parts.values.length; i++) {
    n += parts.kinds[i] === FIELD_STRING ? 5 + Buffer.byteLength(parts.values[i]!, 'utf8') : 21;
  }
  return n;
}

function writeHead(buf: Buffer, at: number, kind: number, compact: Uint8Array, recovery: 0 | 1): void {
  buf[at] = kind;
  buf.set(compact, at + 1);
  buf[at + 65] = recovery;
}

/** Writes a digest job at `at` and returns where the next job starts. Inputs are checked by the caller. */
export function writeDigestJob(
  buf: Buffer,
  at: number,
  digest: Uint8Array,
  compact: Uint8Array,
  recovery: 0 | 1,
): number {
  writeHead(buf, at, KIND_DIGEST, compact, recovery);
  buf.set(digest, at + HEAD);
  return at + DIGEST_JOB_BYTES;
}

/** Writes a typed-data job at `at` and returns where the next job starts. `parts` come from `flatTypedParts`. */
export function writeTypedJob(
  buf: Buffer,
  at: number,
  parts: FlatTypedParts,
  compact: Uint8Array,
  recovery: 0 | 1,
): number {
  writeHead(buf, at, KIND_TYPED, compact, recovery);
  buf.set(parts.domainSeparator, at + HEAD);
  buf.set(parts.typeHash, at + HEAD + 32);
  const n = parts.values.length;
  buf.writeUInt16LE(n, at + HEAD + 64);
  let p = at + HEAD + 66;
  for (let i = 0; i < n; i++) {
    const value = parts.values[i]!;
    buf[p] = parts.kinds[i]!;
    if (parts.kinds[i] === FIELD_STRING) {
      const len = buf.write(value, p + 5, 'utf8');
      buf.writeUInt32LE(len, p + 1);
      p += 5 + len;
    } else {
      buf.write(value.slice(2), p + 1, 'hex');
      p += 21;
    }
  }
  return p;
}

// Per-thread scratch (jobs are handled one at a time).
const DIGEST = new Uint8Array(32);
const COMPACT = new Uint8Array(64);
let words = new Uint8Array(32 * 8);

/** The digest of the typed job at `at` into DIGEST; returns where the next job starts. */
function hashTypedJob(buf: Uint8Array, at: number): number {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = view.getUint16(at + HEAD + 64, true);
  if (words.length < 32 * (n + 1)) words = new Uint8Array(32 * (n + 1));
  const w = words.subarray(0, 32 * (n + 1));
  w.set(buf.subarray(at + HEAD + 32, at + HEAD + 64), 0);
  let p = at + HEAD + 66;
  for (let i = 0; i < n; i++) {
    const word = 32 * (i + 1);
    if (buf[p] === FIELD_STRING) {
      const len = view.getUint32(p + 1, true);
      keccak256Into(buf.subarray(p + 5, p + 5 + len), w, word);
      p += 5 + len;
    } else {
      w.fill(0, word, word + 12);
      w.set(buf.subarray(p + 1, p + 21), word + 12);
      p += 21;
    }
  }
  eip712DigestInto(buf.subarray(at + HEAD, at + HEAD + 32), w, DIGEST, 0);
  return p;
}

/**
 * Recovers every job of `buf` (hashing typed jobs first) and overwrites the start of each job with status ‖
 * address. Safe in place: a job's reply is written only after its digest and signature have been read.
 */
export function recoverBatchInPlace(backend: Secp256k1Backend, buf: Uint8Array, count: number): void {
  let at = 0;
  for (let i = 0; i < count; i++) {
    let next: number;
    if (buf[at] === KIND_TYPED) next = hashTypedJob(buf, at);
    else {
      DIGEST.set(buf.subarray(at + HEAD, at + HEAD + 32));
      next = at + DIGEST_JOB_BYTES;
    }
    COMPACT.set(buf.subarray(at + 1, at + 65));
    const ok = recoverAddressInto(backend, DIGEST, COMPACT, buf[at + 65] === 1 ? 1 : 0, buf, at + 1);
    buf[at] = ok ? STATUS_OK : STATUS_UNRECOVERABLE;
    at = next;
  }
}
