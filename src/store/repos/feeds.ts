/**
 * Feed reads. Targeted and subset notifications have one `feed_entries` row per recipient; broadcasts are stored
 * once and resolved per reader: a reader's broadcasts are those of each channel during each of the reader's
 * subscription periods, filtered by the channel's settings and the period's user settings.
 *
 * Cost of a page: one index range of at most `offset + limit` entries, and for broadcasts a few index-only probes
 * per subscription period, merged newest first (`feed-merge.ts`) — O(page + channels subscribed), independent of
 * inbox size. `before` (a notification id) gives keyset paging, which keeps deep pages as cheap as the first. An
 * exact itemcount sums per-channel bucket counts (`feed-counts.ts`): a few index reads per period, not every item.
 * On Postgres a page is two statements (first read, then the items with the count), a spam page one.
 */
import { type Kysely, sql } from 'kysely';
import { pushError } from '../../errors.js';
import { parseEip155 } from '../../protocol/index.js';
import { PREPARED } from '../pg-prepared.js';
import type { DB } from '../schema.js';
import type { Executor } from '../writer.js';
import { countBroadcasts } from './feed-counts.js';
import { channelSettingsOf, type FeedItem, feedItemOf } from './feed-item.js';
import { newestBroadcasts, newestFirst } from './feed-merge.js';
import { broadcastReader, type FeedKey, isPostgres, periodUpper } from './feed-probes.js';

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
  /**
   * Keyset cursor: only notifications older than this notification id (then `page` is relative to it). A negative
   * value (the payload_id of a subset's spam copy) means its absolute value.
   */
  before?: number;
  /**
   * Compute an exact `itemcount`: how many items all pages list together (default true: the original node answers
   * the total). Broadcasts are counted from per-channel time buckets (`feed-counts.ts`), a few index reads per
   * subscription period whatever the inbox size. With false, itemcount is the number of items up to the end of this
   * page (offset + returned).
   */
  count?: boolean;
  /** ms; for expiry. Default Date.now(). */
  now?: number;
}

export interface UserFeedPage {
  feeds: FeedItem[];
  itemcount: number;
}

const MAX_LIMIT = 1000;

/**
 * Rows read per subscription period in the first merge round. Small: the newest `need` of a reader's channels are
 * spread over them, and the few periods that fill their window are read again (`feed-merge.ts`). Measured on the
 * feeds bench (50 channels): page 1 (need 10) with 4 rows per period never needs a second round; page 5 (need 50)
 * with 4 needed one in 71% of reads, with 7 in none.
 */
const firstWindow = (need: number) => 3 + Math.ceil(need / 16);

/**
 * A LIMIT value. SQLite (3.53) plans with the value bound to a bare `LIMIT ?` and so re-prepares such a statement at
 * every execution (the statement cache cannot help); `? + 0` is an expression it does not look into.
 */
const limitOf = (n: number) => sql<number>`${n} + 0`;

function address(input: string, field: string): string {
  return parseEip155(input, field).address;
}

function clampPage(page: number | undefined, limit: number | undefined) {
  const p = Number.isSafeInteger(page) && (page as number) > 0 ? (page as number) : 1;
  const l = Number.isSafeInteger(limit) && (limit as number) > 0 ? Math.min(limit as number, MAX_LIMIT) : 10;
  return { page: p, limit: l, offset: (p - 1) * l };
}

async function cursorOf(db: Executor, before: number | undefined): Promise<FeedKey | null> {
  if (before === undefined) return null;
  // A subset's spam copy lists its notification id negated (feed-item.ts): |before| is the notification.
  const id = Math.abs(before);
  const row = await db
    .selectFrom('notifications')
    .select(['id', 'ts'])
    .where('id', '=', id)
    .executeTakeFirst();
  // The page's position is the item's (ts, id): without the item there is none. Guessing one would list again what
  // the reader has seen (or skip what it has not), so the reader is told to start over.
  if (!row) {
    throw pushError('PUSH_ERR_CURSOR_NOT_FOUND', `no notification ${id} to page before`, {
      field: 'before',
      hint: 'the item was removed (a chain reorg) or never existed: read the first page again',
    });
  }
  return { id: Number(row.id), ts: Number(row.ts) };
}

interface EntryFilter {
  user: string;
  box: 'inbox' | 'spam';
  channel: string | null;
  showHidden: boolean;
  nowSec: number;
  cursor: FeedKey | null;
}

/** The reader's feed entries (targeted, subset) of one box that a page may list. */
function entriesQuery(db: Executor, f: EntryFilter) {
  return db
    .selectFrom('feed_entries as fe')
    .innerJoin('notifications as n', 'n.id', 'fe.notification_id')
    .where('fe.recipient', '=', f.user)
    .where('fe.box', '=', f.box)
    .$if(f.channel !== null, (qb) => qb.where('n.channel', '=', f.channel as string))
    .$if(!f.showHidden, (qb) => qb.where('n.hidden', '=', 0))
    .where((eb) => eb.or([eb('n.etime', 'is', null), eb('n.etime', '>', f.nowSec)]))
    .$if(f.cursor !== null, (qb) => {
      const c = f.cursor as FeedKey;
      return qb.where((eb) =>
        eb.or([
          eb('fe.ts', '<', c.ts),
          eb.and([eb('fe.ts', '=', c.ts), eb('fe.notification_id', '<', c.id)]),
        ]),
      );
    });
}

/** The newest `need` entries, as (id, ts). */
const newestEntries = (db: Executor, f: EntryFilter, need: number) =>
  entriesQuery(db, f)
    .select(['fe.notification_id as id', 'fe.ts as ts'])
    .orderBy('fe.ts', 'desc')
    .orderBy('fe.notification_id', 'desc')
    .limit(limitOf(need));

const countEntries = (db: Executor, f: EntryFilter) =>
  entriesQuery(db, f).select((eb) => eb.fn.countAll<number>().as('c'));

/** A user's inbox or spam page in the SDK's shape (`{feeds, itemcount}`). */
export async function listUserFeed(kdb: Kysely<DB>, q: UserFeedQuery): Promise<UserFeedPage> {
  const db = kdb;
  const user = address(q.user, 'user');
  const channel = q.channel === undefined ? null : address(q.channel, 'channel');
  const { limit, offset } = clampPage(q.page, q.limit);
  const need = offset + limit;
  const nowSec = Math.floor((q.now ?? Date.now()) / 1000);
  const showHidden = q.showHidden ?? false;
  const count = q.count ?? true;
  const cursor = await cursorOf(db, q.before);
  const filter: EntryFilter = { user, box: q.box, channel, showHidden, nowSec, cursor };
  // Broadcasts: inbox only (a broadcast reaches subscribers, who by definition are not spammed).
  if (q.box === 'spam') return entriesPage(db, filter, { offset, limit, count });

  const reader = broadcastReader(db, { user, channel, cursor, showHidden, nowSec });
  const settingsOf = (channels: readonly string[]) => channelSettings(db, channels);
  const window = Math.min(need, firstWindow(need));
  const first = await reader.first({
    window,
    entries: newestEntries(db, filter, need),
    entryCount: count ? countEntries(db, filter) : null,
  });
  const broadcasts = await newestBroadcasts(
    { reader, channelSettings: settingsOf },
    // The entries take places in the same page: they end the merge sooner.
    { need, others: first.entries, first: first.rounds, window },
  );
  const page = [...first.entries, ...broadcasts].sort(newestFirst).slice(offset, offset + limit);
  const items = page.length > 0 ? itemsQuery(db, page, isPostgres(db)) : null;
  if (!count) {
    const feeds = feedItems(items ? await items.execute() : [], page, q.box);
    return { feeds, itemcount: offset + feeds.length };
  }
  // The page's rows are read in the count's statement: one statement fewer (see `feed-counts.ts`).
  const counted = await countBroadcasts(
    db,
    isPostgres(db),
    {
      periods: first.periods.map((period) => ({ period, upper: periodUpper(period.to_ts, cursor) })),
      showHidden,
      nowSec,
      channelSettings: settingsOf,
    },
    items,
  );
  return { feeds: feedItems(counted.rows, page, q.box), itemcount: (first.entryCount ?? 0) + counted.count };
}

/** A page of entries only (the spam box): the page, its payloads and the count in one statement. */
async function entriesPage(
  db: Executor,
  f: EntryFilter,
  p: { offset: number; limit: number; count: boolean },
): Promise<UserFeedPage> {
  const rows = await entriesQuery(db, f)
    .modifyFront(sql.raw(PREPARED))
    .select(['n.id', 'n.sender', 'n.source', 'n.ts', 'n.etime', 'n.payload', 'n.type'])
    .$if(p.count, (qb) => qb.select(countEntries(db, f).as('total')))
    .orderBy('fe.ts', 'desc')
    .orderBy('fe.notification_id', 'desc')
    .limit(limitOf(p.limit))
    .offset(p.offset)
    .execute();
  const feeds = rows.filter((r) => r.payload).map((r) => feedItemOf({ ...r, id: Number(r.id) }, f.box));
  if (!p.count) return { feeds, itemcount: p.offset + feeds.length };
  const total = rows[0] ? (rows[0] as { total?: number | string }).total : undefined;
  // Past the last page no row carries the count.
  const itemcount = total ?? (await countEntries(db, f).executeTakeFirst())?.c ?? 0;
  return { feeds, itemcount: Number(itemcount) };
}

async function channelSettings(db: Executor, channels: readonly string[]) {
  const rows = await db
    .selectFrom('channels')
    .select(['channel', 'settings_raw', 'settings_description'])
    .where('channel', 'in', channels)
    .execute();
  return new Map(rows.map((r) => [r.channel, channelSettingsOf(r.settings_raw, r.settings_description)]));
}

/** The rows a page lists, by id. */
const itemsQuery = (db: Executor, page: readonly FeedKey[], pg: boolean) =>
  db
    .selectFrom('notifications')
    .select(['id', 'sender', 'source', 'ts', 'etime', 'payload', 'type'])
    .$if(!pg, (qb) =>
      qb.where(
        'id',
        'in',
        page.map((c) => c.id),
      ),
    )
    // One statement text whatever the page size: it runs prepared inside the count's statement (pg-prepared.ts).
    .$if(pg, (qb) => qb.where(sql<boolean>`id = any(${page.map((c) => c.id)}::bigint[])`));

type ItemRow = Awaited<ReturnType<ReturnType<typeof itemsQuery>['execute']>>[number];

/** The page's items in its order (rows without content, which no feed lists, are left out). */
function feedItems(rows: readonly ItemRow[], page: readonly FeedKey[], box: 'inbox' | 'spam'): FeedItem[] {
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  const out: FeedItem[] = [];
  for (const c of page) {
    const r = byId.get(c.id);
    if (r?.payload) out.push(feedItemOf({ ...r, id: Number(r.id) }, box));
  }
  return out;
}

export interface ChannelNotificationsQuery {
  /** Any account form of the core channel. */
  channel: string;
  page?: number;
  limit?: number;
  /** 1 broadcast, 3 targeted, 4 subset. */
  type?: number;
  /** ms; for expiry. Default Date.now(). */
  now?: number;
}

/** A notification as `GET /v2/channels/:c/notifications` lists it (SDK contract §2.11). */
export interface ChannelNotification {
  timestamp: string;
  from: string;
  to: string[];
  notifID: number;
  channel: { name: string; icon: string; url: string };
  meta: { type: 'NOTIFICATION.BROADCAST' | 'NOTIFICATION.TARGET' | 'NOTIFICATION.SUBSET' };
  message: {
    notification: { title: string; body: string };
    payload: { title: string; body: string; cta: string; embed: string; meta: unknown };
  };
  config: { expiry: number | null; silent: boolean; hidden: boolean };
  source: string;
  raw: { verificationProof: string };
}

/** As the original route answers (SDK contract §2.11); `TARGETTED` is PushStream's spelling, not this route's. */
const META_TYPE = {
  1: 'NOTIFICATION.BROADCAST',
  3: 'NOTIFICATION.TARGET',
  4: 'NOTIFICATION.SUBSET',
} as const;

/** A channel's admitted notifications, newest first, with the total; expired ones (etime past) are left out. */
export async function listChannelNotifications(
  kdb: Kysely<DB>,
  q: ChannelNotificationsQuery,
): Promise<{ notifications: ChannelNotification[]; total: number }> {
  const db = kdb;
  const channel = address(q.channel, 'channel');
  const { limit, offset } = clampPage(q.page, q.limit);
  const nowSec = Math.floor((q.now ?? Date.now()) / 1000);
  const base = db
    .selectFrom('notifications')
    .where('channel', '=', channel)
    .where('status', '=', 'admitted')
    .where((eb) => eb.or([eb('etime', 'is', null), eb('etime', '>', nowSec)]))
    .$if(q.type !== undefined, (qb) => qb.where('type', '=', q.type as number));
  const rows = await base
    .select(['id', 'sender', 'source', 'ts', 'etime', 'payload', 'type', 'recipients'])
    .orderBy('ts', 'desc')
    .orderBy('id', 'desc')
    .limit(limitOf(limit))
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
