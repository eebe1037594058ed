import fc from 'fast-check';
import { bytesToHex, recoverAddress as viemRecoverAddress } from 'viem';
import { privateKeyToAddress, sign } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { isPushError } from '../../errors.js';
import {
  availableBackends,
  defaultBackend,
  parseDigest,
  recoverAddress,
  type Secp256k1Backend,
} from './recover.js';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;
const KEYS = [
  '0x0123456789012345678901234567890123456789012345678901234567890123',
  '0x8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f',
  '0x00000000000000000000000000000000000000000000000000000000000000aa',
] as const;
const DIGEST = '0x4f2ce5e8a6b7c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6' as const;

const word = (x: bigint) => x.toString(16).padStart(64, '0');

async function signDigest(digest: `0x${string}`, key: `0x${string}`) {
  return sign({ hash: digest, privateKey: key, to: 'hex' });
}

/** Re-encodes a 65-byte signature with another v byte, or as its high-s twin. */
function withV(sig: string, v: number) {
  return `${sig.slice(0, 130)}${v.toString(16).padStart(2, '0')}` as `0x${string}`;
}
function highS(sig: string) {
  const s = BigInt(`0x${sig.slice(66, 130)}`);
  const v = Number.parseInt(sig.slice(130), 16);
  return `${sig.slice(0, 66)}${word(N - s)}${(v === 27 ? 28 : 27).toString(16)}` as `0x${string}`;
}

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}
/** The smallest x ≥ 1 that is no point's x-coordinate (x³ + 7 is not a square mod p). */
function notAnX(): bigint {
  for (let x = 1n; ; x++) if (modPow(x ** 3n + 7n, (P - 1n) / 2n, P) === P - 1n) return x;
}

const backends: Secp256k1Backend[] = ['native', 'noble'];

describe('secp256k1 backends', () => {
  it('both load here, native preferred', () => {
    expect(availableBackends).toEqual(['native', 'noble']);
    expect(defaultBackend).toBe('native');
  });
});

describe.each(backends)('recoverAddress (%s)', (backend) => {
  it('recovers the signer of fixed keys, with v as 27/28 and as 0/1', async () => {
    for (const key of KEYS) {
      const expected = privateKeyToAddress(key).toLowerCase();
      const sig = await signDigest(DIGEST, key);
      const v = Number.parseInt(sig.slice(130), 16);
      expect([27, 28]).toContain(v);
      expect(recoverAddress(DIGEST, sig, { backend })).toBe(expected);
      expect(recoverAddress(DIGEST, withV(sig, v - 27), { backend })).toBe(expected);
      expect(
        recoverAddress(Buffer.from(DIGEST.slice(2), 'hex'), Buffer.from(sig.slice(2), 'hex'), { backend }),
      ).toBe(expected);
    }
  });

  it('accepts the high-s twin of a signature (as ethers v5 and eth-sig-util do)', async () => {
    const sig = await signDigest(DIGEST, KEYS[0]);
    expect(recoverAddress(DIGEST, highS(sig), { backend })).toBe(privateKeyToAddress(KEYS[0]).toLowerCase());
  });

  it('recovers someone else for the wrong v, and refuses what recovers no key', async () => {
    const sig = await signDigest(DIGEST, KEYS[1]);
    const v = Number.parseInt(sig.slice(130), 16);
    expect(recoverAddress(DIGEST, withV(sig, v === 27 ? 28 : 27), { backend })).not.toBe(
      privateKeyToAddress(KEYS[1]).toLowerCase(),
    );
    const bogus = `0x${word(notAnX())}${word(1n)}1b` as const;
    try {
      recoverAddress(DIGEST, bogus, { backend });
      expect.unreachable();
    } catch (err) {
      expect(isPushError(err, 'PUSH_ERR_SIGNATURE_INVALID')).toBe(true);
      expect(isPushError(err) && err.details?.reason).toBe('unrecoverable');
    }
  });

  it('agrees with viem on random keys and digests', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 1n, max: N - 1n }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        async (k, d) => {
          const key = `0x${word(k)}` as const;
          const hash = bytesToHex(d);
          const sig = await signDigest(hash, key);
          const expected = (await viemRecoverAddress({ hash, signature: sig })).toLowerCase();
          expect(recoverAddress(hash, sig, { backend })).toBe(expected);
        },
      ),
      { seed: 7, numRuns: backend === 'native' ? 100 : 20 },
    );
  });
});

describe('recoverAddress errors', () => {
  it('refuses malformed signatures with PUSH_ERR_SIGNATURE_INVALID', () => {
    for (const bad of ['0x', '0x1234', `0x${'00'.repeat(65)}`, `0x${'11'.repeat(64)}1d`, 'nope']) {
      expect(() => recoverAddress(DIGEST, bad as `0x${string}`)).toThrow(
        expect.objectContaining({ code: 'PUSH_ERR_SIGNATURE_INVALID', status: 403 }),
      );
    }
  });

  it('refuses a digest that is not 32 bytes with PUSH_ERR_VALIDATION', () => {
    for (const bad of ['0x12', new Uint8Array(31), `${DIGEST}00`, 5]) {
      expect(() => parseDigest(bad)).toThrow(
        expect.objectContaining({ code: 'PUSH_ERR_VALIDATION', field: 'digest' }),
      );
    }
  });

  it('copies a digest given as bytes', () => {
    const bytes = new Uint8Array(32).fill(1);
    const parsed = parseDigest(bytes);
    bytes[0] = 9;
    expect(parsed[0]).toBe(1);
  });
});
