import fc from 'fast-check';
import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';
import { describe, expect, it } from 'vitest';
import { errorOf, onlyPushErrors } from '../../test/support/push-errors.js';
import {
  formatChannelIdentity,
  formatIdentity,
  type ParsedIdentity,
  parseChannelIdentity,
  parseIdentity,
  rewriteLegacyIdentity,
} from './identity.js';

const FC = { seed: 10_003, numRuns: 400 };
const CID_V0 = 'QmSbRT16JVF922yAB26YxWFD6DmGsnSHm8VBrGUQnXTS74';
const CID_V1 = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';

describe('parseIdentity: minimal (0)', () => {
  it('parses 0+3+Title+Body', () => {
    expect(parseIdentity('0+3+Title+Body')).toEqual({
      storageType: 0,
      notificationType: 3,
      title: 'Title',
      body: 'Body',
    });
  });

  it('keeps every + after the title in the body', () => {
    expect(parseIdentity('0+1+Price alert+ETH +5% today, BTC +2%')).toMatchObject({
      title: 'Price alert',
      body: 'ETH +5% today, BTC +2%',
    });
  });

  it('decodes %2B (any case) and %25 in the title and leaves other % alone', () => {
    expect(parseIdentity('0+4+C%2B%2b and 100% off+body')).toMatchObject({ title: 'C++ and 100% off' });
    expect(parseIdentity('0+1+50%25 done+b')).toMatchObject({ title: '50% done' });
  });

  it('allows empty title and body', () => {
    expect(parseIdentity('0+3++')).toMatchObject({ title: '', body: '' });
  });

  it('writes + in titles as %2B, so titles and bodies with + round-trip', () => {
    const identity: ParsedIdentity = {
      storageType: 0,
      notificationType: 3,
      title: 'A+B %2B C%',
      body: 'x+y+z',
    };
    const text = formatIdentity(identity);
    expect(text).toBe('0+3+A%2BB %252B C%+x+y+z');
    expect(parseIdentity(text)).toEqual(identity);
  });

  it.each([
    ['0+3+TitleOnly', 'PUSH_ERR_INVALID_IDENTITY', 'missing the + between title and body'],
    ['0+13+T+B', 'PUSH_ERR_INVALID_IDENTITY', 'one-digit type'],
    ['0+x+T+B', 'PUSH_ERR_INVALID_IDENTITY', 'one-digit type'],
    ['0+', 'PUSH_ERR_INVALID_IDENTITY', 'one-digit type'],
    ['0+2+T+B', 'PUSH_ERR_INVALID_NOTIFICATION_TYPE', '1 (broadcast), 3 (targeted) or 4 (subset)'],
  ])('rejects %j', (input, code, fragment) => {
    const err = errorOf(() => parseIdentity(input));
    expect(err.code).toBe(code);
    expect(err.message).toContain(fragment);
    expect(err.field).toBe('identity');
  });
});

describe('parseIdentity: IPFS (1), inline (2), subgraph (3)', () => {
  it('validates CIDv0 and base32 CIDv1', () => {
    expect(parseIdentity(`1+${CID_V0}`)).toEqual({ storageType: 1, cid: CID_V0, cidVersion: 0 });
    expect(parseIdentity(`1+${CID_V1}`)).toEqual({ storageType: 1, cid: CID_V1, cidVersion: 1 });
  });

  it('rejects non-canonical or broken CIDs with a hint', () => {
    const upper = errorOf(() => parseIdentity(`1+${CID_V1.toUpperCase()}`));
    expect(upper.code).toBe('PUSH_ERR_INVALID_IDENTITY');
    expect(errorOf(() => parseIdentity('1+Qm')).message).toContain('not a valid CID');
    expect(errorOf(() => parseIdentity('1+')).code).toBe('PUSH_ERR_INVALID_IDENTITY');
    const b58v1 = 'zdj7WWeQ43G6JJvLWQWZpyHuAMq6uYWRjkBXFad11vE2LHhQ7';
    const err = errorOf(() => parseIdentity(`1+${b58v1}`));
    expect(err.message).toContain('base32 CIDv1');
    expect(err.hint).toMatch(/^use bafy/);
  });

  it('keeps the inline JSON exactly as received and parses it', () => {
    const json =
      '{"notification":{"title":"bcast","body":"hello all"},"data":{"acta":"https://example.org","aimg":"","amsg":"broadcast body","asub":"B","type":"1"},"recipients":"eip155:11155111:0x0542000000000000000000000000000000001f99"}';
    const parsed = parseIdentity(`2+${json}`);
    expect(parsed).toMatchObject({ storageType: 2, json });
    expect(parsed.storageType === 2 && parsed.payload.notification).toEqual({
      title: 'bcast',
      body: 'hello all',
    });
    expect(formatIdentity(parsed)).toBe(`2+${json}`);
  });

  it('keeps + inside inline JSON (split on the first + only)', () => {
    const json = '{"a":"1+2+3"}';
    expect(parseIdentity(`2+${json}`)).toMatchObject({ json, payload: { a: '1+2+3' } });
  });

  it('rejects inline identities that are not a JSON object', () => {
    expect(errorOf(() => parseIdentity('2+{bad')).message).toContain('not valid JSON');
    expect(errorOf(() => parseIdentity('2+[1,2]')).message).toContain('must be an object');
    expect(errorOf(() => parseIdentity('2+null')).code).toBe('PUSH_ERR_INVALID_IDENTITY');
  });

  it('parses 3+graph:a/b+7', () => {
    expect(parseIdentity('3+graph:a/b+7')).toEqual({ storageType: 3, subgraphId: 'a/b', counter: 7 });
    expect(parseIdentity('3+graph:aiswaryawalter/graph-poc-sample+3')).toMatchObject({
      subgraphId: 'aiswaryawalter/graph-poc-sample',
      counter: 3,
    });
    expect(formatIdentity(parseIdentity('3+graph:a/b+7'))).toBe('3+graph:a/b+7');
  });

  it.each([
    ['3+a/b+7', 'PUSH_ERR_INVALID_IDENTITY'],
    ['3+graph:a/b', 'PUSH_ERR_INVALID_IDENTITY'],
    ['3+graph:a/b+-1', 'PUSH_ERR_INVALID_IDENTITY'],
    ['4+v2:abc', 'PUSH_ERR_UNSUPPORTED_IDENTITY'],
    ['9+x', 'PUSH_ERR_UNSUPPORTED_IDENTITY'],
    ['12+x', 'PUSH_ERR_UNSUPPORTED_IDENTITY'],
    ['a+x', 'PUSH_ERR_INVALID_IDENTITY'],
    ['01+x', 'PUSH_ERR_INVALID_IDENTITY'],
    ['nothing', 'PUSH_ERR_INVALID_IDENTITY'],
    ['', 'PUSH_ERR_INVALID_IDENTITY'],
  ])('rejects %j with %s', (input, code) => {
    expect(errorOf(() => parseIdentity(input)).code).toBe(code);
  });
});

describe('legacy and channel identities', () => {
  it('rewrites pre-NPIP <type>+<hash> to 1+<hash> below the NPIP block only', () => {
    expect(rewriteLegacyIdentity(`3+${CID_V0}`, 15_000_000, 15_546_381)).toBe(`1+${CID_V0}`);
    expect(rewriteLegacyIdentity(`3+${CID_V0}`, 15_546_381, 15_546_381)).toBe(`3+${CID_V0}`);
    expect(rewriteLegacyIdentity(`3+${CID_V0}`, 1n, null)).toBe(`3+${CID_V0}`);
    expect(rewriteLegacyIdentity(`1+${CID_V0}+extra`, 5, 10)).toBe(`1+${CID_V0}`);
    expect(parseIdentity(rewriteLegacyIdentity(`4+${CID_V0}`, 5, 10))).toMatchObject({ storageType: 1 });
    expect(errorOf(() => rewriteLegacyIdentity('garbage', 5, 10)).code).toBe('PUSH_ERR_INVALID_IDENTITY');
  });

  it('parses channel identities 1+<cid> and refuses other storage types', () => {
    expect(parseChannelIdentity('1+QmTCKYL2HRbwD6nGNvFLe4wPvDNuaYGr6RiVeCvWjVpn5s')).toEqual({
      cid: 'QmTCKYL2HRbwD6nGNvFLe4wPvDNuaYGr6RiVeCvWjVpn5s',
      cidVersion: 0,
    });
    expect(formatChannelIdentity({ cid: CID_V1, cidVersion: 1 })).toBe(`1+${CID_V1}`);
    expect(errorOf(() => parseChannelIdentity('2+{}')).code).toBe('PUSH_ERR_UNSUPPORTED_IDENTITY');
    expect(errorOf(() => parseChannelIdentity(CID_V0)).code).toBe('PUSH_ERR_INVALID_IDENTITY');
  });
});

describe('properties', () => {
  it('throws only PushError for arbitrary strings', () => {
    const noise = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc
        .tuple(
          fc.constantFrom('0+', '0+1+', '0+3+', '1+', '1+Qm', '1+b', '2+', '2+{', '3+graph:', '4+', ''),
          fc.string({
            unit: fc.constantFrom('+', '%', '2', 'B', '5', 'a', '{', '}', '"', ':', '/', 'Q', 'm'),
          }),
        )
        .map(([a, b]) => a + b),
    );
    fc.assert(fc.property(noise, onlyPushErrors(parseIdentity)), FC);
    fc.assert(fc.property(noise, onlyPushErrors(parseChannelIdentity)), FC);
    fc.assert(
      fc.property(noise, fc.nat(), fc.nat(), (s, a, b) =>
        onlyPushErrors((x: string) => rewriteLegacyIdentity(x, a, b))(s),
      ),
      FC,
    );
  });

  it('round-trips formatIdentity → parseIdentity', () => {
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: fc.constantFrom('+', '%', '2', 'B', 'b', '5', ' ', 'x') }),
    );
    const digest = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Digest.create(0x12, bytes));
    const identity: fc.Arbitrary<ParsedIdentity> = fc.oneof(
      fc
        .tuple(fc.constantFrom(1, 3, 4) as fc.Arbitrary<1 | 3 | 4>, text, text)
        .map(
          ([notificationType, title, body]) => ({ storageType: 0, notificationType, title, body }) as const,
        ),
      digest.map((d) => ({ storageType: 1, cid: CID.createV0(d).toString(), cidVersion: 0 }) as const),
      fc
        .tuple(digest, fc.constantFrom(0x55, 0x70, 0x0129))
        .map(
          ([d, codec]) =>
            ({ storageType: 1, cid: CID.createV1(codec, d).toString(), cidVersion: 1 }) as const,
        ),
      fc.dictionary(fc.string(), fc.jsonValue()).map((payload) => {
        const json = JSON.stringify(payload);
        return { storageType: 2, json, payload: JSON.parse(json) } as const;
      }),
      fc
        .tuple(fc.stringMatching(/^[a-z0-9-]{1,12}\/[a-z0-9-]{1,12}$/), fc.nat())
        .map(([subgraphId, counter]) => ({ storageType: 3, subgraphId, counter }) as const),
    );
    fc.assert(
      fc.property(identity, (id) => {
        expect(parseIdentity(formatIdentity(id))).toEqual(id);
      }),
      FC,
    );
  });
});
