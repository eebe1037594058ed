import { describe, expect, it } from 'vitest';
import { channelIconLink } from './icon.js';

describe('channelIconLink', () => {
  it('links data-URI icons to the icon route and passes URLs through', () => {
    const ch = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
    expect(channelIconLink('http://localhost:4000/', ch, 'data:image/png;base64,AAAA')).toBe(
      'http://localhost:4000/apis/v1/channels/icon/0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    );
    expect(channelIconLink('http://x', ch, 'https://cdn.example/i.png')).toBe('https://cdn.example/i.png');
    expect(channelIconLink('http://x', ch, null)).toBeNull();
  });
});
