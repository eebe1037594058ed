/**
 * Channel metadata is whatever the channel's creator pinned (up to ipfs.maxBytes, 5 MiB in a node). Its tags were
 * de-duplicated with a scan of the tags kept so far and counted only at the end: 200,000 distinct tags cost 2·10^10
 * comparisons on the metadata worker's event loop. The count is refused as soon as it is passed.
 */
import { describe, expect, it } from 'vitest';
import { isPushError } from '../errors.js';
import { parseChannelMetadata } from './channel-metadata.js';

describe('channel metadata with a hostile tag list', () => {
  it('refuses 200,000 distinct tags at once', () => {
    const tags = Array.from({ length: 200_000 }, (_, i) => `t${i}`);
    const json = JSON.stringify({ name: 'n', icon: 'https://example.org/i.png', tags });
    const start = performance.now();
    let error: unknown = null;
    try {
      parseChannelMetadata(json);
    } catch (err) {
      error = err;
    }
    expect(isPushError(error, 'PUSH_ERR_INVALID_PAYLOAD')).toBe(true);
    expect((error as Error).message).toMatch(/at most 5 tags/);
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('still keeps five distinct tags and drops repeats', () => {
    const meta = parseChannelMetadata({
      name: 'n',
      icon: 'https://example.org/i.png',
      tags: ['a', 'b', 'a', ' b ', 'c', 'd', 'e', '', 'e'],
    });
    expect(meta.tags).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
