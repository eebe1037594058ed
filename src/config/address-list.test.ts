import { describe, expect, it } from 'vitest';
import { createAddressMatcher, PRIVATE_NETWORKS } from './address-list.js';

describe('address list matcher', () => {
  it('admits loopback and private networks by default, and nothing public', () => {
    const allowed = createAddressMatcher(PRIVATE_NETWORKS);
    for (const a of [
      '127.0.0.1',
      '::ffff:127.0.0.1',
      '::1',
      '10.1.2.3',
      '172.31.0.9',
      '192.168.1.1',
      'fd12::1',
    ])
      expect(allowed(a), a).toBe(true);
    for (const a of ['8.8.8.8', '::ffff:8.8.8.8', '172.32.0.1', '2001:db8::1', 'not-an-ip', '', undefined])
      expect(allowed(a), String(a)).toBe(false);
  });

  it('takes single addresses and ranges, or any', () => {
    const allowed = createAddressMatcher(['203.0.113.7', '198.51.100.0/24']);
    expect(allowed('203.0.113.7')).toBe(true);
    expect(allowed('203.0.113.8')).toBe(false);
    expect(allowed('198.51.100.200')).toBe(true);
    expect(createAddressMatcher('any')('8.8.8.8')).toBe(true);
  });

  it('refuses a prefix that is not plain decimal digits (an empty one read as /0 admitted every address)', () => {
    for (const bad of ['10.0.0.0/', '10.0.0.0/ 8', '10.0.0.0/0x8', '10.0.0.0/1e1', '::1/'])
      expect(() => createAddressMatcher([bad]), bad).toThrow(
        expect.objectContaining({ code: 'PUSH_ERR_CONFIG_INVALID' }),
      );
  });

  it('refuses a bad entry with a config error naming it', () => {
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/8/1', '::1/129', '1.2.3.4/x'])
      expect(() => createAddressMatcher([bad])).toThrow(
        expect.objectContaining({ code: 'PUSH_ERR_CONFIG_INVALID' }),
      );
  });
});
