import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { onlyPushErrors } from '../../test/support/push-errors.js';
import { PushError } from '../errors.js';
import {
  formatAccount,
  formatCaip,
  isZeroAddress,
  normalizeAddress,
  normalizeRecipient,
  parseCaip,
  parseEip155,
  sameAddress,
  toChecksum,
  toPartialCaip,
  ZERO_ADDRESS,
} from './caip.js';

const FC = { seed: 10_001, numRuns: 400 };
const CHECKSUM = '0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045';
const LOWER = CHECKSUM.toLowerCase();

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof PushError) return err.code;
    throw err;
  }
  throw new Error('expected a PushError');
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof PushError) return err.message;
    throw err;
  }
  throw new Error('expected a PushError');
}

const hexAddress = fc.stringMatching(/^[0-9a-fA-F]{40}$/).map((h) => `0x${h}`);

describe('parseCaip', () => {
  it('parses full, partial and bare forms in any case to a lower-case address', () => {
    expect(parseCaip(`eip155:11155111:${CHECKSUM}`)).toEqual({
      kind: 'eip155',
      chainId: 11155111,
      address: LOWER,
    });
    expect(parseCaip(`eip155:${CHECKSUM}`)).toEqual({ kind: 'eip155', chainId: null, address: LOWER });
    expect(parseCaip(CHECKSUM.toUpperCase().replace('0X', '0x'))).toEqual({
      kind: 'eip155',
      chainId: null,
      address: LOWER,
    });
  });

  it('accepts a mixed-case address whose checksum is wrong (the SDK and users send all sorts of case)', () => {
    const broken = `0x${'D8DA6bf26964aF9D7eEd9e03E53415D37aA96045'}`;
    expect(parseCaip(broken)).toEqual({ kind: 'eip155', chainId: null, address: LOWER });
  });

  it('passes nft and scw DIDs through in canonical form', () => {
    expect(parseCaip(`nft:eip155:11155111:${CHECKSUM}:42:1700000000`)).toEqual({
      kind: 'nft',
      chainId: 11155111,
      address: LOWER,
      tokenId: '42',
      epoch: 1700000000,
      did: `nft:eip155:11155111:${LOWER}:42:1700000000`,
    });
    expect(parseCaip(`nft:eip155:1:${CHECKSUM}:7`)).toMatchObject({ kind: 'nft', epoch: null, tokenId: '7' });
    expect(parseCaip(`scw:eip155:137:${CHECKSUM}`)).toEqual({
      kind: 'scw',
      chainId: 137,
      address: LOWER,
      did: `scw:eip155:137:${LOWER}`,
    });
  });

  it.each([
    ['', 'address is empty'],
    [` ${CHECKSUM}`, 'whitespace'],
    ['0x1234', 'must be 20 bytes'],
    [`0x${'g'.repeat(40)}`, 'non-hex'],
    [LOWER.slice(2), 'must start with 0x'],
    [`0X${LOWER.slice(2)}`, 'must start with 0x'],
    [`eip155:0:${LOWER}`, 'positive integer'],
    [`eip155:-1:${LOWER}`, 'positive integer'],
    [`eip155:01:${LOWER}`, 'positive integer'],
    [`eip155:1.5:${LOWER}`, 'positive integer'],
    [`eip155:99999999999999999:${LOWER}`, 'positive integer'],
    [`solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp:${LOWER}`, 'unknown namespace'],
    [`EIP155:1:${LOWER}`, 'unknown namespace'],
    [`eip155:11155111:eip155:${LOWER}`, 'partial CAIP inside a full CAIP; send a bare 0x or full CAIP'],
    [`eip155:eip155:${LOWER}`, 'partial CAIP inside a full CAIP'],
    [`eip155:1:2:${LOWER}`, "too many ':' segments"],
    [`nft:eip155:1:${LOWER}`, 'expected nft:eip155'],
    [`nft:eip155:1:${LOWER}:abc`, 'token id'],
    [`scw:foo:1:${LOWER}`, 'must continue with eip155'],
  ])('rejects %j (%s)', (input, fragment) => {
    expect(codeOf(() => parseCaip(input))).toBe('PUSH_ERR_INVALID_CAIP');
    expect(messageOf(() => parseCaip(input))).toContain(fragment);
  });

  it('rejects non-strings and names the field', () => {
    try {
      parseCaip(42, 'body.sender');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PushError);
      expect((err as PushError).field).toBe('body.sender');
    }
  });

  it('parseEip155 refuses DIDs', () => {
    expect(codeOf(() => parseEip155(`scw:eip155:1:${LOWER}`))).toBe('PUSH_ERR_INVALID_CAIP');
  });

  it('throws only PushError for arbitrary strings', () => {
    const noise = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.string({
        unit: fc.constantFrom('e', 'i', 'p', '1', '5', ':', '0', 'x', 'a', 'F', 'n', 'f', 't', 's', 'c', 'w'),
      }),
      fc
        .tuple(fc.constantFrom('eip155:', 'eip155:1:', 'nft:eip155:', 'scw:eip155:1:', '0x'), fc.string())
        .map(([a, b]) => a + b),
    );
    fc.assert(fc.property(noise, onlyPushErrors(parseCaip)), FC);
  });

  it('round-trips formatCaip → parseCaip for any address case and chain id', () => {
    const chainId = fc.option(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { nil: null });
    fc.assert(
      fc.property(chainId, hexAddress, (id, address) => {
        const parsed = parseCaip(formatCaip(id, address));
        expect(parsed).toEqual({ kind: 'eip155', chainId: id, address: address.toLowerCase() });
        expect(formatAccount(parsed)).toBe(formatCaip(id, address.toLowerCase()));
      }),
      FC,
    );
  });

  it('round-trips DIDs through formatAccount', () => {
    const did = fc.oneof(
      fc
        .tuple(
          fc.integer({ min: 1, max: 2 ** 40 }),
          hexAddress,
          fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
          fc.option(fc.integer({ min: 0, max: 9_999_999_999 })),
        )
        .map(([c, a, t, e]) => `nft:eip155:${c}:${a}:${t}${e === null ? '' : `:${e}`}`),
      fc.tuple(fc.integer({ min: 1, max: 2 ** 40 }), hexAddress).map(([c, a]) => `scw:eip155:${c}:${a}`),
    );
    fc.assert(
      fc.property(did, (s) => {
        const parsed = parseCaip(s);
        expect(formatAccount(parsed)).toBe(s.toLowerCase());
        expect(parseCaip(formatAccount(parsed))).toEqual(parsed);
      }),
      FC,
    );
  });
});

describe('helpers', () => {
  it('formatCaip writes full and partial forms and validates', () => {
    expect(formatCaip(1, CHECKSUM)).toBe(`eip155:1:${LOWER}`);
    expect(formatCaip(null, CHECKSUM)).toBe(`eip155:${LOWER}`);
    expect(codeOf(() => formatCaip(0, CHECKSUM))).toBe('PUSH_ERR_INVALID_CAIP');
    expect(codeOf(() => formatCaip(1, '0x12'))).toBe('PUSH_ERR_INVALID_CAIP');
  });

  it('toPartialCaip and normalizeAddress accept every eip155 form', () => {
    for (const form of [CHECKSUM, `eip155:${CHECKSUM}`, `eip155:80002:${CHECKSUM}`]) {
      expect(toPartialCaip(form)).toBe(`eip155:${LOWER}`);
      expect(normalizeAddress(form)).toBe(LOWER);
    }
  });

  it('normalizeRecipient keys accounts by partial CAIP and DIDs by their canonical form', () => {
    expect(normalizeRecipient(`eip155:1:${CHECKSUM}`)).toBe(`eip155:${LOWER}`);
    expect(normalizeRecipient(`scw:eip155:1:${CHECKSUM}`)).toBe(`scw:eip155:1:${LOWER}`);
  });

  it('toChecksum gives the EIP-55 spelling', () => {
    expect(toChecksum(LOWER)).toBe(CHECKSUM);
    expect(toChecksum(`eip155:11155111:${LOWER}`)).toBe(CHECKSUM);
  });

  it('isZeroAddress is a non-throwing predicate', () => {
    expect(isZeroAddress(ZERO_ADDRESS)).toBe(true);
    expect(isZeroAddress(`eip155:1:${ZERO_ADDRESS}`)).toBe(true);
    expect(isZeroAddress(CHECKSUM)).toBe(false);
    expect(isZeroAddress('garbage')).toBe(false);
  });

  it('sameAddress compares across forms and case', () => {
    expect(sameAddress(CHECKSUM, `eip155:5:${LOWER}`)).toBe(true);
    expect(sameAddress(CHECKSUM, ZERO_ADDRESS)).toBe(false);
  });
});
