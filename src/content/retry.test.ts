import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom as seeded } from '../../test/support/seeded-random.js';
import { isPushError } from '../errors.js';
import { backoffDelay, nextAttemptAt } from './retry.js';

const NOW = 1_700_000_000_000;

describe('backoff without jitter', () => {
  it('doubles from baseMs and stops at maxMs', () => {
    const policy = { baseMs: 1000, maxMs: 30_000, jitter: 'none' as const };
    const delays = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, policy));
    expect(delays).toEqual([0, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(nextAttemptAt(3, NOW, policy)).toBe(NOW + 4000);
  });

  it('stays finite and capped for huge attempt counts', () => {
    const policy = { baseMs: 500, maxMs: 60_000, jitter: 'none' as const };
    expect(backoffDelay(10_000, policy)).toBe(60_000);
    expect(backoffDelay(Number.MAX_SAFE_INTEGER, policy)).toBe(60_000);
    expect(backoffDelay(Number.POSITIVE_INFINITY, policy)).toBe(60_000);
    expect(backoffDelay(Number.NaN, policy)).toBe(0);
  });
});

describe('full jitter', () => {
  it('is reproducible with a seeded rng', () => {
    const run = () => {
      const rng = seeded(2024);
      return [1, 2, 3, 4, 5].map((n) => nextAttemptAt(n, NOW, { baseMs: 1000, maxMs: 10_000, rng }));
    };
    expect(run()).toEqual(run());
  });

  it('lies in [now, now + ceiling] and spreads over the range', () => {
    const rng = seeded(1);
    const policy = { baseMs: 1000, maxMs: 8000, rng };
    const samples = Array.from({ length: 2000 }, () => backoffDelay(4, policy));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThanOrEqual(8000);
    // Uniform on [0, 8000]: the mean is near 4000 and both halves are used.
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(mean).toBeGreaterThan(3600);
    expect(mean).toBeLessThan(4400);
    expect(samples.filter((s) => s < 2000).length).toBeGreaterThan(300);
  });

  it('never exceeds the ceiling for any attempts, policy and rng value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: -1, max: 2, noNaN: true }),
        fc.constantFrom('full' as const, 'equal' as const, 'none' as const),
        (attempts, baseMs, extra, r, jitter) => {
          const maxMs = baseMs + extra;
          const delay = backoffDelay(attempts, { baseMs, maxMs, jitter, rng: () => r });
          const ceiling = attempts === 0 ? 0 : Math.min(maxMs, baseMs * 2 ** (attempts - 1));
          expect(delay).toBeGreaterThanOrEqual(jitter === 'equal' ? Math.floor(ceiling / 2) : 0);
          expect(delay).toBeLessThanOrEqual(Math.ceil(ceiling));
        },
      ),
      { seed: 9, numRuns: 500 },
    );
  });
});

describe('equal jitter', () => {
  it('keeps half the ceiling as a floor', () => {
    expect(backoffDelay(3, { baseMs: 1000, maxMs: 60_000, jitter: 'equal', rng: () => 0 })).toBe(2000);
    expect(backoffDelay(3, { baseMs: 1000, maxMs: 60_000, jitter: 'equal', rng: () => 0.999999 })).toBe(4000);
  });
});

describe('policy validation', () => {
  it('refuses negative or inverted bounds', () => {
    for (const policy of [
      { baseMs: -1, maxMs: 10 },
      { baseMs: 100, maxMs: 10 },
      { baseMs: Number.NaN, maxMs: 10 },
    ]) {
      try {
        backoffDelay(1, policy);
        expect.unreachable();
      } catch (err) {
        expect(isPushError(err, 'PUSH_ERR_CONFIG_INVALID')).toBe(true);
      }
    }
  });
});
