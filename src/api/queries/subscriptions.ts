import type { Kysely } from 'kysely';
import {
  type ChannelSetting,
  parseChannelSettings,
  parseUserSettings,
  toChecksum,
  type UserSetting,
} from '../../protocol/index.js';
import type { DB } from '../../store/index.js';
import { countSubscribers } from './channels.js';
import type { Page } from './pagination.js';

/** The channel's settings, or [] when it has none or they cannot be read. */
export function channelSettingsOf(row: {
  settings_raw: string | null;
  settings_description: string | null;
}): ChannelSetting[] {
  if (!row.settings_raw) return [];
  try {
    return parseChannelSettings(row.settings_raw, row.settings_description ?? '');
  } catch {
    return [];
  }
}

/**
 * A subscriber's settings expanded against the channel's (what the SDK's `parseSettings` reads), or null when the
 * subscriber never chose any or the stored string no longer fits the channel's settings.
 */
export function userSettingsOf(
  raw: string | null,
  channelSettings: readonly ChannelSetting[],
): UserSetting[] | null {
  if (!raw || channelSettings.length === 0) return null;
  try {
    return parseUserSettings(raw, channelSettings);
  } catch {
    return null;
  }
}

/** Is option `category` (1-based) switched on for this subscriber (their choice, else the channel default)? */
export function categoryEnabled(
  raw: string | null,
  channelSettings: readonly ChannelSetting[],
  category: number,
): boolean {
  const option = channelSettings[category - 1];
  if (!option) return false;
  const user = userSettingsOf(raw, channelSettings)?.[category - 1];
  if (user) return user.type === 1 ? user.user : user.enabled;
  return option.type === 1 ? option.default === 1 : option.enabled;
}

export interface SubscriberPage {
  itemcount: number;
  subscribers: { subscriber: string; settings_raw: string | null }[];
}

/**
 * Current subscribers of a channel, oldest first. With `category`, only those for whom that option is on; that
 * filter needs each subscriber's settings, so it reads the channel's subscribers and pages in memory.
 */
export async function listSubscribers(
  db: Kysely<DB>,
  channel: string,
  page: Page,
  opts: { category?: number; channelSettings?: readonly ChannelSetting[] } = {},
): Promise<SubscriberPage> {
  const base = db.selectFrom('subscriptions').where('channel', '=', channel).where('subscribed', '=', 1);
  if (opts.category !== undefined) {
    const all = await base
      .select(['subscriber', 'settings_raw'])
      .orderBy('ts')
      .orderBy('subscriber')
      .execute();
    const settings = opts.channelSettings ?? [];
    const kept = all.filter((s) => categoryEnabled(s.settings_raw, settings, opts.category as number));
    return { itemcount: kept.length, subscribers: kept.slice(page.offset, page.offset + page.limit) };
  }
  const total = await countSubscribers(db, channel);
  const rows = await base
    .select(['subscriber', 'settings_raw'])
    .orderBy('ts')
    .orderBy('subscriber')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return { itemcount: total, subscribers: rows };
}

/** Every current subscriber (the legacy `_get_subscribers` route has no paging), bounded by `max`. */
export async function allSubscribers(db: Kysely<DB>, channel: string, max: number): Promise<string[]> {
  const rows = await db
    .selectFrom('subscriptions')
    .select('subscriber')
    .where('channel', '=', channel)
    .where('subscribed', '=', 1)
    .orderBy('ts')
    .orderBy('subscriber')
    .limit(max)
    .execute();
  return rows.map((r) => r.subscriber);
}

/** A user's current subscriptions, `user_settings` as the expanded JSON string (or null). */
export async function listUserSubscriptions(
  db: Kysely<DB>,
  subscriber: string,
  channel?: string,
): Promise<{ channel: string; user_settings: string | null }[]> {
  let q = db
    .selectFrom('subscriptions')
    .innerJoin('channels', 'channels.channel', 'subscriptions.channel')
    .select([
      'subscriptions.channel as channel',
      'subscriptions.settings_raw as settings_raw',
      'channels.settings_raw as channel_settings_raw',
      'channels.settings_description as settings_description',
    ])
    .where('subscriptions.subscriber', '=', subscriber)
    .where('subscriptions.subscribed', '=', 1);
  if (channel) q = q.where('subscriptions.channel', '=', channel);
  const rows = await q.orderBy('subscriptions.ts').execute();
  return rows.map((r) => {
    const settings = channelSettingsOf({
      settings_raw: r.channel_settings_raw,
      settings_description: r.settings_description,
    });
    const user = userSettingsOf(r.settings_raw, settings);
    return { channel: toChecksum(r.channel), user_settings: user ? JSON.stringify(user) : null };
  });
}

/** Delegates registered on `chainId` for the channel as it is addressed there. */
export async function listDelegates(db: Kysely<DB>, chainId: number, channel: string): Promise<string[]> {
  const rows = await db
    .selectFrom('delegates')
    .select('delegate')
    .where('chain_id', '=', chainId)
    .where('channel', '=', channel)
    .orderBy('added_at')
    .orderBy('delegate')
    .execute();
  return rows.map((r) => r.delegate);
}

/** Channels (as addressed on `chainId`) that `delegate` may send for on that chain. */
export async function listDelegations(db: Kysely<DB>, chainId: number, delegate: string): Promise<string[]> {
  const rows = await db
    .selectFrom('delegates')
    .select('channel')
    .where('chain_id', '=', chainId)
    .where('delegate', '=', delegate)
    .orderBy('added_at')
    .orderBy('channel')
    .execute();
  return rows.map((r) => r.channel);
}

/** The alias row for an address on an alias chain, joined with its channel's state. */
export async function findAlias(db: Kysely<DB>, chainId: number, address: string) {
  const row = await db
    .selectFrom('aliases')
    .leftJoin('channels', 'channels.channel', 'aliases.channel')
    .select([
      'aliases.channel as channel',
      'aliases.alias_address as alias_address',
      'aliases.alias_chain_id as alias_chain_id',
      'aliases.declared as declared',
      'aliases.confirmed as confirmed',
      'channels.state as state',
    ])
    .where('aliases.alias_chain_id', '=', chainId)
    .where('aliases.alias_address', '=', address)
    .executeTakeFirst();
  return row ?? null;
}
