import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorOf, onlyPushErrors } from '../../test/support/push-errors.js';
import { formatProof, type ParsedProof, parseProof, proofSignature } from './proof.js';

const FC = { seed: 10_002, numRuns: 400 };
const SIG = `0x${'ab'.repeat(64)}1b`;
const TX = `0x${'cd'.repeat(32)}`;
const UUID = 'ae5870dc-aa8e-4d02-8aa5-6893d2cb1a14';
const ARMORED =
  '-----BEGIN PGP SIGNATURE-----\n\nwnUEARYKACcFgmV1c2VyCZCkRZ3Z+dZ4GhYhBP8rj3o5f2Q==\n=AbCd\n-----END PGP SIGNATURE-----\n';

describe('parseProof', () => {
  it('parses the SDK send proof eip712v2:<sig>::uid::<uuid>', () => {
    expect(parseProof(`eip712v2:${SIG.toUpperCase().replace('0X', '0x')}::uid::${UUID}`)).toEqual({
      kind: 'eip712v2',
      signature: SIG,
      uid: UUID,
    });
  });

  it('parses subscribe V2 eip712v2:<sig> with no uid', () => {
    const p = parseProof(`eip712v2:${SIG}`);
    expect(p).toEqual({ kind: 'eip712v2', signature: SIG });
    expect('uid' in p).toBe(false);
  });

  it('parses eip712v1 and eip712', () => {
    expect(parseProof(`eip712v1:${SIG}`)).toEqual({ kind: 'eip712v1', signature: SIG });
    expect(parseProof(`eip712:${SIG}`)).toEqual({ kind: 'eip712', signature: SIG });
  });

  it('reads a bare 0x signature as the legacy V1 subscribe (eip712) and writes it back bare', () => {
    const p = parseProof(SIG);
    expect(p).toEqual({ kind: 'eip712', signature: SIG, bare: true });
    expect(formatProof(p)).toBe(SIG);
    expect(proofSignature(p)).toBe(SIG);
  });

  it('parses eip155:<chainId>:<txHash>', () => {
    expect(parseProof(`eip155:11155111:${TX}`)).toEqual({ kind: 'eip155', chainId: 11155111, txHash: TX });
  });

  it('parses thegraph:<subgraphId>+<n>[::uid::…]', () => {
    expect(parseProof('thegraph:aiswaryawalter/graph-poc-sample+3::uid::1700000000')).toEqual({
      kind: 'thegraph',
      subgraphId: 'aiswaryawalter/graph-poc-sample',
      counter: 3,
      uid: '1700000000',
    });
    expect(parseProof('thegraph:a/b+7')).toEqual({ kind: 'thegraph', subgraphId: 'a/b', counter: 7 });
  });

  it('splits pgpv4 on the first colon only and keeps the armored text as is', () => {
    const withHeader = ARMORED.replace('\n\n', '\nComment: https://openpgpjs.org\n\n');
    expect(parseProof(`pgpv4:${withHeader}`)).toEqual({ kind: 'pgpv4', armored: withHeader });
    expect(proofSignature(parseProof(`pgpv4:${ARMORED}`))).toBeNull();
  });

  it.each([
    ['', 'PUSH_ERR_INVALID_PROOF', 'empty'],
    ['hello', 'PUSH_ERR_INVALID_PROOF', 'no "<type>:" prefix'],
    ['0x1234', 'PUSH_ERR_INVALID_PROOF', '65 bytes'],
    [`eip712v2:${SIG.slice(0, -2)}`, 'PUSH_ERR_INVALID_PROOF', '65 bytes'],
    [`eip712v2:${SIG.slice(0, -1)}z`, 'PUSH_ERR_INVALID_PROOF', 'non-hex'],
    [`eip712v2:${SIG}::uid::`, 'PUSH_ERR_INVALID_PROOF', '::uid::'],
    [`eip712v2:${SIG}::uid::a b`, 'PUSH_ERR_INVALID_PROOF', '::uid::'],
    [`eip712v2:${SIG}:extra`, 'PUSH_ERR_INVALID_PROOF', 'signature'],
    [`eip155:1:${TX.slice(0, -2)}`, 'PUSH_ERR_INVALID_PROOF', '32 bytes'],
    [`eip155:0:${TX}`, 'PUSH_ERR_INVALID_PROOF', 'positive integer'],
    [`eip155:${TX}`, 'PUSH_ERR_INVALID_PROOF', 'eip155:<chainId>:<txHash>'],
    [`eip155:1:${TX}::uid::${UUID}`, 'PUSH_ERR_INVALID_PROOF', 'cannot carry a ::uid::'],
    ['thegraph:a/b', 'PUSH_ERR_INVALID_PROOF', '<subgraphId>+<counter>'],
    ['thegraph:a/b+x', 'PUSH_ERR_INVALID_PROOF', 'counter'],
    ['thegraph:a b+1', 'PUSH_ERR_INVALID_PROOF', 'subgraph id'],
    ['pgpv4:not armored', 'PUSH_ERR_INVALID_PROOF', 'armored'],
    ['pgpv4:-----BEGIN PGP SIGNATURE-----\nabc', 'PUSH_ERR_INVALID_PROOF', 'END PGP SIGNATURE'],
    [`pgpv2:${ARMORED}:meta:chatid::uid::${UUID}`, 'PUSH_ERR_UNSUPPORTED_PROOF', 'chat/video'],
    ['w2wv1:abc:def', 'PUSH_ERR_UNSUPPORTED_PROOF', 'chat messages'],
    [`eip191v2:${SIG}`, 'PUSH_ERR_UNSUPPORTED_PROOF', 'user profiles'],
    [`foo:${SIG}`, 'PUSH_ERR_UNSUPPORTED_PROOF', 'unknown verificationProof type "foo"'],
    [`constructor:${SIG}`, 'PUSH_ERR_UNSUPPORTED_PROOF', 'unknown verificationProof type'],
  ])('rejects %j', (input, code, fragment) => {
    const err = errorOf(() => parseProof(input));
    expect(err.code).toBe(code);
    expect(err.message).toContain(fragment);
    expect(err.field).toBe('verificationProof');
  });

  it('rejects non-strings and absurdly long strings', () => {
    expect(errorOf(() => parseProof(undefined)).code).toBe('PUSH_ERR_INVALID_PROOF');
    expect(errorOf(() => parseProof(`pgpv4:${'x'.repeat(20_000)}`)).message).toContain('too long');
  });

  it('throws only PushError for arbitrary strings', () => {
    const noise = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc
        .tuple(
          fc.constantFrom(
            'eip712v2:',
            'eip712v1:',
            'eip712:',
            'eip155:',
            'eip155:1:',
            'thegraph:',
            'pgpv4:',
            '0x',
            '',
          ),
          fc.string({ unit: fc.constantFrom('0', 'a', 'F', 'x', ':', '+', '/', 'u', 'i', 'd', '-', ' ') }),
        )
        .map(([a, b]) => a + b),
    );
    fc.assert(fc.property(noise, onlyPushErrors(parseProof)), FC);
  });

  it('round-trips formatProof → parseProof', () => {
    const sig = fc.stringMatching(/^[0-9a-f]{130}$/).map((h) => `0x${h}` as const);
    const uid = fc.option(fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/), { nil: undefined });
    const withUid = <T extends object>(p: T, u: string | undefined) =>
      u === undefined ? p : { ...p, uid: u };
    const proof: fc.Arbitrary<ParsedProof> = fc.oneof(
      fc
        .tuple(fc.constantFrom('eip712v2', 'eip712v1', 'eip712') as fc.Arbitrary<'eip712v2'>, sig, uid)
        .map(([kind, signature, u]) => withUid({ kind, signature }, u)),
      sig.map((signature) => ({ kind: 'eip712', signature, bare: true }) as const),
      fc
        .tuple(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.stringMatching(/^[0-9a-f]{64}$/))
        .map(([chainId, h]) => ({ kind: 'eip155', chainId, txHash: `0x${h}` }) as const),
      fc
        .tuple(
          fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}(\/[A-Za-z0-9_.-]{1,20})?$/),
          fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          uid,
        )
        .map(([subgraphId, counter, u]) => withUid({ kind: 'thegraph' as const, subgraphId, counter }, u)),
      fc.string({ unit: fc.constantFrom('a', 'Z', '0', '+', '/', '=', '\n', ':') }).map(
        (body) =>
          ({
            kind: 'pgpv4',
            armored: `-----BEGIN PGP SIGNATURE-----\n\n${body}\n-----END PGP SIGNATURE-----\n`,
          }) as const,
      ),
    );
    fc.assert(
      fc.property(proof, (p) => {
        expect(parseProof(formatProof(p))).toEqual(p);
      }),
      FC,
    );
  });
});

describe('contract-wallet signatures (ERC-1271)', () => {
  // A Safe packs 65 bytes per owner; smart accounts wrap hundreds. Recovery needs 65, so longer ones can only be
  // accepted by the wallet's isValidSignature — they must reach it (test/admission/eip1271.test.ts, a 2-of-2 wallet).
  it('accepts a signature longer than 65 bytes, e.g. a 2-owner Safe (130 bytes), and writes it back unchanged', () => {
    const sig = `0x${'ab'.repeat(130)}`;
    const input = `eip712v2:${sig}::uid::ae5870dc-aa8e-4d02-8aa5-6893d2cb1a14`;
    const proof = parseProof(input);
    expect(proof).toMatchObject({ kind: 'eip712v2', signature: sig });
    expect(formatProof(proof)).toBe(input);
  });

  it('refuses signatures past the cap, of odd length, or shorter than 65 bytes', () => {
    for (const sig of [`0x${'ab'.repeat(2049)}`, `0x${'ab'.repeat(100)}a`, `0x${'ab'.repeat(64)}`]) {
      expect(errorOf(() => parseProof(`eip712v2:${sig}`))?.code).toBe('PUSH_ERR_INVALID_PROOF');
    }
  });
});
