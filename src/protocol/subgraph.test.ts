import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PushError } from '../errors.js';
import { formatSubgraphRef, isValidSubgraphId, parseSubgraphRef } from './subgraph.js';

describe('subgraph refs', () => {
  it('parses <subgraphId>+<counter>', () => {
    expect(parseSubgraphRef('aiswaryawalter/graph-poc-sample+3', 'PUSH_ERR_INVALID_IDENTITY', 'x')).toEqual({
      subgraphId: 'aiswaryawalter/graph-poc-sample',
      counter: 3,
    });
  });

  it('validates ids', () => {
    expect(isValidSubgraphId('a/b')).toBe(true);
    expect(isValidSubgraphId('QmHash123')).toBe(true);
    for (const bad of ['', 'a b', 'a/', '/a', 'a//b', 'a:b', 'a+b', 'x'.repeat(201)]) {
      expect(isValidSubgraphId(bad)).toBe(false);
    }
  });

  it('uses the caller’s error code', () => {
    try {
      parseSubgraphRef('a/b+01', 'PUSH_ERR_INVALID_PROOF', 'thegraph proof', 'verificationProof');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PushError);
      expect((err as PushError).code).toBe('PUSH_ERR_INVALID_PROOF');
      expect((err as PushError).field).toBe('verificationProof');
    }
  });

  it('round-trips', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_.-]{1,30}(\/[A-Za-z0-9_.-]{1,30})?$/),
        fc.nat(),
        (subgraphId, counter) => {
          expect(
            parseSubgraphRef(formatSubgraphRef({ subgraphId, counter }), 'PUSH_ERR_INVALID_IDENTITY', 'x'),
          ).toEqual({
            subgraphId,
            counter,
          });
        },
      ),
      { seed: 10_009, numRuns: 200 },
    );
  });
});
