/**
 * Feed reads. Targeted and subset notifications have one `feed_entries` row per recipient; broadcasts are stored
 * once and resolved per reader: a reader's broadcasts are those of each channel during each of the reader's
 * subscription periods, filtered by the channel's settings and the period's user settings.
 *
 * Cost of a page: one indexed range scan of at most `offset + limit` rows per subscription period and one for the
 * reader's entries — O(page × channels subscribed), independent of inbox size. `before` (a notification id) gives
 * keyset paging, which keeps deep pages as cheap as the first.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { parseEip155 } from '../../protocol/index.js';
import type { DB } from '../schema.js';
import type { Executor } from '../writer.js';
import { channelSettingsOf, type FeedItem, feedItemOf, reachesSubscriber } from './feed-item.js';

export type { FeedItem } from './feed-item.js';

export interface UserFeedQuery {
  /** Any account form (`0x…`, `eip155:0x…`, `eip155:<chain>:0x…`). */
  user: string;
  box: 'inbox' | 'spam';
  /** 1-based. */
  page?: number;
  limit?: number;
  /** Include notifications sent with `hidden` (default false). Expired ones (etime past) are never listed. */
  showHidden?: boolean;
  /** Only this channel's notifications (any account form; the core channel or one of its aliases' owner). */
  channel?: string;
  /** Keyset cursor: only notifications older than this notification id (then `page` is relative to it). */
  before?: number;
  /**
   * Compute an exact `itemcount` (default false: it costs O(inbox), ~270 ms for a 50-channel reader of a 1M store).
   * It counts before the settings filter, so it may exceed what pages list. Without it, itemcount is the number of
   * items up to the end of this page (offset + returned).
   */
  count?: boolean;
  /** ms; for expiry. Default Date.now(). */
  now?: number;
}

export interface UserFeedPage {
  feeds: FeedItem[];
  itemcount: number;
}

interface Candidate {
  id: number;
  ts: number;
}

const MAX_LIMIT = 1000;

function address(input: string, field: string): string {
  return parseEip155(input, field).address;
}

function clampPage(page: number | undefined, limit: number | undefined) {
  const p = Number.isSafeInteger(page) && (page as number) > 0 ? (page as number) : 1;
  const l = Number.isSafeInteger(limit) && (limit as number) > 0 ? Math.min(limit as number, MAX_LIMIT) : 10;
  return { page: p, limit: l, offset: (p - 1) * l };
}

async function cursorOf(db: Executor, before: number | undefined): Promise<Candidate | null> {
  if (before === undefined) return null;
  const row = await db
    .selectFrom('notifications')
    .select(['id', 'ts'])
    .where('id', '=', before)
    .executeTakeFirst();
  // An unknown cursor id still pages: everything older than that id at any time.
  return row ? { id: Number(row.id), ts: Number(row.ts) } : { id: before, ts: Number.MAX_SAFE_INTEGER };
}

function olderThan(cursor: Candidate | null, tsCol: string, idCol: string): RawBuilder<unknown> {
  if (!cursor) return sql`1 = 1`;
  return sql`(${sql.ref(tsCol)} < ${cursor.ts} OR (${sql.ref(tsCol)} = ${cursor.ts} AND ${sql.ref(idCol)} < ${cursor.id}))`;
}

const byNewest = (a: Candidate, b: Candidate) => (b.ts !== a.ts ? b.ts - a.ts : b.id - a.id);

/** A user's inbox or spam page in the SDK's shape (`{feeds, itemcount}`). */
export async function listUserFeed(kdb: Kysely<DB>, q: UserFeedQuery): Promise<UserFeedPage> {
  const db = kdb;
  const user = address(q.user, 'user');
  const channel = q.channel === undefined ? null : address(q.channel, 'channel');
  const { limit, offset } = clampPage(q.page, q.limit);
  const need = offset + limit;
  const nowSec = Math.floor((q.now ?? Date.now()) / 1000);
  const showHidden = q.showHidden ?? false;
  const cursor = await cursorOf(db, q.before);

  // Entries (targeted, subset) of this box.
  const entries = await db
    .selectFrom('feed_entries as fe')
    .innerJoin('notifications as n', 'n.id', 'fe.notification_id')
    .select(['fe.notification_id as id', 'fe.ts as ts'])
    .where('fe.recipient', '=', user)
    .where('fe.box', '=', q.box)
    .$if(channel !== null, (qb) => qb.where('n.channel', '=', channel as string))
    .$if(!showHidden, (qb) => qb.where('n.hidden', '=', 0))
    .where((eb) => eb.or([eb('n.etime', 'is', null), eb('n.etime', '>', nowSec)]))
    .where(olderThan(cursor, 'fe.ts', 'fe.notification_id') as never)
    .orderBy('fe.ts', 'desc')
    .orderBy('fe.notification_id', 'desc')
    .limit(need)
    .execute();
  const candidates: Candidate[] = entries.map((e) => ({ id: Number(e.id), ts: Number(e.ts) }));

  // Broadcasts: inbox only (a broadcast reaches subscribers, who by definition are not spammed).
  let periods: { channel: string; from_ts: number; to_ts: number; settings_raw: string | null }[] = [];
  if (q.box === 'inbox') {
    periods = await db
      .selectFrom('subscription_periods')
      .select(['channel', 'from_ts', 'to_ts', 'settings_raw'])
      .where('subscriber', '=', user)
      .$if(channel !== null, (qb) => qb.where('channel', '=', channel as string))
      .execute();
  }
  if (periods.length > 0) {
    const channels = [...new Set(periods.map((p) => p.channel))];
    const settingsRows = await db
      .selectFrom('channels')
      .select(['channel', 'settings_raw', 'settings_description'])
      .where('channel', 'in', channels)
      .execute();
    const settings = new Map(
      settingsRows.map((r) => [r.channel, channelSettingsOf(r.settings_raw, r.settings_description)]),
    );
    // Grow the per-period window until the settings filter leaves a full page (or history runs out).
    let window = need;
    for (;;) {
      const branches = periods.map(
        (
          p,
          i,
        ) => sql`SELECT * FROM (SELECT n.id AS id, n.ts AS ts, n.channel AS channel, n.idx AS idx, CAST(${i} AS INTEGER) AS pi
          FROM notifications n
          WHERE n.channel = ${p.channel} AND n.type = 1 AND n.status = 'admitted'
            AND n.ts >= ${Number(p.from_ts)} AND n.ts < ${Number(p.to_ts)}
            ${showHidden ? sql`` : sql`AND n.hidden = 0`}
            AND (n.etime IS NULL OR n.etime > ${nowSec})
            AND ${olderThan(cursor, 'n.ts', 'n.id')}
          ORDER BY n.ts DESC, n.id DESC LIMIT ${window}) AS b`,
      );
      const union = sql.join(branches, sql` UNION ALL `);
      const rows = (
        await sql<{
          id: number;
          ts: number;
          channel: string;
          idx: string | null;
          pi: number;
        }>`${union}`.execute(db)
      ).rows;
      const counts = new Map<string, number>();
      const passed: Candidate[] = [];
      let truncated = false;
      for (const r of rows) {
        const key = `${r.channel}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        const us = periods[Number(r.pi)]?.settings_raw ?? null;
        if (reachesSubscriber(settings.get(r.channel) ?? null, us, r.idx))
          passed.push({ id: Number(r.id), ts: Number(r.ts) });
      }
      // A branch that filled its window may hold more; only matters if filtering dropped something.
      truncated =
        passed.length < rows.length && rows.length >= window && [...counts.values()].some((c) => c >= window);
      if (!truncated || passed.length >= need || window >= need * 64) {
        candidates.push(...passed);
        break;
      }
      window *= 4;
    }
  }

  candidates.sort(byNewest);
  const pageIds = candidates.slice(offset, offset + limit);
  const feeds = await loadItems(db, pageIds, q.box);

  let itemcount = offset + feeds.length;
  if (q.count ?? true)
    itemcount = await countFeed(db, user, q.box, channel, periods, showHidden, nowSec, cursor);
  return { feeds, itemcount };
}

async function loadItems(db: Executor, ids: Candidate[], box: 'inbox' | 'spam'): Promise<FeedItem[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('notifications')
    .select(['id', 'sender', 'source', 'ts', 'etime', 'payload', 'type'])
    .where(
      'id',
      'in',
      ids.map((c) => c.id),
    )
    .execute();
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  const out: FeedItem[] = [];
  for (const c of ids) {
    const r = byId.get(c.id);
    if (r?.payload) out.push(feedItemOf({ ...r, id: Number(r.id) }, box));
  }
  return out;
}

async function countFeed(
  db: Executor,
  user: string,
  box: 'inbox' | 'spam',
  channel: string | null,
  periods: { channel: string; from_ts: number; to_ts: number }[],
  showHidden: boolean,
  nowSec: number,
  cursor: Candidate | null,
): Promise<number> {
  const e = await db
    .selectFrom('feed_entries as fe')
    .innerJoin('notifications as n', 'n.id', 'fe.notification_id')
    .select((eb) => eb.fn.countAll<number>().as('c'))
    .where('fe.recipient', '=', user)
    .where('fe.box', '=', box)
    .$if(channel !== null, (qb) => qb.where('n.channel', '=', channel as string))
    .$if(!showHidden, (qb) => qb.where('n.hidden', '=', 0))
    .where((eb) => eb.or([eb('n.etime', 'is', null), eb('n.etime', '>', nowSec)]))
    .where(olderThan(cursor, 'fe.ts', 'fe.notification_id') as never)
    .executeTakeFirst();
  let total = Number(e?.c ?? 0);
  if (periods.length > 0) {
    const branches = periods.map(
      (p) => sql`SELECT COUNT(*) AS c FROM notifications n
        WHERE n.channel = ${p.channel} AND n.type = 1 AND n.status = 'admitted'
          AND n.ts >= ${Number(p.from_ts)} AND n.ts < ${Number(p.to_ts)}
          ${showHidden ? sql`` : sql`AND n.hidden = 0`}
          AND (n.etime IS NULL OR n.etime > ${nowSec})
          AND ${olderThan(cursor, 'n.ts', 'n.id')}`,
    );
    const rows = (await sql<{ c: number | string }>`${sql.join(branches, sql` UNION ALL `)}`.execute(db))
      .rows;
    for (const r of rows) total += Number(r.c);
  }
  return total;
}

export interface ChannelNotificationsQuery {
  /** Any account form of the core channel. */
  channel: string;
  page?: number;
  limit?: number;
  /** 1 broadcast, 3 targeted, 4 subset. */
  type?: number;
}

/** A notification as `GET /v2/channels/:c/notifications` lists it (SDK contract §2.11). */
export interface ChannelNotification {
  timestamp: string;
  from: string;
  to: string[];
  notifID: number;
  channel: { name: string; icon: string; url: string };
  meta: { type: 'NOTIFICATION.BROADCAST' | 'NOTIFICATION.TARGETTED' | 'NOTIFICATION.SUBSET' };
  message: {
    notification: { title: string; body: string };
    payload: { title: string; body: string; cta: string; embed: string; meta: unknown };
  };
  config: { expiry: number | null; silent: boolean; hidden: boolean };
  source: string;
  raw: { verificationProof: string };
}

const META_TYPE = {
  1: 'NOTIFICATION.BROADCAST',
  3: 'NOTIFICATION.TARGETTED',
  4: 'NOTIFICATION.SUBSET',
} as const;

/** A channel's admitted notifications, newest first, with the total. */
export async function listChannelNotifications(
  kdb: Kysely<DB>,
  q: ChannelNotificationsQuery,
): Promise<{ notifications: ChannelNotification[]; total: number }> {
  const db = kdb;
  const channel = address(q.channel, 'channel');
  const { limit, offset } = clampPage(q.page, q.limit);
  const base = db
    .selectFrom('notifications')
    .where('channel', '=', channel)
    .where('status', '=', 'admitted')
    .$if(q.type !== undefined, (qb) => qb.where('type', '=', q.type as number));
  const rows = await base
    .select(['id', 'sender', 'source', 'ts', 'etime', 'payload', 'type', 'recipients'])
    .orderBy('ts', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
  const total = Number(
    (await base.select((eb) => eb.fn.countAll<number>().as('c')).executeTakeFirst())?.c ?? 0,
  );
  const notifications = rows.map((r): ChannelNotification => {
    const item = feedItemOf({ ...r, id: Number(r.id) }, 'inbox');
    const d = item.payload.data;
    const meta = d.additionalMeta;
    return {
      timestamp: item.epoch,
      from: item.sender,
      to: JSON.parse(r.recipients ?? '[]') as string[],
      notifID: item.payload_id,
      channel: { name: d.app, icon: d.icon, url: d.url },
      meta: { type: META_TYPE[Number(r.type) as 1 | 3 | 4] ?? 'NOTIFICATION.BROADCAST' },
      message: {
        notification: item.payload.notification,
        payload: {
          title: d.asub,
          body: d.amsg,
          cta: d.acta,
          embed: d.aimg,
          meta: meta === null ? null : typeof meta === 'string' ? meta : meta,
        },
      },
      config: { expiry: d.etime, silent: d.silent === '1', hidden: d.hidden === '1' },
      source: item.source,
      raw: { verificationProof: item.payload.verificationProof },
    };
  });
  return { notifications, total };
}
