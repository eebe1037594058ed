import * as dagPb from '@ipld/dag-pb';
import fc from 'fast-check';
import { UnixFS } from 'ipfs-unixfs';
import { base58btc } from 'multiformats/bases/base58';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { create as createDigest } from 'multiformats/hashes/digest';
import { identity } from 'multiformats/hashes/identity';
import { sha256, sha512 } from 'multiformats/hashes/sha2';
import { describe, expect, it } from 'vitest';
import { seededRandom as seeded } from '../../test/support/seeded-random.js';
import {
  checkCidBytes,
  DEFAULT_CHUNK_BYTES,
  inspectCid,
  rawCidOf,
  unixfsFileCidOf,
  verifyCidBytes,
} from './cid.js';

const enc = (s: string) => new TextEncoder().encode(s);
const HELLO = enc('hello world\n');

// Well-known values (`echo "hello world" | ipfs add`, and the empty file every IPFS node knows).
const HELLO_V0 = 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o';
const HELLO_RAW = 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4';
const EMPTY_V0 = 'QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH';

/** The block `ipfs add` builds for a one-chunk file, made by the IPLD libraries (the oracle). */
function oracleBlock(bytes: Uint8Array): Uint8Array {
  const unixfs = new UnixFS({ type: 'file', data: bytes });
  return dagPb.encode({ Data: unixfs.marshal(), Links: [] });
}

async function oracleCid(bytes: Uint8Array, version: 0 | 1): Promise<string> {
  const digest = await sha256.digest(oracleBlock(bytes));
  return (version === 0 ? CID.createV0(digest) : CID.createV1(dagPb.code, digest)).toString();
}

describe('known vectors', () => {
  it('computes the well-known CIDs of "hello world\\n" and of the empty file', () => {
    expect(unixfsFileCidOf(HELLO)).toBe(HELLO_V0);
    expect(rawCidOf(HELLO)).toBe(HELLO_RAW);
    expect(unixfsFileCidOf(new Uint8Array(0))).toBe(EMPTY_V0);
  });

  it('verifies the bytes against those CIDs, in v0 and both v1 codecs', () => {
    expect(verifyCidBytes(HELLO_V0, HELLO)).toBe(true);
    expect(verifyCidBytes(HELLO_RAW, HELLO)).toBe(true);
    expect(verifyCidBytes(CID.parse(HELLO_V0).toV1().toString(), HELLO)).toBe(true);
    expect(verifyCidBytes(EMPTY_V0, new Uint8Array(0))).toBe(true);
    expect(checkCidBytes(HELLO_V0, HELLO)).toEqual({
      ok: true,
      version: 0,
      codec: 'dag-pb',
      hash: 'sha2-256',
    });
    expect(checkCidBytes(HELLO_RAW, HELLO)).toEqual({ ok: true, version: 1, codec: 'raw', hash: 'sha2-256' });
  });

  it('refuses other bytes with a mismatch reason', () => {
    const other = enc('hello world');
    for (const cid of [HELLO_V0, HELLO_RAW]) {
      const verdict = checkCidBytes(cid, other);
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) {
        expect(verdict.kind).toBe('mismatch');
        expect(verdict.reason).toContain(cid);
      }
    }
    // The raw bytes hashed directly are not the dag-pb block: a v0 CID must not accept raw-hash semantics.
    const rawDigestAsV0 = CID.createV0(createDigest(0x12, CID.parse(HELLO_RAW).multihash.digest)).toString();
    expect(verifyCidBytes(rawDigestAsV0, HELLO)).toBe(false);
  });
});

describe('agreement with @ipld/dag-pb + ipfs-unixfs', () => {
  it('matches the libraries on random contents (v0, v1 dag-pb, v1 raw)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
        const v0 = unixfsFileCidOf(bytes, 0);
        expect(v0).toBe(await oracleCid(bytes, 0));
        expect(unixfsFileCidOf(bytes, 1)).toBe(await oracleCid(bytes, 1));
        expect(rawCidOf(bytes)).toBe(CID.createV1(raw.code, await sha256.digest(bytes)).toString());
        expect(verifyCidBytes(v0, bytes)).toBe(true);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('matches at lengths where the protobuf varints grow (127/128, 16383/16384) and at one full chunk', async () => {
    const rng = seeded(7);
    for (const length of [1, 127, 128, 129, 16_383, 16_384, 16_385, DEFAULT_CHUNK_BYTES]) {
      const bytes = Uint8Array.from({ length }, () => Math.floor(rng() * 256));
      const v0 = await oracleCid(bytes, 0);
      expect(unixfsFileCidOf(bytes)).toBe(v0);
      expect(verifyCidBytes(v0, bytes)).toBe(true);
      expect(verifyCidBytes(v0, bytes.subarray(1))).toBe(false);
    }
  });
});

describe('identity multihash', () => {
  it('accepts content carried inside the CID, for raw and dag-pb', async () => {
    const rawId = CID.createV1(raw.code, await identity.digest(HELLO)).toString();
    expect(checkCidBytes(rawId, HELLO)).toEqual({ ok: true, version: 1, codec: 'raw', hash: 'identity' });
    expect(verifyCidBytes(rawId, enc('hello world'))).toBe(false);

    const pbId = CID.createV1(dagPb.code, await identity.digest(oracleBlock(HELLO))).toString();
    expect(verifyCidBytes(pbId, HELLO)).toBe(true);
    expect(verifyCidBytes(pbId, enc('other'))).toBe(false);
  });
});

describe('refusals (never throw)', () => {
  it('names an unknown hash function or codec', async () => {
    const sha512Cid = CID.createV1(raw.code, await sha512.digest(HELLO)).toString();
    const verdict = checkCidBytes(sha512Cid, HELLO);
    expect(verdict).toMatchObject({ ok: false, kind: 'unsupported' });
    if (!verdict.ok) expect(verdict.reason).toContain('sha2-512');

    const dagCbor = CID.createV1(0x71, await sha256.digest(HELLO)).toString();
    const cbor = checkCidBytes(dagCbor, HELLO);
    expect(cbor).toMatchObject({ ok: false, kind: 'unsupported' });
    if (!cbor.ok) expect(cbor.reason).toContain('dag-cbor');

    const truncated = CID.createV1(raw.code, createDigest(0x12, new Uint8Array(20))).toString();
    expect(checkCidBytes(truncated, HELLO)).toMatchObject({ ok: false, kind: 'unsupported' });
  });

  it('returns invalid for strings that are not CIDs', () => {
    for (const bad of ['', 'hello', 'Qm123', `b${'a'.repeat(300)}`, 'ipfs://' + HELLO_V0, ' ' + HELLO_V0]) {
      expect(checkCidBytes(bad, HELLO)).toMatchObject({ ok: false, kind: 'invalid' });
      expect(verifyCidBytes(bad, HELLO)).toBe(false);
    }
  });

  it('hints at multi-block files when the content is larger than one chunk', () => {
    const big = new Uint8Array(DEFAULT_CHUNK_BYTES + 1);
    const verdict = checkCidBytes(HELLO_V0, big);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toContain('multi-block');
  });

  it('never throws on arbitrary strings and bytes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.uint8Array({ maxLength: 64 }), (cid, bytes) => {
        expect(typeof verifyCidBytes(cid, bytes)).toBe('boolean');
      }),
      { seed: 3, numRuns: 300 },
    );
  });
});

describe('inspectCid', () => {
  it('describes verifiable CIDs in canonical form', () => {
    expect(inspectCid(HELLO_V0)).toEqual({
      ok: true,
      version: 0,
      codec: 'dag-pb',
      hash: 'sha2-256',
      canonical: HELLO_V0,
    });
    const base58v1 = CID.parse(HELLO_RAW).toString(base58btc);
    expect(base58v1.startsWith('z')).toBe(true);
    expect(inspectCid(base58v1)).toMatchObject({ ok: true, codec: 'raw', canonical: HELLO_RAW });
    expect(inspectCid('nope')).toMatchObject({ ok: false, kind: 'invalid' });
  });
});
