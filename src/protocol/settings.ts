/**
 * Channel notification settings, user settings and the `data.index` filter (contracts §6, reference §4.8, §7.3,
 * §7.4, SDK contract §2.4 and §2.7).
 *
 * Channel settings string (as emitted by Core, which prepends the count itself):
 *   `<count>+<opt>+<opt>…`   boolean `1-<default 0|1>`
 *                            slider  `2-<enabled>-<default>-<lower>-<upper>[-<ticker>]`
 *                            range   `3-<enabled>-<defaultLower>-<defaultUpper>-<lower>-<upper>[-<ticker>]`
 *   with descriptions `<d1>+<d2>…` in the same order.
 * User settings string (Comm prepends `<notifID>+`; the SDK's notifID is the number of enabled entries):
 *   `<notifID>+<s>+<s>…`     boolean `1-<0|1>`, slider `2-<enabled>-<value>`, range `3-<enabled>-<lower>-<upper>`
 *   one entry per channel option, in channel order.
 * Numbers are what JS `Number#toString` writes for a finite non-negative number — the SDK builds both strings by
 * concatenation — so `50`, `0.30000000000000004`, `1e-7` and `1e+21` are all read (the `-`/`+` inside an exponent is
 * not a separator). `-` separates fields, so negatives cannot be written. Comparisons with limits forgive binary-float
 * error: a value within 1e-9 (relative) of a limit counts as at the limit.
 */
import { fail, parseCanonicalUint, quote } from './text.js';

export const SETTING_TYPE = { BOOLEAN: 1, SLIDER: 2, RANGE: 3 } as const;
export type SettingType = (typeof SETTING_TYPE)[keyof typeof SETTING_TYPE];

export interface Bounds {
  lower: number;
  upper: number;
}

/** Key order follows what the SDK expects in `channel_settings` (SDK contract §2.4). */
export interface BooleanSetting {
  type: 1;
  default: 0 | 1;
  description: string;
  /** 1-based position. */
  index: number;
}

export interface SliderSetting {
  type: 2;
  default: number;
  enabled: boolean;
  lowerLimit: number;
  upperLimit: number;
  ticker: number;
  index: number;
  description: string;
}

export interface RangeSetting {
  type: 3;
  default: Bounds;
  enabled: boolean;
  lowerLimit: number;
  upperLimit: number;
  ticker: number;
  index: number;
  description: string;
}

export type ChannelSetting = BooleanSetting | SliderSetting | RangeSetting;

/** A copy of the channel setting plus the user's choice (`user`) and switch (`enabled`). */
export type BooleanUserSetting = BooleanSetting & { user: boolean; enabled: boolean };
export type SliderUserSetting = SliderSetting & { user: number };
export type RangeUserSetting = RangeSetting & { user: Bounds };
export type UserSetting = BooleanUserSetting | SliderUserSetting | RangeUserSetting;

/** `data.index`: `<category>-<type>[-<value>]`, category 1-based. */
export interface NotificationIndex {
  category: number;
  type: SettingType;
  value: number | null;
}

const CHANNEL = 'PUSH_ERR_INVALID_SETTINGS';
const USER = 'PUSH_ERR_INVALID_USER_SETTINGS';
const INDEX = 'PUSH_ERR_INVALID_INDEX';
type Code = typeof CHANNEL | typeof USER | typeof INDEX;

const DEFAULT_TICKER = 1;
/** Digits, an optional fraction, an optional exponent (JS writes `1e-7`, `1e+21`; Python `1e-07`). */
const NUMBER = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]{1,3})?$/;
/** JS never writes a finite number longer than 24 characters (`0.0000012345678901234567`). */
const MAX_NUMBER_LENGTH = 32;
/** Relative slack when comparing with a limit: `0.1 + 0.2` must count as `0.3`. */
const FLOAT_SLACK = 1e-9;
/** Far more options than any UI shows; bounds the work a hostile string can cause. */
const MAX_OPTIONS = 256;
const MAX_LENGTH = 8192;
/** `<category>-<type>-<value>`: a 16-digit category, a digit and a number of at most MAX_NUMBER_LENGTH. */
const MAX_INDEX_LENGTH = 64;

function parseNumber(text: string | undefined, what: string, code: Code, field: string): number {
  if (text === undefined || text.length > MAX_NUMBER_LENGTH || !NUMBER.test(text)) {
    fail(
      code,
      `${what} must be a non-negative decimal number (e.g. 50, 0.25 or 1e-7), got ${quote(text ?? '')}`,
      field,
    );
  }
  const n = Number(text);
  if (!Number.isFinite(n)) fail(code, `${what} ${quote(text)} is too large`, field);
  return n;
}

function parseBit(text: string | undefined, what: string, code: Code, field: string): boolean {
  if (text === '1') return true;
  if (text === '0') return false;
  fail(code, `${what} must be 0 or 1, got ${quote(text ?? '')}`, field);
}

function formatNumber(n: number, what: string, code: Code): string {
  const text = String(n);
  if (!Number.isFinite(n) || n < 0 || text.length > MAX_NUMBER_LENGTH || !NUMBER.test(text)) {
    fail(code, `${what} ${text} cannot be written in a settings string (non-negative decimals only)`);
  }
  return text;
}

/**
 * Splits on `separator`, joining back the pieces of an exponent it cut (`1e-7` on `-`, `1e+21` on `+`): a piece that
 * ends in `<digit>e` is never a whole field or entry, so joining it with the next piece is the only readable choice.
 */
function splitFields(text: string, separator: '-' | '+'): string[] {
  const out: string[] = [];
  // Only the last piece is tested: a joined field ends with it (or with the separator, when it is one character), and
  // testing the whole growing field made `1e-1e-1e-…` quadratic in its length.
  let lastPiece: string | undefined;
  for (const piece of text.split(separator)) {
    const last = out.length - 1;
    if (lastPiece !== undefined && /[0-9][eE]$/.test(lastPiece) && /^[0-9]/.test(piece)) {
      out[last] = `${out[last]}${separator}${piece}`;
    } else {
      out.push(piece);
    }
    lastPiece = piece;
  }
  return out;
}

/** Everything after the leading `<count>+` / `<notifID>+`. Its value is not trusted (contracts §6). */
function stripCount(input: unknown, what: string, code: Code, field: string): string[] | null {
  if (typeof input !== 'string') fail(code, `${what} must be a string, got ${quote(input)}`, field);
  if (input.length > MAX_LENGTH) fail(code, `${what} is too long (${input.length} characters)`, field);
  if (input === '') return null;
  const plus = input.indexOf('+');
  const head = plus === -1 ? input : input.slice(0, plus);
  if (plus === -1 || !/^[0-9]{1,9}$/.test(head)) {
    fail(code, `${what} must start with <count>+, got ${quote(input)}`, field, 'e.g. 2+1-1+2-1-50-0-100-1');
  }
  const body = input.slice(plus + 1);
  if (body === '') return [];
  const entries = splitFields(body, '+');
  if (entries.length > MAX_OPTIONS) fail(code, `${what} has more than ${MAX_OPTIONS} entries`, field);
  return entries;
}

/** `a ≤ b`, where `a` within `FLOAT_SLACK` (relative) of `b` counts as equal. */
function atMost(a: number, b: number): boolean {
  return a <= b || a - b <= FLOAT_SLACK * Math.max(Math.abs(a), Math.abs(b));
}

function checkWithin(
  value: number,
  lower: number,
  upper: number,
  what: string,
  code: Code,
  field: string,
): void {
  if (!atMost(lower, value) || !atMost(value, upper)) {
    fail(code, `${what} ${value} is outside [${lower}, ${upper}]`, field);
  }
}

function clamp(value: number, lower: number, upper: number): number {
  return Math.min(Math.max(value, lower), upper);
}

/**
 * Expands an on-chain channel settings string and its descriptions into the JSON the SDK reads.
 * An empty string means "no settings". Descriptions cannot contain `+` on chain; when their count differs from the
 * options', missing ones are empty and surplus ones are kept, joined with `+`, in the last description — the
 * string is chain data, and losing the settings over a description would be worse than a merged label.
 * For the same reason a slider or range default outside its limits (neither the SDK nor Core checks it) does not
 * refuse the list: the default is clamped into [lower, upper], so the JSON the SDK reads, the index it builds from
 * that JSON (`k-2-<default>`) and a subscriber's default settings all stay within the limits. Structural errors
 * (part counts, non-numbers, lower limit above upper limit, ticker 0, default lower above default upper) still refuse
 * the whole list.
 */
export function parseChannelSettings(
  settings: unknown,
  descriptions: unknown = '',
  field = 'notifSettings',
): ChannelSetting[] {
  const entries = stripCount(settings, 'channel settings', CHANNEL, field);
  if (entries === null) return [];
  if (typeof descriptions !== 'string')
    fail(CHANNEL, 'setting descriptions must be a string', 'notifDescription');
  const texts = descriptions === '' ? [] : descriptions.split('+');
  if (texts.length > entries.length && entries.length > 0) {
    texts.splice(entries.length - 1, texts.length, texts.slice(entries.length - 1).join('+'));
  }
  return entries.map((entry, i) => parseChannelOption(entry, i + 1, texts[i] ?? '', field));
}

function parseChannelOption(
  entry: string,
  index: number,
  description: string,
  field: string,
): ChannelSetting {
  const f = splitFields(entry, '-');
  const at = `setting ${index}`;
  switch (f[0]) {
    case '1': {
      if (f.length !== 2) fail(CHANNEL, `${at}: boolean must be 1-<default>, got ${quote(entry)}`, field);
      // The SDK writes `ele.default` verbatim, so a JS caller's `true`/`false` reaches the chain as text.
      const text = f[1] === 'true' ? '1' : f[1] === 'false' ? '0' : f[1];
      return {
        type: 1,
        default: parseBit(text, `${at} default`, CHANNEL, field) ? 1 : 0,
        description,
        index,
      };
    }
    case '2': {
      if (f.length !== 5 && f.length !== 6) {
        fail(
          CHANNEL,
          `${at}: slider must be 2-<enabled>-<default>-<lower>-<upper>[-<ticker>], got ${quote(entry)}`,
          field,
        );
      }
      const enabled = parseBit(f[1], `${at} enabled`, CHANNEL, field);
      const def = parseNumber(f[2], `${at} default`, CHANNEL, field);
      const { lower, upper, ticker } = parseLimits(f[3], f[4], f[5], at, field);
      return {
        type: 2,
        default: clamp(def, lower, upper),
        enabled,
        lowerLimit: lower,
        upperLimit: upper,
        ticker,
        index,
        description,
      };
    }
    case '3': {
      if (f.length !== 6 && f.length !== 7) {
        fail(
          CHANNEL,
          `${at}: range must be 3-<enabled>-<defaultLower>-<defaultUpper>-<lower>-<upper>[-<ticker>], got ${quote(entry)}`,
          field,
        );
      }
      const enabled = parseBit(f[1], `${at} enabled`, CHANNEL, field);
      const defLower = parseNumber(f[2], `${at} default lower`, CHANNEL, field);
      const defUpper = parseNumber(f[3], `${at} default upper`, CHANNEL, field);
      const { lower, upper, ticker } = parseLimits(f[4], f[5], f[6], at, field);
      if (!atMost(defLower, defUpper))
        fail(CHANNEL, `${at}: default lower ${defLower} exceeds default upper ${defUpper}`, field);
      return {
        type: 3,
        default: { lower: clamp(defLower, lower, upper), upper: clamp(defUpper, lower, upper) },
        enabled,
        lowerLimit: lower,
        upperLimit: upper,
        ticker,
        index,
        description,
      };
    }
    default:
      fail(CHANNEL, `${at}: unknown setting type ${quote(f[0] ?? '')} (1 boolean, 2 slider, 3 range)`, field);
  }
}

function parseLimits(
  lowerText: string | undefined,
  upperText: string | undefined,
  tickerText: string | undefined,
  at: string,
  field: string,
): { lower: number; upper: number; ticker: number } {
  const lower = parseNumber(lowerText, `${at} lower limit`, CHANNEL, field);
  const upper = parseNumber(upperText, `${at} upper limit`, CHANNEL, field);
  if (!atMost(lower, upper)) fail(CHANNEL, `${at}: lower limit ${lower} exceeds upper limit ${upper}`, field);
  const ticker =
    tickerText === undefined ? DEFAULT_TICKER : parseNumber(tickerText, `${at} ticker`, CHANNEL, field);
  if (ticker <= 0) fail(CHANNEL, `${at}: ticker must be greater than 0`, field);
  return { lower, upper, ticker };
}

export interface FormattedChannelSettings {
  /** `_notifOptions` argument of Core `createChannelSettings`. */
  notifOptions: number;
  /** `_notifSettings` argument (without the count; the contract prepends it). */
  notifSettings: string;
  /** The string as emitted in `ChannelNotifcationSettingsAdded` (`<count>+…`). */
  settings: string;
  /** `_notifDescription`. */
  descriptions: string;
}

/** Writes channel settings back to their on-chain strings; `parseChannelSettings` inverts it. */
export function formatChannelSettings(settings: readonly ChannelSetting[]): FormattedChannelSettings {
  const options = settings.map((s) => {
    const at = `setting ${s.index}`;
    if (s.type === 1) return `1-${s.default === 1 ? 1 : 0}`;
    const tail = `${formatNumber(s.lowerLimit, `${at} lower limit`, CHANNEL)}-${formatNumber(s.upperLimit, `${at} upper limit`, CHANNEL)}-${formatNumber(s.ticker, `${at} ticker`, CHANNEL)}`;
    if (s.type === 2)
      return `2-${s.enabled ? 1 : 0}-${formatNumber(s.default, `${at} default`, CHANNEL)}-${tail}`;
    return `3-${s.enabled ? 1 : 0}-${formatNumber(s.default.lower, `${at} default lower`, CHANNEL)}-${formatNumber(s.default.upper, `${at} default upper`, CHANNEL)}-${tail}`;
  });
  for (const s of settings) {
    if (s.description.includes('+')) {
      fail(CHANNEL, `setting ${s.index} description cannot contain "+" (it separates descriptions on chain)`);
    }
  }
  const notifSettings = options.join('+');
  return {
    notifOptions: settings.length,
    notifSettings,
    settings: `${settings.length}+${notifSettings}`,
    descriptions: settings.map((s) => s.description).join('+'),
  };
}

/** What a subscriber without explicit settings gets: every `user` = the channel default. */
export function defaultUserSettings(channelSettings: readonly ChannelSetting[]): UserSetting[] {
  return channelSettings.map(defaultUserSetting);
}

function defaultUserSetting(s: ChannelSetting): UserSetting {
  switch (s.type) {
    case 1:
      return { ...s, user: s.default === 1, enabled: s.default === 1 };
    case 2:
      return { ...s, user: s.default };
    case 3:
      return { ...s, user: { ...s.default } };
  }
}

/**
 * Maps a user settings string onto the channel's settings. The entry count must equal the option count and each
 * entry's type must match its option's, with one exception: for `{enabled}` without a value the SDK writes the
 * boolean shape `1-<0|1>` even for a slider or range; that is read as "switch this option on/off at its default".
 * Values must lie within the option's limits (binary-float slack allowed). An empty string yields the defaults.
 */
export function parseUserSettings(
  userSettings: unknown,
  channelSettings: readonly ChannelSetting[],
  field = 'userSetting',
): UserSetting[] {
  const entries = stripCount(userSettings, 'user settings', USER, field);
  if (entries === null) return defaultUserSettings(channelSettings);
  if (entries.length !== channelSettings.length) {
    fail(
      USER,
      `user settings have ${entries.length} entries but the channel has ${channelSettings.length} settings`,
      field,
      'send one entry per channel setting, in order',
    );
  }
  return channelSettings.map((s, i) => parseUserEntry(entries[i] as string, s, field));
}

function parseUserEntry(entry: string, s: ChannelSetting, field: string): UserSetting {
  const f = splitFields(entry, '-');
  const at = `user setting ${s.index}`;
  if (f[0] === '1' && s.type !== 1) {
    if (f.length !== 2) fail(USER, `${at}: expected 1-<0|1>, got ${quote(entry)}`, field);
    const enabled = parseBit(f[1], `${at} enabled`, USER, field);
    return s.type === 2 ? { ...s, user: s.default, enabled } : { ...s, user: { ...s.default }, enabled };
  }
  if (f[0] !== String(s.type)) {
    fail(USER, `${at}: type ${quote(f[0] ?? '')} does not match the channel setting type ${s.type}`, field);
  }
  switch (s.type) {
    case 1: {
      if (f.length !== 2) fail(USER, `${at}: boolean must be 1-<0|1>, got ${quote(entry)}`, field);
      const on = parseBit(f[1], `${at} value`, USER, field);
      return { ...s, user: on, enabled: on };
    }
    case 2: {
      if (f.length !== 3) fail(USER, `${at}: slider must be 2-<enabled>-<value>, got ${quote(entry)}`, field);
      const enabled = parseBit(f[1], `${at} enabled`, USER, field);
      const value = parseNumber(f[2], `${at} value`, USER, field);
      checkWithin(value, s.lowerLimit, s.upperLimit, `${at} value`, USER, field);
      return { ...s, user: value, enabled };
    }
    case 3: {
      if (f.length !== 4)
        fail(USER, `${at}: range must be 3-<enabled>-<lower>-<upper>, got ${quote(entry)}`, field);
      const enabled = parseBit(f[1], `${at} enabled`, USER, field);
      const lower = parseNumber(f[2], `${at} lower`, USER, field);
      const upper = parseNumber(f[3], `${at} upper`, USER, field);
      if (!atMost(lower, upper)) fail(USER, `${at}: lower ${lower} exceeds upper ${upper}`, field);
      checkWithin(lower, s.lowerLimit, s.upperLimit, `${at} lower`, USER, field);
      checkWithin(upper, s.lowerLimit, s.upperLimit, `${at} upper`, USER, field);
      return { ...s, user: { lower, upper }, enabled };
    }
  }
}

/** Writes user settings in the SDK's form (`<number enabled>+…`); `parseUserSettings` inverts it. */
export function formatUserSettings(userSettings: readonly UserSetting[]): string {
  const entries = userSettings.map((s) => {
    const at = `user setting ${s.index}`;
    switch (s.type) {
      case 1:
        return `1-${s.user ? 1 : 0}`;
      case 2:
        return `2-${s.enabled ? 1 : 0}-${formatNumber(s.user, `${at} value`, USER)}`;
      default:
        return `3-${s.enabled ? 1 : 0}-${formatNumber(s.user.lower, `${at} lower`, USER)}-${formatNumber(s.user.upper, `${at} upper`, USER)}`;
    }
  });
  const enabledCount = userSettings.filter((s) => (s.type === 1 ? s.user : s.enabled)).length;
  return `${enabledCount}+${entries.join('+')}`;
}

/** Parses `data.index`: `<category>-<type>` or `<category>-<type>-<value>` (e.g. `2-2-50`, `2-2-1e-7`). */
export function parseIndex(input: unknown, field = 'data.index'): NotificationIndex {
  if (typeof input !== 'string') fail(INDEX, `index must be a string, got ${quote(input)}`, field);
  if (input.length > MAX_INDEX_LENGTH) fail(INDEX, `index is too long (${input.length} characters)`, field);
  const f = splitFields(input, '-');
  if (f.length < 2 || f.length > 3) {
    fail(INDEX, `index must be <category>-<type>[-<value>], got ${quote(input)}`, field, 'e.g. 2-2-50');
  }
  const category = parseCanonicalUint(f[0] as string);
  if (category === null || category === 0) {
    fail(INDEX, `index category must be a 1-based setting number, got ${quote(f[0] ?? '')}`, field);
  }
  const typeText = f[1];
  if (typeText !== '1' && typeText !== '2' && typeText !== '3') {
    fail(INDEX, `index setting type must be 1, 2 or 3, got ${quote(typeText ?? '')}`, field);
  }
  const value = f.length === 3 ? parseNumber(f[2], 'index value', INDEX, field) : null;
  return { category, type: Number(typeText) as SettingType, value };
}

export function formatIndex(index: NotificationIndex): string {
  const head = `${index.category}-${index.type}`;
  return index.value === null ? head : `${head}-${formatNumber(index.value, 'index value', INDEX)}`;
}

/**
 * Rejects an index that cannot select anything in these channel settings: category out of range, type mismatch,
 * or a value outside the option's limits (binary-float slack allowed; the original node never compared it). The
 * SDK sends the option's default as the value, which parsing keeps within the limits. No settings: nothing to check.
 */
export function checkIndexAgainstSettings(
  channelSettings: readonly ChannelSetting[] | null,
  index: NotificationIndex,
  field = 'data.index',
): void {
  if (!channelSettings || channelSettings.length === 0) return;
  const s = channelSettings[index.category - 1];
  if (!s) {
    fail(
      INDEX,
      `index category ${index.category} does not exist; the channel has ${channelSettings.length} settings`,
      field,
    );
  }
  if (s.type !== index.type) {
    fail(
      INDEX,
      `index type ${index.type} does not match setting ${index.category}, which has type ${s.type}`,
      field,
    );
  }
  if (s.type !== 1 && index.value !== null) {
    checkWithin(index.value, s.lowerLimit, s.upperLimit, 'index value', INDEX, field);
  }
}

/**
 * Does a subscriber receive a notification carrying `index`, given the channel's settings and the subscriber's
 * (null = never chose: the channel defaults apply)? Reference §4.8:
 *
 * - No channel settings or no index: yes.
 * - Category missing or type mismatch (see `checkIndexAgainstSettings`): no — the notification selects nothing.
 * - Boolean: the user's switch is on (without user settings: the channel default is 1).
 * - Slider and range: the option is enabled for the subscriber (without user settings: the channel's `enabled`).
 *   The index value is NOT compared with the subscriber's slider or range: the SDK always sends the channel default
 *   (`k-2-<default>`, `k-3-<default.lower>`), so a comparison would starve every subscriber who moved the slider
 *   or narrowed the range, and every Push node must file the same copies. The door checks the value against the
 *   option's limits instead (`checkIndexAgainstSettings`).
 *
 * User settings recorded before the channel changed its settings may be stale: an entry is used only when its
 * position and type still match; otherwise the channel default stands in for it.
 */
export function passesSettings(
  channelSettings: readonly ChannelSetting[] | null,
  userSettings: readonly UserSetting[] | null,
  index: NotificationIndex | null,
): boolean {
  if (!channelSettings || channelSettings.length === 0 || index === null) return true;
  const s = channelSettings[index.category - 1];
  if (!s || s.type !== index.type) return false;
  const candidate = userSettings?.[index.category - 1];
  const u = candidate && candidate.type === s.type ? candidate : defaultUserSetting(s);
  return u.type === 1 ? u.user : u.enabled;
}
