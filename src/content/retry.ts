/**
 * When to try again: exponential backoff, capped, with jitter so that many items that failed together (a gateway
 * outage fails every pending CID at once) do not all come back in the same instant. Background workers store the
 * returned time with the item (`next_attempt_at`) rather than sleeping, so a restart keeps the schedule.
 */
import { pushError } from '../errors.js';

export interface BackoffPolicy {
  /** Delay ceiling after the first failure. */
  baseMs: number;
  /** No delay is longer than this. */
  maxMs: number;
  /**
   * `full` (default): uniform in [0, ceiling] — spreads retries best ("full jitter");
   * `equal`: uniform in [ceiling/2, ceiling] — keeps a floor; `none`: exactly the ceiling.
   */
  jitter?: 'full' | 'equal' | 'none';
  /** Uniform in [0, 1); inject a seeded one in tests. Defaults to Math.random. */
  rng?: () => number;
}

/**
 * The delay before the next attempt after `attempts` failed ones: 0 before the first attempt, then a value drawn
 * under the ceiling `min(maxMs, baseMs · 2^(attempts-1))`.
 */
export function backoffDelay(attempts: number, policy: BackoffPolicy): number {
  const { baseMs, maxMs } = checkPolicy(policy);
  if (Number.isNaN(attempts) || attempts <= 0) return 0;
  // 2^exponent stays exact and finite; beyond ~2^52 every sane policy is at maxMs anyway.
  const exponent = Math.min(Math.floor(attempts) - 1, 52);
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent);
  const jitter = policy.jitter ?? 'full';
  if (jitter === 'none') return ceiling;
  const r = clampUnit((policy.rng ?? Math.random)());
  if (jitter === 'equal') return Math.round(ceiling / 2 + r * (ceiling / 2));
  return Math.round(r * ceiling);
}

/** `now + backoffDelay(attempts)`: the earliest time (ms since epoch) to try again. */
export function nextAttemptAt(attempts: number, now: number, policy: BackoffPolicy): number {
  return now + backoffDelay(attempts, policy);
}

function checkPolicy(policy: BackoffPolicy): { baseMs: number; maxMs: number } {
  const { baseMs, maxMs } = policy;
  if (!Number.isFinite(baseMs) || baseMs < 0) {
    throw pushError(
      'PUSH_ERR_CONFIG_INVALID',
      `backoff baseMs must be a non-negative number, got ${baseMs}`,
      {
        field: 'baseMs',
      },
    );
  }
  if (!Number.isFinite(maxMs) || maxMs < baseMs) {
    throw pushError(
      'PUSH_ERR_CONFIG_INVALID',
      `backoff maxMs must be a number ≥ baseMs (${baseMs}), got ${maxMs}`,
      {
        field: 'maxMs',
      },
    );
  }
  return { baseMs, maxMs };
}

// A misbehaving rng must not push a retry past the cap or into the past.
function clampUnit(r: number): number {
  if (!Number.isFinite(r) || r < 0) return 0;
  return Math.min(r, 1);
}
