import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorOf, onlyPushErrors } from '../../test/support/push-errors.js';
import {
  type ChannelSetting,
  checkIndexAgainstSettings,
  defaultUserSettings,
  formatChannelSettings,
  formatIndex,
  formatUserSettings,
  type NotificationIndex,
  parseChannelSettings,
  parseIndex,
  parseUserSettings,
  passesSettings,
  type UserSetting,
} from './settings.js';

const FC = { seed: 10_004, numRuns: 300 };

const THREE = '3+1-1+2-1-50-0-100-1+3-1-10-20-0-100-1';
const THREE_DESC = 'Announcements+Price threshold+Price band';

describe('parseChannelSettings', () => {
  it('expands 2+1-1+2-1-50-0-100-1 into the SDK JSON', () => {
    expect(parseChannelSettings('2+1-1+2-1-50-0-100-1', 'Announcements+Gas price')).toEqual([
      { type: 1, default: 1, description: 'Announcements', index: 1 },
      {
        type: 2,
        default: 50,
        enabled: true,
        lowerLimit: 0,
        upperLimit: 100,
        ticker: 1,
        index: 2,
        description: 'Gas price',
      },
    ]);
  });

  it('expands the 3-option example with a range', () => {
    const s = parseChannelSettings(THREE, THREE_DESC);
    expect(s[2]).toEqual({
      type: 3,
      default: { lower: 10, upper: 20 },
      enabled: true,
      lowerLimit: 0,
      upperLimit: 100,
      ticker: 1,
      index: 3,
      description: 'Price band',
    });
    // Key order matters only cosmetically, but it is what the SDK documents.
    expect(Object.keys(s[1] as object)).toEqual([
      'type',
      'default',
      'enabled',
      'lowerLimit',
      'upperLimit',
      'ticker',
      'index',
      'description',
    ]);
  });

  it('defaults the ticker to 1, accepts decimals, and ignores the count value', () => {
    const s = parseChannelSettings('9+2-0-0.5-0-1', 'Fraction');
    expect(s).toEqual([
      {
        type: 2,
        default: 0.5,
        enabled: false,
        lowerLimit: 0,
        upperLimit: 1,
        ticker: 1,
        index: 1,
        description: 'Fraction',
      },
    ]);
  });

  it('reads a boolean default written as true/false by a JS caller', () => {
    expect(parseChannelSettings('1+1-true', 'x')[0]).toMatchObject({ default: 1 });
  });

  it('treats an empty string and a bare count as no settings', () => {
    expect(parseChannelSettings('')).toEqual([]);
    expect(parseChannelSettings('0+')).toEqual([]);
  });

  it('keeps an option whose default lies outside its limits, with the default clamped into them', () => {
    const s = parseChannelSettings('3+1-1+2-1-150-0-100+3-0-5-500-10-100-2', 'a+b+c');
    expect(s.map((o) => o.type)).toEqual([1, 2, 3]);
    expect(s[1]).toMatchObject({ default: 100, lowerLimit: 0, upperLimit: 100, enabled: true });
    expect(s[2]).toMatchObject({
      default: { lower: 10, upper: 100 },
      lowerLimit: 10,
      upperLimit: 100,
      ticker: 2,
    });
    expect(parseChannelSettings('1+2-1-0-10-100', 'x')[0]).toMatchObject({ default: 10 });
    // The clamped default is the subscriber's default setting.
    expect(defaultUserSettings(s)[1]).toMatchObject({ user: 100 });
    expect(defaultUserSettings(s)[2]).toMatchObject({ user: { lower: 10, upper: 100 } });
  });

  it('reads every form JS Number#toString writes', () => {
    const s = parseChannelSettings('2+2-1-0.30000000000000004-0-1-0.1+3-1-1e-7-1.5e-7-0-1e+21-1e-8', 'a+b');
    expect(s[0]).toMatchObject({ default: 0.1 + 0.2, lowerLimit: 0, upperLimit: 1, ticker: 0.1 });
    expect(s[1]).toMatchObject({
      default: { lower: 1e-7, upper: 1.5e-7 },
      lowerLimit: 0,
      upperLimit: 1e21,
      ticker: 1e-8,
    });
    expect(formatChannelSettings(s).settings).toBe(
      '2+2-1-0.30000000000000004-0-1-0.1+3-1-1e-7-1.5e-7-0-1e+21-1e-8',
    );
    expect(parseChannelSettings('1+2-1-7-007-123456789012345680000-1e3', 'x')[0]).toMatchObject({
      default: 7,
      lowerLimit: 7,
      upperLimit: 1.2345678901234568e20,
      ticker: 1000,
    });
  });

  it('forgives binary-float error at the limits', () => {
    // 0.1 * 3 = 0.30000000000000004 as a lower limit, 0.3 as the upper: the same number to a person.
    expect(parseChannelSettings('1+2-1-0.3-0.30000000000000004-0.3', 'x')[0]).toMatchObject({ type: 2 });
    expect(parseChannelSettings('1+3-1-0.30000000000000004-0.3-0-1', 'x')[0]).toMatchObject({ type: 3 });
    expect(errorOf(() => parseChannelSettings('1+2-1-0.3-0.3000001-0.3', 'x')).message).toContain(
      'exceeds upper limit',
    );
  });

  it('tolerates description count mismatches (chain data)', () => {
    expect(parseChannelSettings('2+1-1+1-0', 'only one').map((s) => s.description)).toEqual(['only one', '']);
    expect(parseChannelSettings('1+1-1', 'a+b+c').map((s) => s.description)).toEqual(['a+b+c']);
  });

  it.each([
    ['1-1+2-1-50-0-100', 'must start with <count>+'],
    ['abc+1-1', 'must start with <count>+'],
    ['5+1-0+2-50-20-100', 'slider must be'], // the old contract comment's slider without `enabled`
    ['1+2-1-5-10-0', 'lower limit 10 exceeds upper limit 0'],
    ['1+2-1-5-0-10-0', 'ticker must be greater than 0'],
    ['1+2-2-5-0-10', 'enabled must be 0 or 1'],
    ['1+3-1-30-20-0-100', 'default lower 30 exceeds default upper 20'],
    ['1+3-1-10-20-0', 'range must be'],
    ['1+4-1', 'unknown setting type'],
    ['1+1-2', 'must be 0 or 1'],
    ['1+2-1--0-10', 'non-negative decimal'],
    ['1+2-1-0x10-0-100', 'non-negative decimal'],
    ['1+2-1-.5-0-1', 'non-negative decimal'],
    ['1+2-1-5.-0-10', 'non-negative decimal'],
    ['1+2-1-NaN-0-10', 'non-negative decimal'],
    ['1+2-1-Infinity-0-10', 'non-negative decimal'],
    ['1+2-1-1ex-0-10', 'non-negative decimal'],
    ['1+2-1-1e400-0-10', 'too large'],
    ['1+2-1-1e+400-0-10', 'too large'],
    ['1+2-1-1e-1000-0-10', 'non-negative decimal'],
    [`1+2-1-0.${'1'.repeat(40)}-0-10`, 'non-negative decimal'],
    [`1+2-1-${'9'.repeat(33)}-0-10`, 'non-negative decimal'],
    ['1+2-1-1e-7-7-0-10', 'lower limit 7 exceeds upper limit 0'], // 1e-7 stays one field
    ['1+2-1-e-7-0-10', 'non-negative decimal'],
  ])('rejects %j', (input, fragment) => {
    const err = errorOf(() => parseChannelSettings(input, ''));
    expect(err.code).toBe('PUSH_ERR_INVALID_SETTINGS');
    expect(err.message).toContain(fragment);
  });
});

describe('user settings', () => {
  const channel = parseChannelSettings(THREE, THREE_DESC);

  it('maps 2+1-1+2-1-75+3-0-10-20 onto the channel settings', () => {
    const user = parseUserSettings('2+1-1+2-1-75+3-0-10-20', channel);
    expect(user).toEqual([
      { ...channel[0], user: true, enabled: true },
      { ...channel[1], user: 75, enabled: true },
      { ...channel[2], user: { lower: 10, upper: 20 }, enabled: false },
    ]);
  });

  it('maps the contracts example 1+1-1+2-0-40', () => {
    const two = parseChannelSettings('2+1-1+2-1-50-0-100-1', 'a+b');
    expect(parseUserSettings('1+1-1+2-0-40', two)[1]).toMatchObject({ user: 40, enabled: false });
  });

  it('maps the SDK-verified 2+1-1+2-0-30+3-1-2-8', () => {
    const ch = parseChannelSettings('3+1-1+2-1-50-0-100-1+3-1-1-9-0-10-1', 'a+b+c');
    expect(parseUserSettings('2+1-1+2-0-30+3-1-2-8', ch)[2]).toMatchObject({ user: { lower: 2, upper: 8 } });
  });

  it("reads the SDK's value-less 1-<0|1> on a slider or range as a switch at the default", () => {
    const user = parseUserSettings('1+1-1+1-0+1-1', channel);
    expect(user[1]).toMatchObject({ type: 2, user: 50, enabled: false });
    expect(user[2]).toMatchObject({ type: 3, user: { lower: 10, upper: 20 }, enabled: true });
  });

  it('gives defaults for an empty string', () => {
    expect(parseUserSettings('', channel)).toEqual(defaultUserSettings(channel));
    expect(defaultUserSettings(channel)).toEqual([
      { ...channel[0], user: true, enabled: true },
      { ...channel[1], user: 50 },
      { ...channel[2], user: { lower: 10, upper: 20 } },
    ]);
  });

  it.each([
    ['2+1-1+2-1-75', 'user settings have 2 entries but the channel has 3 settings'],
    ['2+1-1+3-1-75-80+3-0-10-20', 'does not match the channel setting type 2'],
    ['2+1-1+2-1-175+3-0-10-20', 'outside [0, 100]'],
    ['2+1-1+2-1-75+3-0-30-20', 'lower 30 exceeds upper 20'],
    ['2+1-1+2-1-75+3-0-10-200', 'outside [0, 100]'],
    ['2+1-1+2-1+3-0-10-20', 'slider must be 2-<enabled>-<value>'],
    ['1-1+2-1-75+3-0-10-20', 'must start with <count>+'],
    ['3+1-1+2-0-undefined+3-0-10-20', 'non-negative decimal'],
    ['3+1-1+2-0-100.000001+3-0-10-20', 'outside [0, 100]'],
    ['3+1-1+2-0-1e-7+3-0-10-1e+21', 'outside [0, 100]'],
  ])('rejects %j', (input, fragment) => {
    const err = errorOf(() => parseUserSettings(input, channel));
    expect(err.code).toBe('PUSH_ERR_INVALID_USER_SETTINGS');
    expect(err.message).toContain(fragment);
  });

  it('reads binary-float and exponent values, forgiving float error at the limits', () => {
    const tenth = parseChannelSettings('2+2-1-0.5-0.1-0.3-0.1+3-1-0.1-0.2-0.1-0.3-0.1', 'a+b');
    // 0.1 + 0.2 = 0.30000000000000004 > 0.3 = the upper limit, by float error only.
    const user = parseUserSettings('2+2-1-0.30000000000000004+3-1-0.1-0.30000000000000004', tenth);
    expect(user.map((u) => u.user)).toEqual([0.1 + 0.2, { lower: 0.1, upper: 0.1 + 0.2 }]);
    expect(formatUserSettings(user)).toBe('2+2-1-0.30000000000000004+3-1-0.1-0.30000000000000004');
    expect(parseUserSettings('1+2-1-0.09999999999999999+1-0', tenth)[0]).toMatchObject({
      user: 0.09999999999999999,
    });
    expect(parseUserSettings('3+1-1+2-1-1e-7+3-1-0-1e-7', channel)[1]).toMatchObject({ user: 1e-7 });
    expect(errorOf(() => parseUserSettings('1+2-1-0.30001+1-0', tenth)).message).toContain('outside');
  });

  it('writes the SDK form with the number of enabled entries first', () => {
    expect(formatUserSettings(parseUserSettings('2+1-1+2-1-75+3-0-10-20', channel))).toBe(
      '2+1-1+2-1-75+3-0-10-20',
    );
    expect(formatUserSettings(defaultUserSettings(channel))).toBe('3+1-1+2-1-50+3-1-10-20');
  });
});

describe('formatChannelSettings', () => {
  it('writes the emitted string, the contract arguments and the descriptions', () => {
    expect(formatChannelSettings(parseChannelSettings(THREE, THREE_DESC))).toEqual({
      notifOptions: 3,
      notifSettings: '1-1+2-1-50-0-100-1+3-1-10-20-0-100-1',
      settings: THREE,
      descriptions: THREE_DESC,
    });
  });

  it('refuses descriptions containing +', () => {
    const s = parseChannelSettings('1+1-1', 'x');
    const err = errorOf(() => formatChannelSettings([{ ...(s[0] as ChannelSetting), description: 'a+b' }]));
    expect(err.code).toBe('PUSH_ERR_INVALID_SETTINGS');
  });
});

describe('index', () => {
  it('parses 2-2-50, 1-1 and 3-3-15', () => {
    expect(parseIndex('2-2-50')).toEqual({ category: 2, type: 2, value: 50 });
    expect(parseIndex('2-2-0.30000000000000004')).toEqual({ category: 2, type: 2, value: 0.1 + 0.2 });
    expect(parseIndex('2-2-1e-7')).toEqual({ category: 2, type: 2, value: 1e-7 });
    expect(parseIndex('2-2-1e+21')).toEqual({ category: 2, type: 2, value: 1e21 });
    expect(formatIndex({ category: 2, type: 2, value: 1e-7 })).toBe('2-2-1e-7');
    expect(parseIndex('1-1')).toEqual({ category: 1, type: 1, value: null });
    expect(parseIndex('3-3-15')).toEqual({ category: 3, type: 3, value: 15 });
    expect(formatIndex({ category: 2, type: 2, value: 50 })).toBe('2-2-50');
  });

  it.each([
    '',
    '2',
    '0-1',
    'a-1',
    '1-4',
    '1-2-x',
    '1-2-3-4',
    '01-1',
    '1--1',
    '1e-7-2-5',
    '1-2-1e-7-1',
    '1-2-1e400',
    '1-2-NaN',
    `1-2-${'1'.repeat(40)}`,
  ])('rejects %j', (input) => {
    expect(errorOf(() => parseIndex(input)).code).toBe('PUSH_ERR_INVALID_INDEX');
  });

  it('checks an index against the channel settings', () => {
    const channel = parseChannelSettings(THREE, THREE_DESC);
    expect(() => checkIndexAgainstSettings(channel, parseIndex('2-2-50'))).not.toThrow();
    expect(() => checkIndexAgainstSettings(null, parseIndex('9-2-50'))).not.toThrow();
    expect(errorOf(() => checkIndexAgainstSettings(channel, parseIndex('4-1'))).message).toContain(
      'does not exist',
    );
    expect(errorOf(() => checkIndexAgainstSettings(channel, parseIndex('1-2-5'))).message).toContain(
      'does not match',
    );
    expect(errorOf(() => checkIndexAgainstSettings(channel, parseIndex('2-2-500'))).message).toContain(
      'outside',
    );
    expect(errorOf(() => checkIndexAgainstSettings(channel, parseIndex('3-3-100.001'))).message).toContain(
      'outside',
    );
  });

  it('forgives binary-float error when checking an index value against the limits', () => {
    const tenth = parseChannelSettings('1+2-1-0.2-0.1-0.3-0.1', 'a');
    expect(() => checkIndexAgainstSettings(tenth, parseIndex('1-2-0.30000000000000004'))).not.toThrow();
    expect(() => checkIndexAgainstSettings(tenth, parseIndex('1-2-0.09999999999999999'))).not.toThrow();
    expect(errorOf(() => checkIndexAgainstSettings(tenth, parseIndex('1-2-0.3001'))).code).toBe(
      'PUSH_ERR_INVALID_INDEX',
    );
  });
});

describe('passesSettings', () => {
  const channel = parseChannelSettings(THREE, THREE_DESC);
  const user = parseUserSettings('2+1-0+2-1-75+3-1-10-20', channel);
  const idx = (s: string) => parseIndex(s);

  it('passes everything when the channel has no settings or the notification no index', () => {
    expect(passesSettings(null, null, idx('1-1'))).toBe(true);
    expect(passesSettings([], user, idx('1-1'))).toBe(true);
    expect(passesSettings(channel, user, null)).toBe(true);
  });

  it('boolean: the user switch decides; without user settings the channel default does', () => {
    expect(passesSettings(channel, user, idx('1-1'))).toBe(false);
    expect(passesSettings(channel, null, idx('1-1'))).toBe(true);
  });

  it('slider: the switch alone decides; the value is not compared with the user slider (reference §4.8)', () => {
    // The SDK always sends the channel default (50) as the value; the user moved the slider to 75.
    expect(passesSettings(channel, user, idx('2-2-50'))).toBe(true);
    expect(passesSettings(channel, user, idx('2-2-0'))).toBe(true);
    expect(passesSettings(channel, user, idx('2-2-100'))).toBe(true);
    expect(passesSettings(channel, user, idx('2-2'))).toBe(true);
    expect(passesSettings(channel, null, idx('2-2-50'))).toBe(true); // channel enabled
    const off = parseUserSettings('2+1-1+2-0-10+3-1-10-20', channel);
    expect(passesSettings(channel, off, idx('2-2-50'))).toBe(false);
    expect(passesSettings(channel, off, idx('2-2-10'))).toBe(false);
    const channelOff = parseChannelSettings('1+2-0-50-0-100', 'x');
    expect(passesSettings(channelOff, null, idx('1-2-50'))).toBe(false);
    expect(passesSettings(channelOff, parseUserSettings('1+2-1-50', channelOff), idx('1-2-50'))).toBe(true);
  });

  it('range: the switch alone decides; the value is not compared with the user range (reference §4.8)', () => {
    const narrow = parseUserSettings('2+1-0+2-1-75+3-1-30-40', channel);
    // The SDK sends "3-3-<default.lower>" = "3-3-10", outside the user's [30, 40].
    expect(passesSettings(channel, narrow, idx('3-3-10'))).toBe(true);
    expect(passesSettings(channel, narrow, idx('3-3-35'))).toBe(true);
    expect(passesSettings(channel, narrow, idx('3-3'))).toBe(true);
    expect(passesSettings(channel, null, idx('3-3-10'))).toBe(true);
    const off = parseUserSettings('2+1-1+2-1-10+3-0-30-40', channel);
    expect(passesSettings(channel, off, idx('3-3-35'))).toBe(false);
  });

  it('the value-less SDK switch 1-<0|1> on a slider or range decides alone too', () => {
    expect(passesSettings(channel, parseUserSettings('1+1-0+1-1+1-0', channel), idx('2-2-50'))).toBe(true);
    expect(passesSettings(channel, parseUserSettings('1+1-0+1-1+1-0', channel), idx('3-3-10'))).toBe(false);
  });

  it('fails an index that selects nothing', () => {
    expect(passesSettings(channel, user, idx('4-1'))).toBe(false);
    expect(passesSettings(channel, user, idx('1-2-5'))).toBe(false);
  });

  it('falls back to the channel default when stored user settings no longer match the channel', () => {
    const stale = parseUserSettings('1+2-1-90', parseChannelSettings('1+2-1-50-0-100', 'x'));
    expect(passesSettings(channel, stale, idx('1-1'))).toBe(true); // default on
    expect(passesSettings(channel, stale, idx('2-2-50'))).toBe(true); // channel slider enabled
  });
});

describe('properties', () => {
  const num = fc.oneof(
    fc.integer({ min: 0, max: 1_000_000 }),
    fc.integer({ min: 0, max: 100_000 }).map((n) => n / 100),
  );
  const description = fc.string({ unit: fc.constantFrom('a', 'B', ' ', '-', '1', 'é') });

  const setting: fc.Arbitrary<Omit<ChannelSetting, 'index'>> = fc.oneof(
    fc
      .tuple(fc.constantFrom(0, 1) as fc.Arbitrary<0 | 1>, description)
      .map(([d, desc]) => ({ type: 1, default: d, description: desc }) as const),
    fc
      .tuple(num, num, fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), num, description)
      .map(([a, b, t, enabled, ticker, desc]) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        return {
          type: 2,
          default: lo + Math.round((hi - lo) * t),
          enabled,
          lowerLimit: lo,
          upperLimit: hi,
          ticker: ticker === 0 ? 1 : ticker,
          description: desc,
        } as const;
      })
      .filter((s) => s.default <= s.upperLimit),
    fc
      .tuple(fc.array(num, { minLength: 4, maxLength: 4 }), fc.boolean(), num, description)
      .map(([values, enabled, ticker, desc]) => {
        const [a, b, c, d] = [...values].sort((x, y) => x - y) as [number, number, number, number];
        return {
          type: 3,
          default: { lower: b, upper: c },
          enabled,
          lowerLimit: a,
          upperLimit: d,
          ticker: ticker === 0 ? 1 : ticker,
          description: desc,
        } as const;
      }),
  );
  const settings = fc
    .array(setting, { maxLength: 6 })
    .map((list) => list.map((s, i) => ({ ...s, index: i + 1 }) as ChannelSetting));

  it('channel settings round-trip through formatChannelSettings → parseChannelSettings', () => {
    fc.assert(
      fc.property(settings, (s) => {
        const f = formatChannelSettings(s);
        expect(parseChannelSettings(f.settings, f.descriptions)).toEqual(s);
      }),
      FC,
    );
  });

  it('user settings round-trip through formatUserSettings → parseUserSettings', () => {
    const pair = settings.chain((channel) =>
      fc
        .tuple(...channel.map((s) => userChoice(s)))
        .map((user) => ({ channel, user: user as UserSetting[] })),
    );
    fc.assert(
      fc.property(pair, ({ channel, user }) => {
        expect(parseUserSettings(formatUserSettings(user), channel)).toEqual(user);
      }),
      FC,
    );
  });

  it('every finite non-negative number round-trips through its JS text in all three strings', () => {
    const value = fc.oneof(
      fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
      fc.double({ min: 0, max: 1e-6, noNaN: true }),
      fc.integer({ min: 0, max: 1000 }).map((n) => n / 10),
      fc
        .tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }))
        .map(([a, b]) => a / 10 + b / 10),
    );
    fc.assert(
      fc.property(value, value, value, (a, b, c) => {
        const [lo, v, hi] = [a, b, c].sort((x, y) => x - y) as [number, number, number];
        expect(parseIndex(formatIndex({ category: 1, type: 2, value: v }))).toEqual({
          category: 1,
          type: 2,
          value: v,
        });
        expect(parseIndex(`1-2-${v}`).value).toBe(v);
        const raw = `2+2-1-${v}-${lo}-${hi}-${hi || 1}+3-0-${lo}-${v}-${lo}-${hi}-${hi || 1}`;
        const channel = parseChannelSettings(raw, 'a+b');
        expect(channel[0]).toMatchObject({ default: v, lowerLimit: lo, upperLimit: hi });
        expect(channel[1]).toMatchObject({ default: { lower: lo, upper: v } });
        expect(formatChannelSettings(channel).settings).toBe(raw);
        const user = parseUserSettings(`2+2-1-${v}+3-1-${v}-${hi}`, channel);
        expect(user.map((u) => u.user)).toEqual([v, { lower: v, upper: hi }]);
        expect(formatUserSettings(user)).toBe(`2+2-1-${v}+3-1-${v}-${hi}`);
      }),
      FC,
    );
  });

  it('a default outside the limits never refuses the list and is clamped', () => {
    fc.assert(
      fc.property(num, num, num, (d, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const [s] = parseChannelSettings(`1+2-1-${d}-${lo}-${hi}`, 'x');
        expect(s).toMatchObject({ default: Math.min(Math.max(d, lo), hi) });
      }),
      FC,
    );
  });

  it('indexes round-trip', () => {
    const index: fc.Arbitrary<NotificationIndex> = fc.record({
      category: fc.integer({ min: 1, max: 10_000 }),
      type: fc.constantFrom(1, 2, 3) as fc.Arbitrary<1 | 2 | 3>,
      value: fc.option(num, { nil: null }),
    });
    fc.assert(
      fc.property(index, (i) => {
        expect(parseIndex(formatIndex(i))).toEqual(i);
      }),
      FC,
    );
  });

  it('throws only PushError for arbitrary strings', () => {
    const channel = parseChannelSettings(THREE, THREE_DESC);
    const noise = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.string({ unit: fc.constantFrom('0', '1', '2', '3', '-', '+', '.', '5', 'e', 'E') }),
    );
    fc.assert(
      fc.property(noise, noise, (a, b) => onlyPushErrors((x) => parseChannelSettings(x, b))(a)),
      FC,
    );
    fc.assert(
      fc.property(
        noise,
        onlyPushErrors((x) => parseUserSettings(x, channel)),
      ),
      FC,
    );
    fc.assert(fc.property(noise, onlyPushErrors(parseIndex)), FC);
  });

  it('passesSettings never throws for valid inputs', () => {
    const channel = parseChannelSettings(THREE, THREE_DESC);
    const index = fc.record({
      category: fc.integer({ min: 1, max: 5 }),
      type: fc.constantFrom(1, 2, 3) as fc.Arbitrary<1 | 2 | 3>,
      value: fc.option(fc.integer({ min: 0, max: 200 }), { nil: null }),
    });
    fc.assert(
      fc.property(index, fc.boolean(), (i, withUser) => {
        const result = passesSettings(channel, withUser ? defaultUserSettings(channel) : null, i);
        expect(typeof result).toBe('boolean');
      }),
      FC,
    );
  });
});

function userChoice(s: ChannelSetting): fc.Arbitrary<UserSetting> {
  switch (s.type) {
    case 1:
      return fc.boolean().map((on) => ({ ...s, user: on, enabled: on }));
    case 2:
      return fc
        .tuple(fc.boolean(), fc.integer({ min: 0, max: 100 }))
        .map(([enabled, pct]) => ({ ...s, enabled, user: pick(s.lowerLimit, s.upperLimit, pct) }));
    case 3:
      return fc
        .tuple(fc.boolean(), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }))
        .map(([enabled, p, q]) => {
          const [a, b] = p <= q ? [p, q] : [q, p];
          return {
            ...s,
            enabled,
            user: { lower: pick(s.lowerLimit, s.upperLimit, a), upper: pick(s.lowerLimit, s.upperLimit, b) },
          };
        });
  }
}

/** A value between the limits that survives the decimal text round trip (an integer, or a limit itself). */
function pick(lower: number, upper: number, pct: number): number {
  if (pct === 0) return lower;
  if (pct === 100) return upper;
  const v = Math.ceil(lower + ((upper - lower) * pct) / 100);
  return Math.min(v, upper);
}
