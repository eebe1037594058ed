import { describe, expect, it } from 'vitest';
import { createSubscriberIndex } from './subscriber-index.js';

describe('subscriber index', () => {
  it('holds connected addresses only and drops them with their last socket', () => {
    const idx = createSubscriberIndex();
    expect(idx.connect('a')).toBe(true);
    expect(idx.connect('a')).toBe(false);
    idx.load('a', [{ channel: 'c1', settingsRaw: null }]);
    expect([...idx.subscribersOf('c1')]).toEqual([['a', null]]);
    idx.disconnect('a');
    expect(idx.subscribersOf('c1').size).toBe(1);
    idx.disconnect('a');
    expect(idx.subscribersOf('c1').size).toBe(0);
    expect(idx.isConnected('a')).toBe(false);
    idx.note('c1', 'a', true, null); // not connected: ignored
    expect(idx.subscribersOf('c1').size).toBe(0);
  });

  it('a change noted while the load is in flight wins over the loaded rows', () => {
    const idx = createSubscriberIndex();
    idx.connect('a');
    idx.note('c1', 'a', false, null); // opt-out after the (stale) read started
    idx.note('c2', 'a', true, '1+1-1');
    idx.load('a', [{ channel: 'c1', settingsRaw: null }]);
    expect(idx.subscribersOf('c1').size).toBe(0);
    expect(idx.subscribersOf('c2').get('a')).toBe('1+1-1');
  });

  it('a load for an address that left meanwhile is ignored', () => {
    const idx = createSubscriberIndex();
    idx.connect('a');
    idx.disconnect('a');
    idx.load('a', [{ channel: 'c1', settingsRaw: null }]);
    expect(idx.subscribersOf('c1').size).toBe(0);
    expect(idx.addressCount()).toBe(0);
  });
});
