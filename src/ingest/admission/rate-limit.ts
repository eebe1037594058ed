import { pushError } from '../../errors.js';

export interface BucketPolicy {
  /** Burst size: requests allowed at once. */
  capacity: number;
  /** Sustained rate: tokens added per second. */
  refillPerSecond: number;
}

export interface RateLimiter {
  /** Takes one token for `key` or throws `PUSH_ERR_RATE_LIMITED` with `details.retryAfterSeconds`. */
  take(key: string, now?: number): void;
  size(): number;
}

/**
 * Token buckets per key, in memory. Idle buckets are full again after capacity/refill seconds, so they are dropped
 * once that much time has passed (checked on a sweep when the map grows), keeping memory bounded by active keys.
 */
export function createRateLimiter(policy: BucketPolicy, what: string, maxKeys = 100_000): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const fullAfterMs = (policy.capacity / policy.refillPerSecond) * 1000;
  return {
    take(key, now = Date.now()) {
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= maxKeys) {
          for (const [k, v] of buckets) if (now - v.at >= fullAfterMs) buckets.delete(k);
        }
        b = { tokens: policy.capacity, at: now };
        buckets.set(key, b);
      } else {
        b.tokens = Math.min(policy.capacity, b.tokens + ((now - b.at) / 1000) * policy.refillPerSecond);
        b.at = now;
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return;
      }
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - b.tokens) / policy.refillPerSecond));
      throw pushError('PUSH_ERR_RATE_LIMITED', `Too many requests for this ${what}`, {
        hint: `retry after ${retryAfterSeconds} s`,
        details: { retryAfterSeconds, limit: what },
      });
    },
    size: () => buckets.size,
  };
}
