/**
 * The exact number of broadcasts a reader's subscription periods list (the broadcast half of a feed's `itemcount`),
 * without reading each one: a period's "plain" broadcasts (migration 005: not hidden, no expiry, no settings index)
 * are summed from per-channel time buckets, and only the rest — few — are read, grouped by index, so that the
 * settings filter and the hidden/expiry rules apply to them exactly as a page applies them.
 *
 * A period [from_ts, upper) is cut into the fewest bucket ranges (`countParts`): short index ranges of single rows at
 * its two edges (under an hour each), then 2-day buckets, 100-day buckets in the middle. An open period that began
 * before a channel's first broadcast is one range of 100-day buckets: a few rows instead of every broadcast.
 * Broadcasts with ts < 0 are never plain (migration 005): the special rows' query counts them, and only it.
 */
import { CompiledQuery, type Kysely, type RawBuilder, sql } from 'kysely';
import type { ChannelSetting } from '../../protocol/index.js';
import { BROADCAST_COUNT_LEVELS, SPECIAL_BROADCAST } from '../migrations/005-feed-counts.js';
import { PREPARED } from '../pg-prepared.js';
import type { DB } from '../schema.js';
import { reachesSubscriber } from './feed-item.js';
import type { FeedKey, Period, Rows } from './feed-probes.js';

/**
 * One range to sum. `level` -1: the plain broadcasts with ts ≥ lo and (ts, id) < (hi, hiId), read from the feed index;
 * `level` ≥ 0: the buckets [lo, hi) of that level of `broadcast_counts` (hiId 0).
 */
export interface CountPart {
  level: number;
  lo: number;
  hi: number;
  hiId: number;
}

const WIDTHS: readonly number[] = BROADCAST_COUNT_LEVELS;

// For t ≥ 0. By remainder, not by dividing: t / w is rounded once t nears 2^53, and floor() of it can then be wrong.
const floorTo = (t: number, w: number) => t - (t % w);
const ceilTo = (t: number, w: number) => (t % w === 0 ? t : t - (t % w) + w);

/**
 * The parts whose sum counts the plain rows with ts ≥ max(fromTs, 0) and (ts, id) < hi, each row in exactly one
 * part: bucket ranges as wide as possible, single rows only where a range ends inside the finest bucket. Nothing
 * below ts 0: no row there is plain (migration 005), the special rows' query counts them all.
 */
export function countParts(fromTs: number, hi: FeedKey): CountPart[] {
  const out: CountPart[] = [];
  const raw = (lo: number, hiTs: number, hiId: number) => {
    if (lo < hiTs || (lo === hiTs && hiId > 0)) out.push({ level: -1, lo, hi: hiTs, hiId });
  };
  const buckets = (level: number, lo: number, hiTs: number) => {
    const w = WIDTHS[level] as number;
    if (lo < hiTs) out.push({ level, lo: lo / w, hi: hiTs / w, hiId: 0 });
  };
  if (hi.ts < 0) return out;
  const lo = Math.max(fromTs, 0);
  const w0 = WIDTHS[0] as number;
  const a0 = ceilTo(lo, w0);
  const b0 = floorTo(hi.ts, w0);
  if (a0 >= b0) {
    raw(lo, hi.ts, hi.id);
    return out;
  }
  raw(lo, a0, 0);
  raw(b0, hi.ts, hi.id);
  // [l, h) is aligned to the level below k; the parts at that level are the stretches outside level k's buckets.
  let l = a0;
  let h = b0;
  for (let k = 1; k < WIDTHS.length; k++) {
    const w = WIDTHS[k] as number;
    const a = ceilTo(l, w);
    const b = floorTo(h, w);
    if (a >= b) {
      buckets(k - 1, l, h);
      return out;
    }
    buckets(k - 1, l, a);
    buckets(k - 1, b, h);
    l = a;
    h = b;
  }
  buckets(WIDTHS.length - 1, l, h);
  return out;
}

/** What one count covers: the reader's periods, each up to its exclusive upper key. */
export interface CountScope {
  periods: readonly { period: Period; upper: FeedKey }[];
  showHidden: boolean;
  /** Unix seconds: rows whose etime has passed are not counted. */
  nowSec: number;
  /** Parsed settings of these channels (asked only for channels with indexed broadcasts in a period). */
  channelSettings(channels: readonly string[]): Promise<Map<string, ChannelSetting[] | null>>;
}

/** One result row: `pi` null the plain broadcasts of every part; else a period's visible special rows with `idx`. */
interface CountRow {
  pi: number | null;
  idx: string | null;
  c: number | string | null;
}

/** Migration 005's plain rows (the complement of `SPECIAL_BROADCAST`): each broadcast is counted by one query only. */
const PLAIN = `n.type = 1 AND n.status = 'admitted' AND n.hidden = 0 AND n.etime IS NULL AND n.idx IS NULL AND n.ts >= 0`;

const visible = (showHidden: boolean, now: string) =>
  `${showHidden ? '' : 'n.hidden = 0 AND '}(n.etime IS NULL OR n.etime > ${now})`;

/**
 * SQLite: the parts and the periods as JSON arrays (one statement text whatever the number of periods), each row of
 * which drives index seeks. parameters: the parts [pi, channel, level, lo, hi, hiId], the periods [pi, channel, from, hi, hiId],
 * now (in this order).
 */
const sqliteText = (showHidden: boolean) => `WITH
  p AS MATERIALIZED (SELECT value ->> 0 AS pi, value ->> 1 AS channel, value ->> 2 AS level, value ->> 3 AS lo,
    value ->> 4 AS hi, value ->> 5 AS hi_id FROM json_each(?)),
  q AS MATERIALIZED (SELECT value ->> 0 AS pi, value ->> 1 AS channel, value ->> 2 AS lo, value ->> 3 AS hi,
    value ->> 4 AS hi_id FROM json_each(?))
SELECT NULL AS pi, NULL AS idx, COALESCE(SUM(CASE WHEN p.level < 0
  THEN (SELECT COUNT(*) FROM notifications n INDEXED BY notifications_broadcast_feed
    WHERE n.channel = p.channel AND ${PLAIN} AND n.ts >= p.lo AND n.ts <= p.hi AND (n.ts < p.hi OR n.id < p.hi_id))
  ELSE (SELECT COALESCE(SUM(c.n), 0) FROM broadcast_counts c
    WHERE c.channel = p.channel AND c.level = p.level AND c.bucket >= p.lo AND c.bucket < p.hi) END), 0) AS c
FROM p
UNION ALL
SELECT q.pi, n.idx, COUNT(*) FROM q CROSS JOIN notifications n INDEXED BY notifications_broadcast_special
WHERE n.channel = q.channel AND ${SPECIAL_BROADCAST} AND n.ts >= q.lo AND n.ts <= q.hi AND (n.ts < q.hi OR n.id < q.hi_id)
  AND ${visible(showHidden, '?')}
GROUP BY q.pi, n.idx`;

/** Postgres: the same over arrays, one per column of the parts and of the periods. */
const pgCount = (parts: Columns, periods: Columns, showHidden: boolean, nowSec: number) => sql<CountRow>`
SELECT NULL::integer AS pi, NULL::text AS idx, COALESCE(SUM(CASE WHEN p.level < 0
  THEN (SELECT COUNT(*) FROM notifications n
    WHERE n.channel = p.channel AND ${sql.raw(PLAIN)} AND n.ts >= p.lo AND (n.ts, n.id) < (p.hi, p.hi_id))
  ELSE (SELECT COALESCE(SUM(c.n), 0) FROM broadcast_counts c
    WHERE c.channel = p.channel AND c.level = p.level AND c.bucket >= p.lo AND c.bucket < p.hi) END), 0)::bigint AS c
FROM unnest(${parts[0]}::integer[], ${parts[1]}::text[], ${parts[2]}::integer[], ${parts[3]}::bigint[],
  ${parts[4]}::bigint[], ${parts[5]}::bigint[]) AS p (pi, channel, level, lo, hi, hi_id)
UNION ALL
SELECT q.pi, s.idx, s.c
FROM unnest(${periods[0]}::integer[], ${periods[1]}::text[], ${periods[2]}::bigint[], ${periods[3]}::bigint[],
  ${periods[4]}::bigint[]) AS q (pi, channel, lo, hi, hi_id)
CROSS JOIN LATERAL (SELECT n.idx, COUNT(*) AS c FROM notifications n
  WHERE n.channel = q.channel AND ${sql.raw(SPECIAL_BROADCAST)} AND n.ts >= q.lo AND (n.ts, n.id) < (q.hi, q.hi_id)
    AND ${sql.raw(showHidden ? '' : 'n.hidden = 0 AND ')}(n.etime IS NULL OR n.etime > ${nowSec})
  GROUP BY n.idx) s`;

type Columns = (string | number)[][];

/**
 * Postgres: the count and the caller's `alongside` query in one statement (a statement costs more than either: see
 * `feed-probes.ts`), each as a JSON array (rows of `alongside` as objects).
 */
async function pgCountAlongside<R>(db: Kysely<DB>, count: RawBuilder<CountRow>, alongside: Rows<R> | null) {
  const other = alongside ? sql`(SELECT json_agg(a) FROM (${alongside}) a)` : sql`NULL`;
  const res = await sql<{ counts: [number | null, string | null, number][] | null; rows: R[] | null }>`
    ${sql.raw(PREPARED)}SELECT (SELECT json_agg(json_build_array(k.pi, k.idx, k.c)) FROM (${count}) k) AS counts, ${other} AS rows`.execute(
    db,
  );
  const row = res.rows[0];
  return {
    counts: (row?.counts ?? []).map(([pi, idx, c]): CountRow => ({ pi, idx, c })),
    rows: row?.rows ?? [],
  };
}

function isBefore(fromTs: number, hi: FeedKey): boolean {
  return fromTs < hi.ts || (fromTs === hi.ts && hi.id > 0);
}

/**
 * How many broadcasts the periods list: every one counted once, after the hidden, expiry and settings rules.
 * `alongside`: a query of the caller's that runs in the same statement on Postgres (after the count on SQLite); its
 * rows are returned with the count.
 */
export async function countBroadcasts<R>(
  db: Kysely<DB>,
  pg: boolean,
  s: CountScope,
  alongside: Rows<R> | null = null,
): Promise<{ count: number; rows: R[] }> {
  const parts: Columns = [];
  const periods: Columns = [];
  for (const [pi, { period, upper }] of s.periods.entries()) {
    if (!isBefore(period.from_ts, upper)) continue;
    for (const c of countParts(period.from_ts, upper))
      parts.push([pi, period.channel, c.level, c.lo, c.hi, c.hiId]);
    periods.push([pi, period.channel, period.from_ts, upper.ts, upper.id]);
  }
  const columns = (rows: Columns, n: number) =>
    Array.from({ length: n }, (_, i) => rows.map((r) => r[i] as never));
  let counts: CountRow[];
  let rows: R[];
  if (periods.length === 0) {
    counts = [];
    rows = alongside ? await alongside.execute() : [];
  } else if (pg) {
    const count = pgCount(columns(parts, 6), columns(periods, 5), s.showHidden, s.nowSec);
    ({ counts, rows } = await pgCountAlongside(db, count, alongside));
  } else {
    const query = CompiledQuery.raw(sqliteText(s.showHidden), [
      JSON.stringify(parts),
      JSON.stringify(periods),
      s.nowSec,
    ]);
    counts = (await db.executeQuery<CountRow>(query)).rows;
    rows = alongside ? await alongside.execute() : [];
  }
  return { count: await total(counts, s), rows };
}

/** The plain total plus the special rows that the settings let through. */
async function total(counts: readonly CountRow[], s: CountScope): Promise<number> {
  let sum = 0;
  const indexed: CountRow[] = [];
  for (const r of counts) {
    if (r.pi !== null && r.idx !== null) indexed.push(r);
    else sum += Number(r.c ?? 0);
  }
  if (indexed.length === 0) return sum;
  // Indexed rows pass or not by the channel's settings and the period's user settings, as on a page.
  const periodOf = (r: CountRow) => (s.periods[Number(r.pi)] as { period: Period }).period;
  const settings = await s.channelSettings([...new Set(indexed.map((r) => periodOf(r).channel))]);
  for (const r of indexed) {
    const period = periodOf(r);
    if (reachesSubscriber(settings.get(period.channel) ?? null, period.settings_raw, r.idx))
      sum += Number(r.c);
  }
  return sum;
}
