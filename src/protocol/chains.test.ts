import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/push-errors.js';
import { PushError } from '../errors.js';
import {
  CHAIN_ID_TO_SOURCE,
  chainIdForSource,
  parseSource,
  SOURCE_TO_CHAIN_ID,
  SPECIAL_SOURCES,
  sourceForChainId,
} from './chains.js';

describe('chains', () => {
  it('holds the SDK table (21 chains) and its inverse', () => {
    expect(Object.keys(CHAIN_ID_TO_SOURCE)).toHaveLength(21);
    expect(sourceForChainId(11155111)).toBe('ETH_TEST_SEPOLIA');
    expect(sourceForChainId(1)).toBe('ETH_MAINNET');
    expect(sourceForChainId(59141)).toBe('LINEA_TESTNET');
    expect(sourceForChainId(111557560)).toBe('CYBER_CONNECT_TESTNET');
    expect(sourceForChainId(31337)).toBeNull();
    for (const [id, source] of Object.entries(CHAIN_ID_TO_SOURCE)) {
      expect(SOURCE_TO_CHAIN_ID[source]).toBe(Number(id));
    }
  });

  it('parses chain and special sources', () => {
    expect(parseSource('POLYGON_TEST_AMOY')).toEqual({
      kind: 'chain',
      source: 'POLYGON_TEST_AMOY',
      chainId: 80002,
    });
    expect(parseSource('LINEA_SEPOLIA_TESTNET')).toMatchObject({ chainId: 59141 });
    for (const s of Object.values(SPECIAL_SOURCES))
      expect(parseSource(s)).toEqual({ kind: 'special', source: s });
  });

  it('maps sources to the chain they stand for', () => {
    expect(chainIdForSource('BSC_TESTNET', 11155111)).toBe(97);
    expect(chainIdForSource('THE_GRAPH', 11155111)).toBe(11155111);
    expect(chainIdForSource('SIMULATE', 1)).toBe(1);
    expect(chainIdForSource('PUSH_VIDEO', 1)).toBeNull();
  });

  it('rejects unknown sources precisely', () => {
    const err = errorOf(() => parseSource('eth_test_sepolia'));
    expect(err.code).toBe('PUSH_ERR_INVALID_SOURCE');
    expect(err.field).toBe('source');
    expect(errorOf(() => parseSource('toString')).code).toBe('PUSH_ERR_INVALID_SOURCE');
    expect(errorOf(() => parseSource(1)).code).toBe('PUSH_ERR_INVALID_SOURCE');
  });

  it('throws only PushError for arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constantFrom(...Object.keys(SOURCE_TO_CHAIN_ID))), (s) => {
        try {
          parseSource(s);
        } catch (err) {
          if (!(err instanceof PushError)) throw err;
        }
      }),
      { seed: 10_008, numRuns: 300 },
    );
  });
});
