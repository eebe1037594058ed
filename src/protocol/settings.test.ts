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

  it('tolerates description count mismatches (chain data)', () => {
    expect(parseChannelSettings('2+1-1+1-0', 'only one').map((s) => s.description)).toEqual(['only one', '']);
    expect(parseChannelSettings('1+1-1', 'a+b+c').map((s) => s.description)).toEqual(['a+b+c']);
  });

  it.each([
    ['1-1+2-1-50-0-100', 'must start with <count>+'],
    ['abc+1-1', 'must start with <count>+'],
    ['5+1-0+2-50-20-100', 'slider must be'], // the old contract comment's slider without `enabled`
    ['1+2-1-150-0-100', 'outside [0, 100]'],
    ['1+2-1-5-10-0', 'lower limit 10 exceeds upper limit 0'],
    ['1+2-1-5-0-10-0', 'ticker must be greater than 0'],
    ['1+2-2-5-0-10', 'enabled must be 0 or 1'],
    ['1+3-1-30-20-0-100', 'default lower 30 exceeds default upper 20'],
    ['1+3-1-10-20-0', 'range must be'],
    ['1+4-1', 'unknown setting type'],
    ['1+1-2', 'must be 0 or 1'],
    ['1+2-1-1e3-0-10000', 'non-negative decimal'],
    ['1+2-1--0-10', 'non-negative decimal'],
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
  ])('rejects %j', (input, fragment) => {
    const err = errorOf(() => parseUserSettings(input, channel));
    expect(err.code).toBe('PUSH_ERR_INVALID_USER_SETTINGS');
    expect(err.message).toContain(fragment);
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
    expect(parseIndex('1-1')).toEqual({ category: 1, type: 1, value: null });
    expect(parseIndex('3-3-15')).toEqual({ category: 3, type: 3, value: 15 });
    expect(formatIndex({ category: 2, type: 2, value: 50 })).toBe('2-2-50');
  });

  it.each(['', '2', '0-1', 'a-1', '1-4', '1-2-x', '1-2-3-4', '01-1', '1--1'])('rejects %j', (input) => {
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

  it('slider: passes iff enabled and value >= the user threshold', () => {
    expect(passesSettings(channel, user, idx('2-2-80'))).toBe(true);
    expect(passesSettings(channel, user, idx('2-2-75'))).toBe(true);
    expect(passesSettings(channel, user, idx('2-2-74'))).toBe(false);
    expect(passesSettings(channel, null, idx('2-2-50'))).toBe(true); // default threshold 50
    expect(passesSettings(channel, null, idx('2-2-49'))).toBe(false);
    const off = parseUserSettings('2+1-1+2-0-10+3-1-10-20', channel);
    expect(passesSettings(channel, off, idx('2-2-99'))).toBe(false);
    expect(passesSettings(channel, user, idx('2-2'))).toBe(true);
  });

  it('range: passes iff enabled and value within [lower, upper]', () => {
    expect(passesSettings(channel, user, idx('3-3-10'))).toBe(true);
    expect(passesSettings(channel, user, idx('3-3-20'))).toBe(true);
    expect(passesSettings(channel, user, idx('3-3-21'))).toBe(false);
    expect(passesSettings(channel, user, idx('3-3-9'))).toBe(false);
    const off = parseUserSettings('2+1-1+2-1-10+3-0-10-20', channel);
    expect(passesSettings(channel, off, idx('3-3-15'))).toBe(false);
  });

  it('fails an index that selects nothing', () => {
    expect(passesSettings(channel, user, idx('4-1'))).toBe(false);
    expect(passesSettings(channel, user, idx('1-2-5'))).toBe(false);
  });

  it('falls back to the channel default when stored user settings no longer match the channel', () => {
    const stale = parseUserSettings('1+2-1-90', parseChannelSettings('1+2-1-50-0-100', 'x'));
    expect(passesSettings(channel, stale, idx('1-1'))).toBe(true); // default on
    expect(passesSettings(channel, stale, idx('2-2-60'))).toBe(true); // default threshold 50
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
      fc.string({ unit: fc.constantFrom('0', '1', '2', '3', '-', '+', '.', '5', 'e') }),
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
