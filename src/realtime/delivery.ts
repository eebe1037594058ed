import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Server, Socket } from 'socket.io';
import type { AdmittedNotification } from '../ingest/bus.js';
import { normalizeRecipient } from '../protocol/index.js';
import type { DB } from '../store/index.js';
import { channelSettingsOf, feedItemOf, reachesSubscriber } from '../store/repos/feed-item.js';
import { OPEN_PERIOD_END } from '../store/schema.js';

const ROOM = 'push:delivery';
const MAX_PAGE_SIZE = 500;

/** The `liveFeeds` item a Web2 delivery node reads (reference §4.11). */
export interface LiveFeed {
  sid: number;
  sender: string;
  payload_id: number;
  /** Partial CAIPs (`eip155:0x<lower>`). */
  users: string[];
  payload: unknown;
  epoch: string;
  is_spam: 0 | 1;
}

export interface DeliveryHub {
  register(socket: Socket): void;
  publish(event: AdmittedNotification): void;
}

const partial = (r: string): string | null => {
  try {
    return normalizeRecipient(r);
  } catch {
    return null;
  }
};

/**
 * Delivery-node sockets (`?mode=delivery`): every admitted notification as `liveFeeds` (inbox and spam halves
 * separately, `is_spam` set), and `historicalFeeds {startTime, endTime, page, pageSize}` answered with
 * `historicalFeeds {feeds, count}` (inbox copies only, as the original). Times are unix seconds; values that can only
 * be milliseconds are read as such (the original delivery node sent milliseconds, §8.2).
 */
export function createDeliveryHub(deps: { io: Server; db: Kysely<DB>; logger: Logger }): DeliveryHub {
  const { io, logger } = deps;
  const db = deps.db;
  let localCount = 0;

  async function broadcastUsers(event: AdmittedNotification): Promise<string[]> {
    const rows = await db
      .selectFrom('subscriptions')
      .select(['subscriber', 'settings_raw'])
      .where('channel', '=', event.notification.channel)
      .where('subscribed', '=', 1)
      .execute();
    const settings = channelSettingsOf(
      event.audience.channelSettingsRaw,
      event.audience.channelSettingsDescription,
    );
    return rows
      .filter((r) => reachesSubscriber(settings, r.settings_raw, event.audience.index))
      .map((r) => `eip155:${r.subscriber}`);
  }

  /** Delivery publishes, one after another (see `publish`). */
  let queue: Promise<void> = Promise.resolve();

  async function publishAsync(event: AdmittedNotification) {
    const { recipients, feedItem, spamFeedItem, notification } = event;
    const inbox =
      recipients.inbox === 'subscribers'
        ? await broadcastUsers(event)
        : recipients.inbox.map(partial).filter((u): u is string => u !== null);
    const base = { sid: notification.id, sender: feedItem.sender, epoch: feedItem.epoch };
    if (inbox.length) {
      const live: LiveFeed = {
        ...base,
        payload_id: feedItem.payload_id,
        users: inbox,
        payload: feedItem.payload,
        is_spam: 0,
      };
      io.local.to(ROOM).emit('liveFeeds', live);
    }
    const spam = recipients.spam.map(partial).filter((u): u is string => u !== null);
    if (spam.length) {
      const item = spamFeedItem ?? feedItem;
      const live: LiveFeed = {
        ...base,
        payload_id: item.payload_id,
        users: spam,
        payload: item.payload,
        is_spam: 1,
      };
      io.local.to(ROOM).emit('liveFeeds', live);
    }
  }

  // Times in seconds (what delivery nodes send) or ms. A range in seconds ends with the last ms of its last second:
  // ranges split as [a, b], [b + 1, c] then miss nothing sent in second b.
  const inMs = (t: number) => t > 100_000_000_000;

  async function historical(req: { startTime: number; endTime: number; page: number; pageSize: number }) {
    const from = inMs(req.startTime) ? req.startTime : req.startTime * 1000;
    const to = inMs(req.endTime) ? req.endTime : req.endTime * 1000 + 999;
    const pageSize = Math.min(MAX_PAGE_SIZE, req.pageSize);
    const base = db
      .selectFrom('notifications')
      .where('status', '=', 'admitted')
      .where('ts', '>=', from)
      .where('ts', '<=', to);
    const count = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    const rows = await base
      .select(['id', 'sender', 'source', 'ts', 'etime', 'payload', 'type', 'channel', 'idx'])
      .orderBy('id')
      .limit(pageSize)
      .offset((req.page - 1) * pageSize)
      .execute();
    // A page holds many broadcasts of few channels: each channel's settings are read once.
    const settingsByChannel = new Map<string, ReturnType<typeof channelSettingsOf>>();
    const settingsOf = async (channel: string) => {
      let settings = settingsByChannel.get(channel);
      if (settings === undefined) {
        const c = await db
          .selectFrom('channels')
          .select(['settings_raw', 'settings_description'])
          .where('channel', '=', channel)
          .executeTakeFirst();
        settings = channelSettingsOf(c?.settings_raw ?? null, c?.settings_description ?? null);
        settingsByChannel.set(channel, settings);
      }
      return settings;
    };
    const feeds = [];
    for (const row of rows) {
      let users: string[];
      if (Number(row.type) === 1) {
        const subs = await db
          .selectFrom('subscription_periods')
          .select(['subscriber', 'settings_raw'])
          .where('channel', '=', row.channel)
          .where('from_ts', '<=', row.ts)
          .where('to_ts', '>', row.ts)
          .where('to_ts', '<=', OPEN_PERIOD_END)
          .execute();
        const settings = await settingsOf(row.channel);
        users = subs
          .filter((s) => reachesSubscriber(settings, s.settings_raw, row.idx))
          .map((s) => `eip155:${s.subscriber}`);
      } else {
        const entries = await db
          .selectFrom('feed_entries')
          .select('recipient')
          .where('notification_id', '=', row.id)
          .where('box', '=', 'inbox')
          .execute();
        users = entries.map((e) => partial(e.recipient)).filter((u): u is string => u !== null);
      }
      const item = feedItemOf(row, 'inbox');
      feeds.push({
        payload: item.payload,
        payload_id: item.payload_id,
        sid: row.id,
        sender: item.sender,
        users,
        epoch: item.epoch,
      });
    }
    return { feeds, count: Number(count?.n ?? 0) };
  }

  return {
    register(socket) {
      socket.join(ROOM);
      localCount++;
      socket.on('disconnect', () => {
        localCount--;
      });
      socket.on('historicalFeeds', async (req: unknown) => {
        const r = req as Record<string, unknown> | null;
        const nums = ['startTime', 'endTime', 'page', 'pageSize'].map((k) => Number(r?.[k]));
        const [startTime, endTime, page, pageSize] = nums as [number, number, number, number];
        if (!nums.every(Number.isFinite) || page < 1 || pageSize < 1 || startTime > endTime) {
          socket.emit('historicalFeeds', {
            feeds: [],
            count: 0,
            error: 'startTime, endTime, page (≥1) and pageSize (≥1) must be numbers, startTime ≤ endTime',
          });
          return;
        }
        try {
          socket.emit(
            'historicalFeeds',
            await historical({ startTime, endTime, page: Math.floor(page), pageSize: Math.floor(pageSize) }),
          );
        } catch (err) {
          logger.error({ err }, 'historicalFeeds failed');
          socket.emit('historicalFeeds', { feeds: [], count: 0, error: 'internal error' });
        }
      });
    },
    publish(event) {
      if (localCount === 0) return;
      // In admission order: a broadcast waits for its audience to be read, and what was admitted after it waits too.
      queue = queue.then(() => publishAsync(event)).catch((err) => logger.error({ err }, 'liveFeeds failed'));
    },
  };
}
