import { describe, expect, it } from 'vitest';
import { isRateLimitError, parseRangeError, parseRetryAfter } from './rpc-errors.js';

describe('parseRangeError', () => {
  it('reads the providers wordings', () => {
    expect(parseRangeError('query returned more than 10000 results')).toEqual({ maxResults: 10000 });
    expect(
      parseRangeError(
        'query returned more than 10000 results. Try with this block range [0x1E8480, 0x1E84FF].',
      ),
    ).toEqual({ maxResults: 10000, suggestedFrom: 0x1e8480, suggestedTo: 0x1e84ff });
    expect(
      parseRangeError(
        'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [0x10, 0x20]',
      ),
    ).toMatchObject({ suggestedFrom: 16, suggestedTo: 32 });
    expect(parseRangeError('block range is too wide')).toEqual({});
    expect(parseRangeError('eth_getLogs is limited to a 10,000 range')).toEqual({ maxRange: 10000 });
    expect(parseRangeError('exceed maximum block range: 50000')).toEqual({ maxRange: 50000 });
    expect(parseRangeError('query exceeds max block range 100000')).toMatchObject({ maxRange: 100000 });
    expect(parseRangeError('Block range limit exceeded.')).toEqual({});
  });

  it('ignores unrelated errors', () => {
    expect(parseRangeError('header not found')).toBeNull();
    expect(parseRangeError('execution reverted')).toBeNull();
    expect(parseRangeError('rate limit exceeded')).toBeNull();
  });
});

describe('isRateLimitError', () => {
  it('recognises rate limits by code or wording', () => {
    expect(isRateLimitError(429, 'whatever')).toBe(true);
    expect(isRateLimitError(-32005, 'daily request count exceeded, request rate limited')).toBe(true);
    expect(isRateLimitError(-32000, 'Too Many Requests')).toBe(true);
    expect(isRateLimitError(-32000, 'header not found')).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0')).toBe(0);
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
