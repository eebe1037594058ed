/**
 * Notification settings against what the real SDK (@pushprotocol/restapi 1.7.32) writes.
 * The SDK's own string builders are loaded from its CommonJS sources, so these tests feed the node exactly what
 * the SDK sends, not an imitation.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { reachesSubscriber } from '../store/repos/feed-item.js';
import {
  checkIndexAgainstSettings,
  formatIndex,
  parseChannelSettings,
  parseIndex,
  parseUserSettings,
  passesSettings,
} from './settings.js';

const require = createRequire(import.meta.url);
// The deep module has a circular import that only resolves when the package entry is loaded first.
require('@pushprotocol/restapi');
interface SdkBase {
  generateNotificationLowLevelPayload(args: unknown): { payload: { index: string } };
  getMinimalUserSetting(settings: unknown[]): string;
  getMinimalSetting(configuration: unknown[]): { setting: string; description: string };
}
const { PushNotificationBaseClass } =
  require('@pushprotocol/restapi/src/lib/pushNotification/pushNotificationBase') as {
    PushNotificationBaseClass: new (signer: unknown, env: string, account: string) => SdkBase;
  };

const CHANNEL = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const sdk = new PushNotificationBaseClass(undefined, 'local', CHANNEL); // no signer: no network

/** `data.index` exactly as `PushAPI.channel.send(['*'], {payload: {category}})` builds it from `channel_settings`. */
function sdkIndex(channelSettingsJson: string, category: number): string {
  return sdk.generateNotificationLowLevelPayload({
    signer: undefined,
    env: 'local',
    recipients: ['*'],
    options: { notification: { title: 't', body: 'b' }, payload: { category } },
    channel: `eip155:11155111:${CHANNEL}`,
    channelInfo: { channel_settings: channelSettingsJson },
  }).payload.index;
}

/** The on-chain string Core emits for SDK `channel.setting(config)`: `"<n>+" + setting`. */
function sdkChannelSettings(config: unknown[]): { raw: string; description: string } {
  const { setting, description } = sdk.getMinimalSetting(config);
  return { raw: `${config.length}+${setting}`, description };
}

describe('data.index as PushAPI.channel.send builds it', () => {
  // Channel: slider default 50 in [0,100]; range default [10,20] in [0,100].
  const { raw, description } = sdkChannelSettings([
    { type: 2, description: 'Gas threshold', default: 50, data: { lower: 0, upper: 100, ticker: 1 } },
    {
      type: 3,
      description: 'Price band',
      default: { lower: 10, upper: 20 },
      data: { lower: 0, upper: 100, ticker: 1 },
    },
  ]);
  const channel = parseChannelSettings(raw, description);
  // What GET /v1/channels/{c} serves as channel_settings (a JSON string), which the SDK parses before sending.
  const channelJson = JSON.stringify(channel);
  // The subscriber moved the slider to 75 and narrowed the band to [30, 40], both enabled (PushAPI subscribe).
  const userSetting = sdk.getMinimalUserSetting([
    { enabled: true, value: 75 },
    { enabled: true, value: { lower: 30, upper: 40 } },
  ]);

  it('the SDK always carries the channel DEFAULT as the index value (sanity check of the fixture)', () => {
    // sdk-api-contract.md §2.10: 'the SDK adds data.index: "k-1" for boolean, "k-2-<default>" for slider,
    // "k-3-<default.lower>" for range.'
    expect(sdkIndex(channelJson, 1)).toBe('1-2-50');
    expect(sdkIndex(channelJson, 2)).toBe('2-3-10');
    expect(userSetting).toBe('2+2-1-75+3-1-30-40');
  });

  it('a slider category notification reaches an enabled subscriber whose slider is above the default', () => {
    // push-node-reference.md §4.8: 'Subscriber with user_settings: passes if channel setting type == index type ==
    // user setting type and the user's `enabled` (if present) else `user` value is truthy.' and 'The <value> part
    // is parsed but not compared to slider/range bounds'. The SDK cannot send any other value than the default, so
    // comparing it against the user's threshold silently drops every category notification for this subscriber.
    const index = sdkIndex(channelJson, 1);
    expect(passesSettings(channel, parseUserSettings(userSetting, channel), parseIndex(index))).toBe(true);
    expect(reachesSubscriber(channel, userSetting, index)).toBe(true);
  });

  it('a range category notification reaches an enabled subscriber whose band excludes the default lower bound', () => {
    // Same reference lines as above; the SDK sends "k-3-<default.lower>" = "2-3-10", outside the user's [30, 40].
    const index = sdkIndex(channelJson, 2);
    expect(passesSettings(channel, parseUserSettings(userSetting, channel), parseIndex(index))).toBe(true);
    expect(reachesSubscriber(channel, userSetting, index)).toBe(true);
  });

  it('a subscriber who switched the option off still does not get it', () => {
    const off = sdk.getMinimalUserSetting([
      { enabled: false, value: 75 },
      { enabled: false, value: { lower: 30, upper: 40 } },
    ]);
    expect(reachesSubscriber(channel, off, sdkIndex(channelJson, 1))).toBe(false);
    expect(reachesSubscriber(channel, off, sdkIndex(channelJson, 2))).toBe(false);
  });

  it('the door accepts the index the SDK builds', () => {
    for (const category of [1, 2]) {
      expect(() =>
        checkIndexAgainstSettings(channel, parseIndex(sdkIndex(channelJson, category))),
      ).not.toThrow();
    }
  });
});

describe('numbers the SDK writes with plain JS string concatenation', () => {
  // The SDK builds both strings with `… + SETTING_DELIMITER + ele.value` (pushNotificationBase.js
  // getMinimalUserSetting / getMinimalSetting), i.e. String(number). contracts.md §6: "Parse robustly".

  it('accepts a user slider value with binary-float digits (0.1 + 0.2) on a 0.1-ticker slider', () => {
    const { raw, description } = sdkChannelSettings([
      { type: 2, description: 'Fee', default: 0.5, data: { lower: 0, upper: 1, ticker: 0.1 } },
    ]);
    const channel = parseChannelSettings(raw, description);
    const userSetting = sdk.getMinimalUserSetting([{ enabled: true, value: 0.1 + 0.2 }]);
    expect(userSetting).toBe('1+2-1-0.30000000000000004');
    // Was PUSH_ERR_INVALID_USER_SETTINGS, so POST /v1/channels/{c}/subscribe answered 400.
    expect(parseUserSettings(userSetting, channel)[0]).toMatchObject({ user: 0.1 + 0.2, enabled: true });
  });

  it('keeps channel settings whose default has binary-float digits (0.1 * 3)', () => {
    const { raw, description } = sdkChannelSettings([
      { type: 1, description: 'News', default: 1 },
      { type: 2, description: 'Fee', default: 0.1 * 3, data: { lower: 0, upper: 1, ticker: 0.1 } },
    ]);
    expect(raw).toBe('2+1-1+2-1-0.30000000000000004-0-1-0.1');
    // This threw, and every caller (channelSettingsJson, channelSettingsOf) then treated the channel as having NO
    // settings at all: channel_settings null in the API and no filtering, the boolean option included.
    expect(parseChannelSettings(raw, description)[1]).toMatchObject({ default: 0.1 * 3, ticker: 0.1 });
  });

  it('keeps channel settings whose slider default lies outside its limits (neither the SDK nor Core checks)', () => {
    // contracts.md §6: "the node rejects that form (a slider needs 5 or 6 parts, a range 6 or 7)" is the only
    // structural rule of the reference node; "Parse robustly". One odd option must not erase the whole list.
    const { raw, description } = sdkChannelSettings([
      { type: 1, description: 'News', default: 1 },
      { type: 2, description: 'Gas', default: 0, data: { lower: 10, upper: 100, ticker: 1 } },
    ]);
    expect(raw).toBe('2+1-1+2-1-0-10-100-1');
    const channel = parseChannelSettings(raw, description);
    expect(channel.map((s) => s.type)).toEqual([1, 2]);
    // The default is clamped into the limits, so the index the SDK builds from the served JSON passes the door.
    expect(channel[1]).toMatchObject({ default: 10, lowerLimit: 10, upperLimit: 100 });
    const index = sdkIndex(JSON.stringify(channel), 2);
    expect(index).toBe('2-2-10');
    expect(() => checkIndexAgainstSettings(channel, parseIndex(index))).not.toThrow();
    expect(reachesSubscriber(channel, null, index)).toBe(true);
  });

  it('keeps a range whose defaults lie outside its limits, clamped', () => {
    const { raw, description } = sdkChannelSettings([
      { type: 3, description: 'Band', default: { lower: 5, upper: 500 }, data: { lower: 10, upper: 100 } },
    ]);
    expect(raw).toBe('1+3-1-5-500-10-100-1');
    expect(parseChannelSettings(raw, description)[0]).toMatchObject({ default: { lower: 10, upper: 100 } });
  });

  it('reads tiny values the SDK writes in exponent form (1e-7) in all three strings', () => {
    const { raw, description } = sdkChannelSettings([
      { type: 2, description: 'Dust', default: 1e-7, data: { lower: 0, upper: 1e-6, ticker: 1e-8 } },
      {
        type: 3,
        description: 'Band',
        default: { lower: 2e-7, upper: 5e-7 },
        data: { lower: 1e-7, upper: 1 },
      },
    ]);
    expect(raw).toBe('2+2-1-1e-7-0-0.000001-1e-8+3-1-2e-7-5e-7-1e-7-1-1');
    const channel = parseChannelSettings(raw, description);
    expect(channel[0]).toMatchObject({ default: 1e-7, lowerLimit: 0, upperLimit: 1e-6, ticker: 1e-8 });
    expect(channel[1]).toMatchObject({
      default: { lower: 2e-7, upper: 5e-7 },
      lowerLimit: 1e-7,
      upperLimit: 1,
    });
    const userSetting = sdk.getMinimalUserSetting([
      { enabled: true, value: 3e-7 },
      { enabled: true, value: { lower: 1e-7, upper: 0.5 } },
    ]);
    expect(userSetting).toBe('2+2-1-3e-7+3-1-1e-7-0.5');
    expect(parseUserSettings(userSetting, channel).map((u) => u.user)).toEqual([
      3e-7,
      { lower: 1e-7, upper: 0.5 },
    ]);
    const index = sdkIndex(JSON.stringify(channel), 1);
    expect(index).toBe('1-2-1e-7');
    expect(parseIndex(index)).toEqual({ category: 1, type: 2, value: 1e-7 });
    expect(formatIndex(parseIndex(index))).toBe(index);
    expect(reachesSubscriber(channel, userSetting, index)).toBe(true);
  });
});
