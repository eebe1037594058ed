import { describe, expect, it } from 'vitest';
import { iconDataUri, serializeChannelMetadata } from '../devnet/channel-metadata.js';
import { isPushError, type PushError } from '../errors.js';
import { CHANNEL_METADATA_LIMITS, decodeDataUri, parseChannelMetadata } from './channel-metadata.js';

const ICON = iconDataUri('test');
const ALIAS = '0xAbCdEf0123456789aBcDeF0123456789AbCdEf01';
const base = { name: 'Push Demo', info: 'Demo channel', url: 'https://push.org', icon: ICON };

function invalid(input: unknown): PushError {
  try {
    parseChannelMetadata(input);
  } catch (err) {
    if (isPushError(err, 'PUSH_ERR_INVALID_PAYLOAD')) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(input).slice(0, 120)}`);
}

describe('parseChannelMetadata', () => {
  it('reads what the devnet publishes, from text, bytes or a parsed value', () => {
    const json = serializeChannelMetadata({
      ...base,
      aliasDetails: { 'eip155:80002': ALIAS },
      tags: ['defi', 'alerts'],
    });
    const expected = {
      ...base,
      aliases: [{ chainId: 80002, address: ALIAS.toLowerCase() }],
      tags: ['defi', 'alerts'],
    };
    expect(parseChannelMetadata(json)).toEqual(expected);
    expect(parseChannelMetadata(new TextEncoder().encode(json))).toEqual(expected);
    expect(parseChannelMetadata(JSON.parse(json))).toEqual(expected);
  });

  it('accepts the minimal shape and fills optional fields', () => {
    expect(parseChannelMetadata({ name: '  Trimmed  ', icon: 'https://example.org/i.png' })).toEqual({
      name: 'Trimmed',
      info: '',
      url: '',
      icon: 'https://example.org/i.png',
      aliases: [],
      tags: [],
    });
  });

  it('normalises aliasDetails to lower-case {chainId, address}, skipping empty entries', () => {
    const meta = parseChannelMetadata({
      ...base,
      aliasDetails: { 'eip155:137': ALIAS, 'eip155:56': '', 'eip155:10': `eip155:10:${ALIAS}` },
    });
    expect(meta.aliases).toEqual([
      { chainId: 137, address: ALIAS.toLowerCase() },
      { chainId: 10, address: ALIAS.toLowerCase() },
    ]);
    expect(parseChannelMetadata({ ...base, aliasDetails: {} }).aliases).toEqual([]);
  });

  it('reads the legacy alias fields when aliasDetails is absent, and ignores empty ones', () => {
    const legacy = { ...base, blockchain: 'POLYGON_TEST_MUMBAI', chain_id: '80001', address: ALIAS };
    expect(parseChannelMetadata(legacy).aliases).toEqual([{ chainId: 80001, address: ALIAS.toLowerCase() }]);
    expect(parseChannelMetadata({ ...legacy, chain_id: 80001 }).aliases).toHaveLength(1);
    expect(parseChannelMetadata({ ...base, blockchain: '', chain_id: '', address: '' }).aliases).toEqual([]);
    // aliasDetails, when present, is the newer format and wins.
    expect(parseChannelMetadata({ ...legacy, aliasDetails: {} }).aliases).toEqual([]);
  });

  it('deduplicates and trims tags, drops empty ones', () => {
    expect(parseChannelMetadata({ ...base, tags: [' a ', 'a', '', 'b'] }).tags).toEqual(['a', 'b']);
  });

  it('keeps scheme-less and host:port website values as older channels wrote them', () => {
    for (const url of ['www.push.org', 'push.org:8080/x', 'localhost:3000', 'http://x.org/a?b=c']) {
      expect(parseChannelMetadata({ ...base, url }).url).toBe(url);
    }
  });

  it('accepts jpeg (also as image/jpg) and svg icons', () => {
    const b64 = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>').toString('base64');
    for (const icon of [
      `data:image/jpeg;base64,/9j/4AAQ`,
      `data:image/jpg;base64,/9j/4AAQ`,
      `data:image/svg+xml;base64,${b64}`,
    ]) {
      expect(parseChannelMetadata({ ...base, icon }).icon).toBe(icon);
    }
  });

  it('rejects invalid metadata, naming the field', () => {
    const cases: [unknown, string][] = [
      ['not json', 'metadata'],
      [new Uint8Array([0xff, 0xfe]), 'metadata'],
      [[base], 'metadata'],
      [{ ...base, name: undefined }, 'metadata.name'],
      [{ ...base, name: '   ' }, 'metadata.name'],
      [{ ...base, name: 7 }, 'metadata.name'],
      [{ ...base, name: 'x'.repeat(CHANNEL_METADATA_LIMITS.name + 1) }, 'metadata.name'],
      [{ ...base, info: 'a\u0000b' }, 'metadata.info'],
      [{ ...base, info: 'i'.repeat(CHANNEL_METADATA_LIMITS.info + 1) }, 'metadata.info'],
      [{ ...base, url: 'javascript:alert(1)' }, 'metadata.url'],
      [{ ...base, url: 'JavaScript:alert(1)' }, 'metadata.url'],
      [{ ...base, url: 'data:text/html,<script>' }, 'metadata.url'],
      [{ ...base, url: 'https://a b' }, 'metadata.url'],
      [{ ...base, icon: undefined }, 'metadata.icon'],
      [{ ...base, icon: 'http://insecure.example/i.png' }, 'metadata.icon'],
      [{ ...base, icon: 'javascript:alert(1)' }, 'metadata.icon'],
      [{ ...base, icon: 'data:text/html;base64,PGgxPg==' }, 'metadata.icon'],
      [{ ...base, icon: 'data:image/png,rawbytes' }, 'metadata.icon'],
      [{ ...base, icon: 'data:image/png;base64,@@@' }, 'metadata.icon'],
      [{ ...base, icon: 'data:image/png;base64,' }, 'metadata.icon'],
      [
        { ...base, icon: `data:image/png;base64,${'A'.repeat(CHANNEL_METADATA_LIMITS.icon)}` },
        'metadata.icon',
      ],
      [{ ...base, aliasDetails: 'eip155:137' }, 'metadata.aliasDetails'],
      [{ ...base, aliasDetails: { '137': ALIAS } }, 'metadata.aliasDetails.137'],
      [{ ...base, aliasDetails: { 'eip155:0': ALIAS } }, 'metadata.aliasDetails.eip155:0'],
      [{ ...base, aliasDetails: { 'eip155:137': '0x1234' } }, 'metadata.aliasDetails.eip155:137'],
      [{ ...base, aliasDetails: { 'eip155:137': 42 } }, 'metadata.aliasDetails.eip155:137'],
      [{ ...base, chain_id: 'polygon', address: ALIAS }, 'metadata.chain_id'],
      [{ ...base, chain_id: '137', address: 'nope' }, 'metadata.address'],
      [{ ...base, tags: 'defi' }, 'metadata.tags'],
      [{ ...base, tags: ['a', 1] }, 'metadata.tags[1]'],
      [{ ...base, tags: ['a', 'b', 'c', 'd', 'e', 'f'] }, 'metadata.tags'],
      [{ ...base, tags: ['x'.repeat(300), 'y'.repeat(300)] }, 'metadata.tags'],
    ];
    for (const [input, field] of cases) {
      const err = invalid(input);
      expect({ input: JSON.stringify(input)?.slice(0, 80), field: err.field }).toEqual({
        input: JSON.stringify(input)?.slice(0, 80),
        field,
      });
      expect(err.status).toBe(400);
    }
  });

  it('counts name length in code points, so emoji are not penalised twice', () => {
    const name = '🔔'.repeat(CHANNEL_METADATA_LIMITS.name);
    expect(parseChannelMetadata({ ...base, name }).name).toBe(name);
  });

  it('ignores prototype keys and unknown fields', () => {
    const meta = parseChannelMetadata(`{"name":"n","icon":"${ICON}","__proto__":{"name":"evil"},"extra":1}`);
    expect(meta.name).toBe('n');
  });
});

describe('decodeDataUri', () => {
  it('returns the declared image type and the decoded bytes', () => {
    const decoded = decodeDataUri(ICON);
    expect(decoded.mime).toBe('image/png');
    expect(Buffer.from(decoded.bytes.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
    expect(decodeDataUri('data:IMAGE/JPG;name=x.jpg;base64,/9j/4A').mime).toBe('image/jpeg');
    expect(Buffer.from(decodeDataUri('data:image/png;base64,aGk').bytes).toString()).toBe('hi');
  });

  it('throws PUSH_ERR_INVALID_PAYLOAD for anything else', () => {
    for (const uri of [
      'https://x/y.png',
      'data:image/gif;base64,R0lG',
      'data:image/png;base64',
      'data:image/png;base64,a',
    ]) {
      expect(() => decodeDataUri(uri)).toThrowError(
        expect.objectContaining({ code: 'PUSH_ERR_INVALID_PAYLOAD' }),
      );
    }
  });
});

describe('channel metadata tags', () => {
  it('accepts five tags that the SDK itself accepted (512 characters joined WITHOUT a separator)', () => {
    // contracts.md §5.2: "`tags`: string[], at most 5, joined length at most 512 characters; optional."
    // The SDK's check (pushNotification/channel.js, create): `const tagsStr = tags.join(''); if (tagsStr.length >
    // 512) throw …` — the join has no separator. Tags totalling 510 characters pass the SDK, are pinned and put on
    // chain; counted with separators they would be 514 > 512, and a refusal is permanent: the channel would
    // never get its name or icon.
    const tags = ['a'.repeat(102), 'b'.repeat(102), 'c'.repeat(102), 'd'.repeat(102), 'e'.repeat(102)];
    expect(tags.join('').length).toBeLessThanOrEqual(512); // what the SDK checks
    const input = {
      name: 'My dApp',
      info: 'Alerts',
      url: 'https://example.org',
      icon: 'data:image/png;base64,iVBORw0KGgo=',
      aliasDetails: {},
      tags,
    };
    expect(parseChannelMetadata(JSON.stringify(input)).tags).toEqual(tags);
  });
});
