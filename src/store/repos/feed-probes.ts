/**
 * The broadcast half of a feed page, as probes: for one subscription period of the reader, that channel's newest
 * admitted broadcasts inside the period and below an exclusive (ts, id) bound, at most `window` of them. A probe is
 * one seek into `notifications_broadcast_feed` (migration 003) and an index-only walk of a few entries.
 *
 * The two stores get different statements for the same probes:
 * - Postgres: a statement costs more than a probe (measured on the feeds bench: ~0.3 ms of client CPU, most of it
 *   the socket write, and ~0.2 ms of server parse and plan), so the first read is one statement: the reader's periods,
 *   the first round of probes over them (LATERAL over `subscription_periods`), the newest feed entries and, for an
 *   itemcount, the entries' count. Later rounds pass their probes as arrays to one LATERAL statement; no statement
 *   grows with the number of channels.
 * - SQLite: no LATERAL, but queries are in-process calls: the periods are read first, then one UNION ALL of one
 *   branch per probe, padded to a power of two so a handful of statement texts cover every reader (statements are
 *   cached by text in `database.ts`; preparing a 64-branch statement costs as much as running it). Its LIMIT is
 *   `? + 0`, not `?`: SQLite (3.53) plans with the value bound to a bare LIMIT parameter and so re-prepares the
 *   statement at every execution — that was 2.5 ms of a 3 ms round. Likewise `channel = ? || ''` and `ts >= ? + 0`:
 *   once ANALYZE has sampled the index (sqlite_stat4), a bare parameter compared with an indexed column makes
 *   SQLite re-plan with its value at every execution, which tripled the round's cost.
 */
import { CompiledQuery, type Expression, type Kysely, PostgresAdapter, type RawBuilder, sql } from 'kysely';
import { PREPARED } from '../pg-prepared.js';
import type { DB } from '../schema.js';

/** A position in a feed: newest first is (ts desc, id desc). */
export interface FeedKey {
  ts: number;
  id: number;
}

export interface Period {
  channel: string;
  from_ts: number;
  to_ts: number;
  settings_raw: string | null;
}

export interface Probe {
  channel: string;
  /** Inclusive lower bound on ts (the period's start). */
  fromTs: number;
  /** Exclusive upper bound: only rows with (ts, id) < (upper.ts, upper.id). */
  upper: FeedKey;
  window: number;
}

export interface ProbeRow {
  id: number;
  ts: number;
  idx: string | null;
}

/** What every probe of one feed read shares. */
export interface ProbeScope {
  user: string;
  /** Only this channel's periods. */
  channel: string | null;
  /** Exclusive bound of the whole feed (`before`). */
  cursor: FeedKey | null;
  showHidden: boolean;
  /** Unix seconds: rows whose etime has passed are left out. */
  nowSec: number;
}

/** A query of the caller's, to run inside a larger statement where the store allows it (Postgres), else on its own. */
export type Rows<R> = Expression<R> & { execute(): Promise<R[]> };

export interface FirstQuery {
  /** Rows read per period. */
  window: number;
  /** The reader's newest feed entries, as (id, ts). */
  entries: Rows<{ id: number; ts: number }>;
  /** How many entries the feed lists, when an itemcount is asked for. */
  entryCount: Rows<{ c: number | string }> | null;
}

export interface FirstRead {
  /** Every period of the reader (a count needs them all). */
  periods: Period[];
  /** The periods with their newest `window` rows, newest first (periods without rows may be left out). */
  rounds: { period: Period; rows: ProbeRow[] }[];
  entries: FeedKey[];
  entryCount: number | null;
}

export interface BroadcastReader {
  first(q: FirstQuery): Promise<FirstRead>;
  /** Each probe's rows, newest first, in probe order. */
  nextRound(probes: readonly Probe[]): Promise<ProbeRow[][]>;
}

export function isPostgres(db: Kysely<DB>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

const byNewest = (a: FeedKey, b: FeedKey) => (b.ts !== a.ts ? b.ts - a.ts : b.id - a.id);

/** The tighter of a period's end and the feed's cursor. A period ends before `to_ts` on ts alone; ids start at 1. */
export function periodUpper(toTs: number, cursor: FeedKey | null): FeedKey {
  const end = { ts: toTs, id: 0 };
  return cursor && byNewest(end, cursor) < 0 ? cursor : end;
}

// Literal `type = 1 AND status = 'admitted'`: the partial index is only usable when the query repeats its predicate.
const BROADCAST = `n.type = 1 AND n.status = 'admitted'`;

function visible(showHidden: boolean, now: string): string {
  return `${showHidden ? '' : 'n.hidden = 0 AND '}(n.etime IS NULL OR n.etime > ${now})`;
}

type Row = { id: number; ts: number; idx: string | null };
const probeRow = (r: Row): ProbeRow => ({ id: Number(r.id), ts: Number(r.ts), idx: r.idx });

/** The reader's subscription periods (of one channel if the scope says so). */
async function readPeriods(db: Kysely<DB>, scope: ProbeScope): Promise<Period[]> {
  const rows = await db
    .selectFrom('subscription_periods')
    .select(['channel', 'from_ts', 'to_ts', 'settings_raw'])
    .where('subscriber', '=', scope.user)
    .$if(scope.channel !== null, (qb) => qb.where('channel', '=', scope.channel as string))
    .execute();
  return rows.map((p) => ({ ...p, from_ts: Number(p.from_ts), to_ts: Number(p.to_ts) }));
}

// ---- SQLite ----

const SQLITE_MAX_BRANCHES = 64;
const sqliteTexts = new Map<string, string>();

function padded(n: number): number {
  let size = 1;
  while (size < n) size *= 2;
  return size;
}

function sqliteText(branches: number, showHidden: boolean): string {
  const key = `${branches}:${showHidden}`;
  let text = sqliteTexts.get(key);
  if (text === undefined) {
    // Parameters: pi, channel, fromTs, upper.ts, upper.ts, upper.id, now, window.
    const rows = `SELECT * FROM (SELECT ? AS pi, n.id AS id, n.ts AS ts, n.idx AS idx
      FROM notifications n INDEXED BY notifications_broadcast_feed
      WHERE n.channel = ? || '' AND ${BROADCAST} AND n.ts >= ? + 0 AND n.ts <= ? + 0 AND (n.ts < ? OR n.id < ?)
        AND ${visible(showHidden, '?')} ORDER BY n.ts DESC, n.id DESC LIMIT ? + 0)`;
    text = Array.from({ length: branches }, () => rows).join(' UNION ALL ');
    sqliteTexts.set(key, text);
  }
  return text;
}

function sqliteParams(probes: readonly Probe[], size: number, nowSec: number): unknown[] {
  const params: unknown[] = [];
  for (let i = 0; i < size; i++) {
    // Padding branches match nothing (no channel is '') and ask for nothing.
    const p = probes[i] ?? { channel: '', fromTs: 0, upper: { ts: 0, id: 0 }, window: 0 };
    params.push(i, p.channel, p.fromTs, p.upper.ts, p.upper.ts, p.upper.id, nowSec, p.window);
  }
  return params;
}

async function sqliteProbes(db: Kysely<DB>, probes: readonly Probe[], scope: ProbeScope) {
  const out: ProbeRow[][] = probes.map(() => []);
  for (let at = 0; at < probes.length; at += SQLITE_MAX_BRANCHES) {
    const chunk = probes.slice(at, at + SQLITE_MAX_BRANCHES);
    const size = padded(chunk.length);
    const res = await db.executeQuery<Row & { pi: number }>(
      CompiledQuery.raw(sqliteText(size, scope.showHidden), sqliteParams(chunk, size, scope.nowSec)),
    );
    for (const r of res.rows) out[at + Number(r.pi)]?.push(probeRow(r));
  }
  // A UNION ALL's order is not promised.
  for (const rows of out) rows.sort(byNewest);
  return out;
}

function sqliteReader(db: Kysely<DB>, scope: ProbeScope): BroadcastReader {
  return {
    async first(q) {
      // In-process calls: one after the other costs no round trips.
      const entries = (await q.entries.execute()).map((e) => ({ id: Number(e.id), ts: Number(e.ts) }));
      const entryCount = q.entryCount ? Number((await q.entryCount.execute())[0]?.c ?? 0) : null;
      const periods = await readPeriods(db, scope);
      const ps = periods.filter((p) => p.from_ts < p.to_ts);
      const probes = ps.map((p) => ({
        channel: p.channel,
        fromTs: p.from_ts,
        upper: periodUpper(p.to_ts, scope.cursor),
        window: q.window,
      }));
      const rows = await sqliteProbes(db, probes, scope);
      return {
        periods,
        rounds: ps.map((period, i) => ({ period, rows: rows[i] ?? [] })),
        entries,
        entryCount,
      };
    },
    nextRound: (probes) => sqliteProbes(db, probes, scope),
  };
}

// ---- Postgres ----

/** Conditions of a probe whose period is `p` (from_ts, upper_ts, upper_id); `now` is a parameter. */
const pgProbeWhere = (showHidden: boolean, now: string) =>
  `n.channel = p.channel AND ${BROADCAST} AND n.ts >= p.from_ts
    AND (n.ts, n.id) < (p.upper_ts, p.upper_id) AND ${visible(showHidden, now)}`;

const pgNewest = 'ORDER BY n.ts DESC, n.id DESC';

/**
 * The first read as one JSON document: `p` the periods [channel, from_ts, to_ts, settings_raw, [[id, ts, idx]…]],
 * `e` the entries [[id, ts]…], `c` their count. One row instead of one per probe row: the driver's per-row and
 * per-field work was most of the client's cost of a page (~0.5 ms for 200 rows, ~0.25 ms as one document, which
 * JSON.parse reads natively). Every number is below 2^53.
 */
interface PgFirstDoc {
  p: [string, number, number, string | null, [number, number, string | null][] | null][] | null;
  e: [number, number][] | null;
  c: number | null;
}

/**
 * Each period gets its bound (`periodUpper` in SQL; no cursor: a ts past every period end) and its newest `window`
 * rows; periods without rows are listed too, for the count.
 */
function pgFirst(scope: ProbeScope, q: FirstQuery): RawBuilder<{ doc: PgFirstDoc }> {
  const cursorTs = scope.cursor?.ts ?? Number.MAX_SAFE_INTEGER;
  const cursorId = scope.cursor?.id ?? 0;
  const channel = scope.channel === null ? sql`` : sql`AND sp.channel = ${scope.channel}`;
  const count = q.entryCount ? sql`(${q.entryCount})` : sql`NULL`;
  return sql<{
    doc: PgFirstDoc;
  }>`${sql.raw(PREPARED)}WITH p AS (SELECT sp.channel, sp.from_ts, sp.to_ts, sp.settings_raw,
      LEAST(sp.to_ts, ${cursorTs}::bigint) AS upper_ts,
      CASE WHEN sp.to_ts <= ${cursorTs}::bigint THEN 0 ELSE ${cursorId}::bigint END AS upper_id
    FROM subscription_periods sp WHERE sp.subscriber = ${scope.user} ${channel})
  SELECT json_build_object(
    'p', (SELECT json_agg(json_build_array(p.channel, p.from_ts, p.to_ts, p.settings_raw,
      (SELECT json_agg(json_build_array(b.id, b.ts, b.idx)) FROM (SELECT n.id, n.ts, n.idx FROM notifications n
        WHERE n.channel = p.channel AND ${sql.raw(BROADCAST)} AND n.ts >= p.from_ts
          AND (n.ts, n.id) < (p.upper_ts, p.upper_id)
          AND ${sql.raw(scope.showHidden ? '' : 'n.hidden = 0 AND ')}(n.etime IS NULL OR n.etime > ${scope.nowSec})
        ${sql.raw(pgNewest)} LIMIT ${q.window}) b))) FROM p),
    'e', (SELECT json_agg(json_build_array(e.id, e.ts)) FROM (${q.entries}) e),
    'c', ${count}) AS doc`;
}

const pgNextText = (showHidden: boolean) => `${PREPARED}SELECT p.pi - 1 AS pi, b.id, b.ts, b.idx
  FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $6::integer[])
    WITH ORDINALITY AS p(channel, from_ts, upper_ts, upper_id, win, pi)
  CROSS JOIN LATERAL (SELECT n.id, n.ts, n.idx FROM notifications n WHERE ${pgProbeWhere(showHidden, '$5')}
    ${pgNewest} LIMIT p.win) b`;

function postgresReader(db: Kysely<DB>, scope: ProbeScope): BroadcastReader {
  return {
    async first(q) {
      const doc = (await pgFirst(scope, q).execute(db)).rows[0]?.doc;
      const periods: Period[] = [];
      const rounds: FirstRead['rounds'] = [];
      for (const [channel, from_ts, to_ts, settings_raw, rows] of doc?.p ?? []) {
        const period = { channel, from_ts, to_ts, settings_raw };
        periods.push(period);
        if (from_ts >= to_ts) continue;
        // A subquery's ORDER BY does not promise the aggregate's order.
        const probeRows = (rows ?? []).map(([id, ts, idx]) => ({ id, ts, idx })).sort(byNewest);
        rounds.push({ period, rows: probeRows });
      }
      const entries = (doc?.e ?? []).map(([id, ts]) => ({ id, ts })).sort(byNewest);
      return { periods, rounds, entries, entryCount: doc?.c ?? null };
    },
    async nextRound(probes) {
      const out: ProbeRow[][] = probes.map(() => []);
      if (probes.length === 0) return out;
      const res = await db.executeQuery<Row & { pi: number }>(
        CompiledQuery.raw(pgNextText(scope.showHidden), [
          probes.map((p) => p.channel),
          probes.map((p) => p.fromTs),
          probes.map((p) => p.upper.ts),
          probes.map((p) => p.upper.id),
          scope.nowSec,
          probes.map((p) => p.window),
        ]),
      );
      for (const r of res.rows) out[Number(r.pi)]?.push(probeRow(r));
      for (const rows of out) rows.sort(byNewest);
      return out;
    },
  };
}

/** The probes of one feed read, in the statements that suit the store. */
export function broadcastReader(db: Kysely<DB>, scope: ProbeScope): BroadcastReader {
  return isPostgres(db) ? postgresReader(db, scope) : sqliteReader(db, scope);
}
