import fc from 'fast-check';
import { bytesToHex, getAddress, hashTypedData } from 'viem';
import { describe, expect, it } from 'vitest';
import { isPushError } from '../../errors.js';
import { domainSeparator, type TypedDataDomain, typedDataDigest, typedDataDigestViem } from './digest.js';

const COMM = '0x9dDCD7ed7151afab43044E4D694FA064742C428c';
const domain = { name: 'EPNS COMM V1', chainId: 11155111, verifyingContract: COMM } as const;
const DATA = { Data: [{ name: 'data', type: 'string' }] } as const;
const SUBSCRIBE = {
  Subscribe: [
    { name: 'channel', type: 'address' },
    { name: 'subscriber', type: 'address' },
    { name: 'action', type: 'string' },
  ],
} as const;
const UNSUBSCRIBE = {
  Unsubscribe: [
    { name: 'channel', type: 'address' },
    { name: 'unsubscriber', type: 'address' },
    { name: 'action', type: 'string' },
  ],
} as const;

const hex = (b: Uint8Array) => bytesToHex(b);
const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => bytesToHex(b));
const checksummed = address.map((a) => getAddress(a));
const domains: fc.Arbitrary<TypedDataDomain> = fc.record(
  {
    name: fc.string({ unit: 'grapheme' }),
    version: fc.string(),
    chainId: fc.oneof(fc.integer({ min: 1, max: 2 ** 40 }), fc.bigInt({ min: 1n, max: 2n ** 200n })),
    verifyingContract: checksummed as fc.Arbitrary<`0x${string}`>,
    salt: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => bytesToHex(b)),
  },
  { requiredKeys: [] },
);

function viemDigest(input: Parameters<typeof typedDataDigest>[0]): string {
  return hashTypedData(input as Parameters<typeof hashTypedData>[0]);
}

describe('typedDataDigest — fast path equals viem', () => {
  it('Data{data:string} for arbitrary strings, including lone surrogates and multi-byte text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 400 }),
          fc.string({ unit: 'grapheme', maxLength: 200 }),
        ),
        (data) => {
          const input = { domain, types: DATA, primaryType: 'Data', message: { data } };
          expect(hex(typedDataDigest(input))).toBe(viemDigest(input));
        },
      ),
      { seed: 1, numRuns: 400 },
    );
  });

  it('Data over random domains (any subset of name, version, chainId, verifyingContract, salt)', () => {
    fc.assert(
      fc.property(domains, fc.string(), (d, data) => {
        const input = { domain: d, types: DATA, primaryType: 'Data', message: { data } };
        expect(hex(typedDataDigest(input))).toBe(viemDigest(input));
      }),
      { seed: 2, numRuns: 300 },
    );
  });

  it('remembers a frozen domain by identity, and never a mutable one', () => {
    fc.assert(
      fc.property(domains, domains, fc.string(), (d1, d2, data) => {
        const frozen = Object.freeze({ ...d1 });
        const at = (domain: TypedDataDomain) => ({
          domain,
          types: DATA,
          primaryType: 'Data',
          message: { data },
        });
        expect(hex(typedDataDigest(at(frozen)))).toBe(viemDigest(at(d1)));
        expect(hex(typedDataDigest(at(frozen)))).toBe(viemDigest(at(d1))); // from the identity cache
        // A mutable domain changed after use gets the separator of what it is now.
        const mutable: TypedDataDomain = { ...d1 };
        typedDataDigest(at(mutable));
        Object.assign(mutable, { name: undefined, version: undefined, chainId: undefined }, d2);
        for (const k of ['verifyingContract', 'salt'] as const) if (!(k in d2)) delete mutable[k];
        expect(hex(typedDataDigest(at(mutable)))).toBe(viemDigest(at(mutable)));
      }),
      { seed: 3, numRuns: 100 },
    );
  });

  it('V1 Subscribe and Unsubscribe with lower-case and checksummed addresses', () => {
    fc.assert(
      fc.property(
        fc.oneof(address, checksummed),
        fc.oneof(address, checksummed),
        fc.string(),
        (ch, user, action) => {
          const sub = {
            domain,
            types: SUBSCRIBE,
            primaryType: 'Subscribe',
            message: { channel: ch, subscriber: user, action },
          };
          expect(hex(typedDataDigest(sub))).toBe(viemDigest(sub));
          const unsub = {
            domain,
            types: UNSUBSCRIBE,
            primaryType: 'Unsubscribe',
            message: { channel: ch, unsubscriber: user, action },
          };
          expect(hex(typedDataDigest(unsub))).toBe(viemDigest(unsub));
        },
      ),
      { seed: 3, numRuns: 300 },
    );
  });

  it('gives the known digest for a captured SDK-shaped message', () => {
    const input = { domain, types: DATA, primaryType: 'Data', message: { data: '0+3+Title+Body' } };
    expect(hex(typedDataDigest(input))).toBe(viemDigest(input));
    expect(hex(domainSeparator(domain))).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('ignores message keys that are not in the type, as viem does', () => {
    const input = { domain, types: DATA, primaryType: 'Data', message: { data: 'x', extra: 1 } };
    expect(hex(typedDataDigest(input))).toBe(viemDigest(input));
  });
});

describe('typedDataDigest — other shapes go through viem', () => {
  it('nested structs (the legacy eip712v1 Payload)', () => {
    const types = {
      Payload: [
        { name: 'notification', type: 'Notification' },
        { name: 'data', type: 'Data' },
      ],
      Notification: [
        { name: 'title', type: 'string' },
        { name: 'body', type: 'string' },
      ],
      Data: [
        { name: 'acta', type: 'string' },
        { name: 'aimg', type: 'string' },
        { name: 'amsg', type: 'string' },
        { name: 'asub', type: 'string' },
        { name: 'type', type: 'string' },
        { name: 'secret', type: 'string' },
      ],
    } as const;
    const message = {
      notification: { title: 't', body: 'b' },
      data: { acta: '', aimg: '', amsg: 'm', asub: 's', type: '1', secret: '' },
    };
    const input = { domain, types, primaryType: 'Payload', message };
    expect(hex(typedDataDigest(input))).toBe(viemDigest(input));
  });

  it('integer fields and an explicit EIP712Domain type', () => {
    const types = {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'chainId', type: 'uint256' },
        { name: 'verifyingContract', type: 'address' },
      ],
      Thing: [
        { name: 'n', type: 'uint256' },
        { name: 's', type: 'string' },
      ],
    } as const;
    const input = { domain, types, primaryType: 'Thing', message: { n: 7n, s: 'x' } };
    expect(hex(typedDataDigest(input))).toBe(viemDigest(input));
  });
});

describe('typedDataDigest — leniency and errors', () => {
  it('accepts a mixed-case address with a wrong checksum (as eth-sig-util does); the digest ignores case', () => {
    const lower = '0x52908400098527886e0f7030069857d2e4169ee7';
    const badChecksum = '0x52908400098527886E0F7030069857D2E4169ee7';
    const make = (channel: string, contract: `0x${string}`) => ({
      domain: { ...domain, verifyingContract: contract },
      types: SUBSCRIBE,
      primaryType: 'Subscribe',
      message: { channel, subscriber: lower, action: 'Subscribe' },
    });
    const expected = viemDigest(make(lower, COMM));
    expect(hex(typedDataDigest(make(badChecksum, COMM)))).toBe(expected);
    expect(hex(typedDataDigest(make(lower, COMM.toLowerCase() as `0x${string}`)))).toBe(expected);
    expect(() => viemDigest(make(badChecksum, COMM))).toThrow(); // viem's stricter rule, for the record
  });

  it('refuses a message whose fields have the wrong type', () => {
    const cases: Array<[Record<string, unknown>, unknown, string]> = [
      [DATA, { data: 5 }, 'message.data'],
      [DATA, {}, 'message.data'],
      [
        SUBSCRIBE,
        { channel: '0x12', subscriber: '0x' + '1'.repeat(40), action: 'Subscribe' },
        'message.channel',
      ],
      [
        SUBSCRIBE,
        { channel: '0x' + '1'.repeat(40), subscriber: null, action: 'Subscribe' },
        'message.subscriber',
      ],
    ];
    for (const [types, message, field] of cases) {
      const primaryType = Object.keys(types)[0]!;
      try {
        typedDataDigest({
          domain,
          types: types as typeof DATA,
          primaryType,
          message: message as { data: string },
        });
        expect.unreachable();
      } catch (err) {
        expect(isPushError(err, 'PUSH_ERR_VALIDATION')).toBe(true);
        expect(isPushError(err) && err.field).toBe(field);
      }
    }
  });

  it('wraps viem errors and a bad domain in PUSH_ERR_VALIDATION', () => {
    const bad = { domain, types: DATA, primaryType: 'Missing', message: {} };
    expect(() => typedDataDigest(bad)).toThrow(expect.objectContaining({ code: 'PUSH_ERR_VALIDATION' }));
    expect(() => typedDataDigestViem(bad)).toThrow(expect.objectContaining({ code: 'PUSH_ERR_VALIDATION' }));
    const badDomain = {
      domain: { ...domain, verifyingContract: '0x12' as `0x${string}` },
      types: DATA,
      primaryType: 'Data',
      message: { data: '' },
    };
    expect(() => typedDataDigest(badDomain)).toThrow(
      expect.objectContaining({ code: 'PUSH_ERR_VALIDATION', field: 'domain' }),
    );
    expect(() => typedDataDigest(null as unknown as typeof badDomain)).toThrow(
      expect.objectContaining({ code: 'PUSH_ERR_VALIDATION' }),
    );
  });
});
