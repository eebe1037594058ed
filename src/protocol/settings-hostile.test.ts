/**
 * `data.index` of a payload is read before its signature decides anything (the HTTP door parses inline content for
 * every request, and anyone can emit a SendNotification). Splitting `1-2-1e-1e-1e-…` re-tested the whole growing field
 * for an exponent at every piece: quadratic, so one 256 KiB request held the event loop for about a minute. Splitting is
 * linear and an index longer than any valid one is refused before it is split.
 */
import { describe, expect, it } from 'vitest';
import { isPushError } from '../errors.js';
import { parseChannelSettings, parseIndex, parseNotificationPayload } from './index.js';

function timed(fn: () => void): { ms: number; error: unknown } {
  const start = performance.now();
  let error: unknown = null;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  return { ms: performance.now() - start, error };
}

describe('hostile settings and index strings', () => {
  it('refuses a 150,000-character index at once (an inline payload may be 256 KiB)', () => {
    const index = `1-2-${'1e-'.repeat(50_000)}1`;
    const payload = {
      notification: { title: 't', body: 'b' },
      data: { type: '1', acta: '', aimg: '', amsg: '', asub: '', index },
    };
    const { ms, error } = timed(() => parseNotificationPayload(payload));
    expect(isPushError(error, 'PUSH_ERR_INVALID_INDEX')).toBe(true);
    expect(ms).toBeLessThan(500);
  });

  it('still reads exponents in an index and in settings', () => {
    expect(parseIndex('2-2-1e-7')).toEqual({ category: 2, type: 2, value: 1e-7 });
    expect(parseChannelSettings('1+2-1-1e-7-0-1e+21')[0]).toMatchObject({ default: 1e-7, upperLimit: 1e21 });
  });

  it('splits the longest settings string linearly', () => {
    const settings = `1+2-1-${'1e-'.repeat(2_700)}1`;
    const { ms, error } = timed(() => {
      for (let i = 0; i < 50; i++) {
        try {
          parseChannelSettings(settings);
        } catch (err) {
          if (!isPushError(err, 'PUSH_ERR_INVALID_SETTINGS')) throw err;
        }
      }
    });
    expect(error).toBeNull();
    expect(ms).toBeLessThan(500);
  });
});
