/**
 * Does a byte string really hold the content a CID names? An IPFS gateway is a stranger: the node accepts what it
 * serves only after re-deriving the CID from the bytes.
 *
 * Verifiable without fetching anything else:
 *   - CIDv1 `raw` (`bafkrei…`): the multihash is over the bytes themselves. Also what `ipfs add --raw-leaves` (the
 *     default with `--cid-version 1`) names a file that fits one chunk.
 *   - CIDv0 `Qm…` and CIDv1 `dag-pb` (`bafybei…`) of a single-block UnixFS file, as `ipfs add` makes it for a file
 *     up to one chunk (256 KiB by default): the block is rebuilt from the bytes and hashed.
 *   - the `identity` multihash (the content is inside the CID) for both codecs.
 * Not verifiable from the file bytes: multi-block files (the root hashes child CIDs, not bytes), blocks carrying
 * mode/mtime, other codecs and other hash functions. Those are refused with a reason, never thrown.
 *
 * The dag-pb/UnixFS encoding is written here (a dozen bytes of protobuf framing) rather than imported: it keeps the
 * runtime free of the IPLD libraries, which the tests use as the oracle the encoding is checked against.
 */
import { createHash } from 'node:crypto';
import { CID } from 'multiformats/cid';
import { create as createDigest } from 'multiformats/hashes/digest';

const CODEC_RAW = 0x55;
const CODEC_DAG_PB = 0x70;
const HASH_SHA2_256 = 0x12;
const HASH_IDENTITY = 0x00;

/** `ipfs add`'s default chunk size: larger files are split into several blocks and cannot be verified here. */
export const DEFAULT_CHUNK_BYTES = 262_144;

// Longer than any CID with a 64-byte digest in any common base: a cheap bound before parsing untrusted strings.
const MAX_CID_LENGTH = 256;

const CODEC_NAMES: Readonly<Record<number, string>> = {
  [CODEC_RAW]: 'raw',
  [CODEC_DAG_PB]: 'dag-pb',
  113: 'dag-cbor',
  297: 'dag-json',
  512: 'json',
};
const HASH_NAMES: Readonly<Record<number, string>> = {
  [HASH_IDENTITY]: 'identity',
  [HASH_SHA2_256]: 'sha2-256',
  19: 'sha2-512',
  22: 'sha3-256',
  27: 'keccak-256',
  30: 'blake3',
  45600: 'blake2b-256',
};

export type CidCodec = 'raw' | 'dag-pb';
export type CidHash = 'sha2-256' | 'identity';

export interface CidInfo {
  ok: true;
  version: 0 | 1;
  codec: CidCodec;
  hash: CidHash;
  /** The CID as given, re-encoded in its canonical form (base58btc for v0, base32 for v1). */
  canonical: string;
}

export interface CidFailure {
  ok: false;
  /**
   * `invalid`: not a CID; `unsupported`: a CID whose content cannot be checked here (codec, hash); `mismatch`: the
   * bytes are not that content (or are a multi-block file, which looks the same from the bytes alone).
   */
  kind: 'invalid' | 'unsupported' | 'mismatch';
  reason: string;
}

export type CidVerification = Omit<CidInfo, 'canonical'> | CidFailure;

interface ParsedCid {
  info: CidInfo;
  digest: Uint8Array;
}

function nameOf(names: Readonly<Record<number, string>>, code: number): string {
  return names[code] ?? `0x${code.toString(16)}`;
}

function parse(cid: string): ParsedCid | CidFailure {
  if (typeof cid !== 'string' || cid.length === 0) {
    return { ok: false, kind: 'invalid', reason: 'the CID is empty' };
  }
  if (cid.length > MAX_CID_LENGTH) {
    return { ok: false, kind: 'invalid', reason: `the CID is too long (${cid.length} characters)` };
  }
  let parsed: CID;
  try {
    parsed = CID.parse(cid);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { ok: false, kind: 'invalid', reason: `not a CID: ${why}` };
  }
  const { code, multihash } = parsed;
  if (code !== CODEC_RAW && code !== CODEC_DAG_PB) {
    return {
      ok: false,
      kind: 'unsupported',
      reason: `codec ${nameOf(CODEC_NAMES, code)} is not supported (only raw and dag-pb files)`,
    };
  }
  if (multihash.code !== HASH_SHA2_256 && multihash.code !== HASH_IDENTITY) {
    return {
      ok: false,
      kind: 'unsupported',
      reason: `hash function ${nameOf(HASH_NAMES, multihash.code)} is not supported (only sha2-256 and identity)`,
    };
  }
  if (multihash.code === HASH_SHA2_256 && multihash.digest.byteLength !== 32) {
    return {
      ok: false,
      kind: 'unsupported',
      reason: `truncated sha2-256 digests (${multihash.digest.byteLength} bytes) are not supported`,
    };
  }
  return {
    info: {
      ok: true,
      version: parsed.version,
      codec: code === CODEC_RAW ? 'raw' : 'dag-pb',
      hash: multihash.code === HASH_SHA2_256 ? 'sha2-256' : 'identity',
      canonical: parsed.toString(),
    },
    digest: multihash.digest,
  };
}

/** Whether a string is a CID whose content this module can verify (before fetching anything). */
export function inspectCid(cid: string): CidInfo | CidFailure {
  const parsed = parse(cid);
  return 'info' in parsed ? parsed.info : parsed;
}

/** Full verdict with the reason for a refusal. Never throws. */
export function checkCidBytes(cid: string, bytes: Uint8Array): CidVerification {
  const parsed = parse(cid);
  if (!('info' in parsed)) return parsed;
  const { info, digest } = parsed;
  const { canonical: _canonical, ...verdict } = info;
  const matches =
    info.codec === 'raw'
      ? info.hash === 'identity'
        ? equalBytes(digest, bytes)
        : equalBytes(digest, sha256(bytes))
      : info.hash === 'identity'
        ? equalBytes(digest, unixfsFileBlock(bytes))
        : equalBytes(digest, sha256Parts(unixfsFileFraming(bytes.byteLength), bytes));
  if (matches) return verdict;
  if (info.codec === 'raw') {
    return { ok: false, kind: 'mismatch', reason: `the ${bytes.byteLength} bytes do not hash to ${cid}` };
  }
  const hint =
    bytes.byteLength > DEFAULT_CHUNK_BYTES
      ? `; at ${bytes.byteLength} bytes it is probably a multi-block file, which cannot be verified from its bytes`
      : ' (or it is not a single-block UnixFS file without mode/mtime)';
  return {
    ok: false,
    kind: 'mismatch',
    reason: `the ${bytes.byteLength} bytes are not the content of ${cid}${hint}`,
  };
}

/** True iff `bytes` are the content `cid` names (see the module comment for what is checked). Never throws. */
export function verifyCidBytes(cid: string, bytes: Uint8Array): boolean {
  return checkCidBytes(cid, bytes).ok;
}

/** The CIDv1 `raw` sha2-256 CID of some bytes (`bafkrei…`). */
export function rawCidOf(bytes: Uint8Array): string {
  return CID.createV1(CODEC_RAW, createDigest(HASH_SHA2_256, sha256(bytes))).toString();
}

/**
 * The CID `ipfs add` gives a file that fits one block: CIDv0 (`Qm…`, the default) or CIDv1 dag-pb
 * (`--cid-version 1 --raw-leaves=false`). Used to check the content of a channel's metadata before publishing it.
 */
export function unixfsFileCidOf(bytes: Uint8Array, version: 0 | 1 = 0): string {
  const digest = createDigest(HASH_SHA2_256, sha256Parts(unixfsFileFraming(bytes.byteLength), bytes));
  return (version === 0 ? CID.createV0(digest) : CID.createV1(CODEC_DAG_PB, digest)).toString();
}

/**
 * A dag-pb node `{Data: UnixFS{Type: File, Data: bytes, filesize}, Links: []}` is the bytes wrapped in a prefix and
 * a suffix; returning the two apart lets the hash run over the content without copying it.
 *
 *   dag-pb PBNode:  0x0a <len(unixfs)> unixfs                 (field 1 Data; no field 2 Links)
 *   UnixFS Data:    0x08 0x02                                 (field 1 Type = File)
 *                   0x12 <len> bytes                          (field 2 Data, omitted when empty)
 *                   0x18 <len>                                (field 3 filesize)
 */
function unixfsFileFraming(length: number): { prefix: Uint8Array; suffix: Uint8Array } {
  const lengthVarint = varint(length);
  const dataField = length === 0 ? [] : [0x12, ...lengthVarint];
  const suffix = Uint8Array.from([0x18, ...lengthVarint]);
  const unixfsLength = 2 + dataField.length + length + suffix.byteLength;
  const prefix = Uint8Array.from([0x0a, ...varint(unixfsLength), 0x08, 0x02, ...dataField]);
  return { prefix, suffix };
}

function unixfsFileBlock(bytes: Uint8Array): Uint8Array {
  const { prefix, suffix } = unixfsFileFraming(bytes.byteLength);
  const out = new Uint8Array(prefix.byteLength + bytes.byteLength + suffix.byteLength);
  out.set(prefix, 0);
  out.set(bytes, prefix.byteLength);
  out.set(suffix, prefix.byteLength + bytes.byteLength);
  return out;
}

/** Unsigned LEB128; arithmetic instead of bit shifts so lengths above 2^31 encode correctly. */
function varint(value: number): number[] {
  const out: number[] = [];
  let n = value;
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}

function sha256Parts(framing: { prefix: Uint8Array; suffix: Uint8Array }, bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(framing.prefix).update(bytes).update(framing.suffix).digest();
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
