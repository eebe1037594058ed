/**
 * What a reader missed since a notification id: the resume backlog of a live socket (`?lastId=`).
 *
 * Ids grow with admission order (the moment an item becomes visible), send times (ts) do not: an on-chain
 * notification carries its block time, an `eip155:` payload its receipt's block time. So "missed since lastId" is read
 * by id, never by ts: the items the reader's feeds list (inbox and spam, the rules of `listUserFeed`, hidden ones
 * included, expired ones out) whose notification id is above lastId.
 *
 * - Entries (targeted, subset): the reader's `feed_entries` rows with notification_id > lastId, newest first — a range
 *   of the table's primary key (recipient, notification_id).
 * - Broadcasts: there is no per-reader row to range over, so the notifications with id > lastId are scanned by id
 *   (primary key) and kept when they are admitted broadcasts of a channel the reader has a subscription period with,
 *   sent inside that period, and pass the settings filter as the feed applies it. The scan is bounded (`scanIds`): a
 *   reader with subscriptions further behind than that gets the newest part, with `truncated`.
 *
 * Both parts stop at the newest id when the read starts: anything admitted later reaches a connected socket live.
 */
import { type Kysely, sql } from 'kysely';
import { parseEip155 } from '../../protocol/index.js';
import type { DB } from '../schema.js';
import { channelSettingsOf, type FeedItem, feedItemOf, reachesSubscriber } from './feed-item.js';
import { isPostgres } from './feed-probes.js';

export interface MissedFeedQuery {
  /** Any account form (`0x…`, `eip155:0x…`, `eip155:<chain>:0x…`). */
  user: string;
  /** The last notification id the reader saw (|payload_id|: a subset's spam copy carries it negated). */
  lastId: number;
  /** At most this many items (the newest). */
  limit: number;
  /** ms; for expiry. Default Date.now(). */
  now?: number;
  /** At most this many ids are scanned for broadcasts (default `MISSED_SCAN_IDS`). */
  scanIds?: number;
}

export interface MissedFeedItem {
  box: 'inbox' | 'spam';
  item: FeedItem;
}

export interface MissedFeed {
  /** Oldest first (by id): the newest `limit` items the reader missed. */
  items: MissedFeedItem[];
  /** Older missed items may exist that `items` leaves out: more than `limit`, or past the broadcast scan. */
  truncated: boolean;
}

/**
 * Ids scanned for broadcasts, at most: a primary-key range whose rows are read (the broadcast index is ordered by
 * channel and ts, not id). Measured bound on cost, not on what a reader may have missed: further behind, the reader
 * pages the REST feed.
 */
export const MISSED_SCAN_IDS = 50_000;

interface Candidate {
  id: number;
  box: 'inbox' | 'spam';
}

/** The reader's missed items, newest `limit`, oldest first. */
export async function listMissedFeed(db: Kysely<DB>, q: MissedFeedQuery): Promise<MissedFeed> {
  const user = parseEip155(q.user, 'user').address;
  const lastId = Math.max(0, Math.trunc(Math.abs(q.lastId)));
  const limit = Math.max(0, Math.trunc(q.limit));
  const nowSec = Math.floor((q.now ?? Date.now()) / 1000);
  const scanIds = Math.max(1, Math.trunc(q.scanIds ?? MISSED_SCAN_IDS));
  const pg = isPostgres(db);

  const topRow = await db
    .selectFrom('notifications')
    .select((eb) => eb.fn.max('id').as('top'))
    .executeTakeFirst();
  const top = Number(topRow?.top ?? 0);
  // A lastId above every id this store holds (a wiped store, another node's ids) cannot be resumed from: the reader
  // is told so (`truncated`) and pages the REST feed, instead of believing it missed nothing.
  if (top <= lastId) return { items: [], truncated: lastId > top };

  const periods = (
    await db
      .selectFrom('subscription_periods')
      .select(['channel', 'from_ts', 'to_ts', 'settings_raw'])
      .where('subscriber', '=', user)
      .execute()
  )
    .map((p) => ({ ...p, from_ts: Number(p.from_ts), to_ts: Number(p.to_ts) }))
    .filter((p) => p.from_ts < p.to_ts);
  // Both parts cover (from, top]; below `from` (a backlog longer than the scan) nothing is sent, so what is sent
  // has no hole: the reader is told `truncated` and pages the REST feed for the rest.
  const from = periods.length > 0 ? Math.max(lastId, top - scanIds) : lastId;

  const entries = await db
    .selectFrom('feed_entries as fe')
    .innerJoin('notifications as n', 'n.id', 'fe.notification_id')
    .select(['fe.notification_id as id', 'fe.box as box'])
    .where('fe.recipient', '=', user)
    .where('fe.notification_id', '>', from)
    .where('fe.notification_id', '<=', top)
    .where('n.payload', 'is not', null)
    .where((eb) => eb.or([eb('n.etime', 'is', null), eb('n.etime', '>', nowSec)]))
    .orderBy('fe.notification_id', 'desc')
    .limit(limit + 1)
    .execute();

  const candidates: Candidate[] = entries.map((e) => ({ id: Number(e.id), box: e.box }));
  if (periods.length > 0) {
    for (const id of await broadcastsSince(db, pg, { periods, from, top, nowSec })) {
      candidates.push({ id, box: 'inbox' });
    }
  }
  candidates.sort((a, b) => b.id - a.id);
  const truncated = from > lastId || candidates.length > limit;
  const chosen = candidates.slice(0, limit).reverse();
  if (chosen.length === 0) return { items: [], truncated };

  const ids = chosen.map((c) => c.id);
  const rows = await db
    .selectFrom('notifications')
    .select(['id', 'sender', 'source', 'ts', 'etime', 'payload', 'type'])
    .$if(!pg, (qb) => qb.where('id', 'in', ids))
    .$if(pg, (qb) => qb.where(sql<boolean>`id = any(${ids}::bigint[])`))
    .execute();
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  const items: MissedFeedItem[] = [];
  for (const c of chosen) {
    const r = byId.get(c.id);
    // Rows without content are listed by no feed (the entries part checked already; a broadcast is admitted with it).
    if (r?.payload) items.push({ box: c.box, item: feedItemOf({ ...r, id: Number(r.id) }, c.box) });
  }
  return { items, truncated };
}

interface BroadcastScan {
  periods: { channel: string; from_ts: number; to_ts: number; settings_raw: string | null }[];
  /** Exclusive. */
  from: number;
  /** Inclusive. */
  top: number;
  nowSec: number;
}

type ScanRow = { id: number | string; channel: string; ts: number | string; idx: string | null };

/** Ids of the broadcasts in (from, top] that the reader's feed lists. */
async function broadcastsSince(db: Kysely<DB>, pg: boolean, s: BroadcastScan): Promise<number[]> {
  const byChannel = new Map<string, BroadcastScan['periods']>();
  for (const p of s.periods) {
    const list = byChannel.get(p.channel);
    if (list) list.push(p);
    else byChannel.set(p.channel, [p]);
  }
  const channels = [...byChannel.keys()];
  // A range of the primary key, whatever the channels: the broadcast index (channel, ts, id) would walk every
  // broadcast those channels ever sent. SQLite is told so (NOT INDEXED still ranges over the rowid); Postgres picks
  // between the two from its statistics, and either read is bounded.
  const table = sql.raw(pg ? 'notifications n' : 'notifications n NOT INDEXED');
  const inChannels = pg
    ? sql`n.channel = any(${channels}::text[])`
    : sql`n.channel IN (${sql.join(channels)})`;
  const rows = await sql<ScanRow>`SELECT n.id, n.channel, n.ts, n.idx FROM ${table}
    WHERE n.id > ${s.from} AND n.id <= ${s.top} AND n.type = 1 AND n.status = 'admitted' AND ${inChannels}
      AND (n.etime IS NULL OR n.etime > ${s.nowSec})`.execute(db);

  const indexed = new Set(rows.rows.filter((r) => r.idx !== null).map((r) => r.channel));
  const settings = new Map<string, ReturnType<typeof channelSettingsOf>>();
  if (indexed.size > 0) {
    const cs = await db
      .selectFrom('channels')
      .select(['channel', 'settings_raw', 'settings_description'])
      .where('channel', 'in', [...indexed])
      .execute();
    for (const c of cs) settings.set(c.channel, channelSettingsOf(c.settings_raw, c.settings_description));
  }
  const out: number[] = [];
  for (const r of rows.rows) {
    const ts = Number(r.ts);
    // Periods of one channel do not overlap: at most one holds the send time.
    const period = byChannel.get(r.channel)?.find((p) => p.from_ts <= ts && ts < p.to_ts);
    if (!period) continue;
    if (r.idx !== null && !reachesSubscriber(settings.get(r.channel) ?? null, period.settings_raw, r.idx))
      continue;
    out.push(Number(r.id));
  }
  return out;
}
