import fc from 'fast-check';
import { bytesToHex, keccak256 as viemKeccak } from 'viem';
import { describe, expect, it } from 'vitest';
import { keccak256, keccak256Into } from './keccak.js';

describe('keccak256', () => {
  it('matches the known Ethereum vectors', () => {
    expect(bytesToHex(keccak256(new Uint8Array()))).toBe(
      '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    );
    expect(bytesToHex(keccak256(Buffer.from('Data(string data)')))).toBe(
      viemKeccak(Buffer.from('Data(string data)')),
    );
  });

  it('matches viem at every length around the 136-byte block boundary', () => {
    for (let n = 0; n <= 3 * 136 + 2; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 151 + n * 7) & 0xff);
      expect(bytesToHex(keccak256(data)), `length ${n}`).toBe(viemKeccak(data));
    }
  });

  it('matches viem on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (data) => {
        expect(bytesToHex(keccak256(data))).toBe(viemKeccak(data));
      }),
      { seed: 712, numRuns: 500 },
    );
  });

  it('hashes a view without reading outside it, and writes at an offset', () => {
    const backing = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const view = backing.subarray(50, 250);
    const out = new Uint8Array(40).fill(0xee);
    keccak256Into(view, out, 4);
    expect(bytesToHex(out.subarray(4, 36))).toBe(viemKeccak(backing.slice(50, 250)));
    expect(out[3]).toBe(0xee);
    expect(out[36]).toBe(0xee);
  });
});
