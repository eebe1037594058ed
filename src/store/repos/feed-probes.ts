/**
 * The broadcast half of a feed page, as probes: for one subscription period of the reader, that channel's newest
 * admitted broadcasts inside the period and below an exclusive (ts, id) bound, at most `window` of them. A probe is
 * one seek into `notifications_broadcast_feed` (migration 003) and an index-only walk of a few entries.
 *
 * The two stores get different statements for the same probes:
 * - Postgres: a round trip costs more than a probe, so the first round reads the reader's periods and probes them
 *   in one statement (LATERAL over `subscription_periods`), and later rounds pass their probes as arrays to one
 *   LATERAL statement; neither statement grows with the number of channels.
 * - SQLite: no LATERAL, but queries are in-process calls: the periods are read first, then one UNION ALL of one
 *   branch per probe, padded to a power of two so a handful of statement texts cover every reader (statements are
 *   cached by text in `database.ts`; preparing a 64-branch statement costs as much as running it). Its LIMIT is
 *   `? + 0`, not `?`: SQLite (3.53) plans with the value bound to a bare LIMIT parameter and so re-prepares the
 *   statement at every execution — that was 2.5 ms of a 3 ms round. Likewise `channel = ? || ''` and `ts >= ? + 0`:
 *   once ANALYZE has sampled the index (sqlite_stat4), a bare parameter compared with an indexed column makes
 *   SQLite re-plan with its value at every execution, which tripled the round's cost.
 */
import { CompiledQuery, type Kysely, PostgresAdapter } from 'kysely';
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

export interface BroadcastReader {
  /** Every period of the reader with its newest `window` rows, newest first (periods without rows may be left out). */
  firstRound(window: number): Promise<{ period: Period; rows: ProbeRow[] }[]>;
  /** Each probe's rows, newest first, in probe order. */
  nextRound(probes: readonly Probe[]): Promise<ProbeRow[][]>;
  /** How many broadcasts all periods hold (before the settings filter). */
  count(): Promise<number>;
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

/**
 * Not listed: hidden (unless shown) or expired; `UNLISTED` is the predicate of their partial index (migration 003).
 * Such rows are rare: a count takes a plain range of the feed index, which reads no column (2-3x cheaper on
 * SQLite), and subtracts these.
 */
const UNLISTED = '(n.hidden <> 0 OR n.etime IS NOT NULL)';
const unlisted = (showHidden: boolean, now: string) =>
  `${showHidden ? '' : 'n.hidden <> 0 OR '}(n.etime IS NOT NULL AND n.etime <= ${now})`;

type Row = { id: number; ts: number; idx: string | null };
const probeRow = (r: Row): ProbeRow => ({ id: Number(r.id), ts: Number(r.ts), idx: r.idx });

// ---- SQLite ----

const SQLITE_MAX_BRANCHES = 64;
const sqliteTexts = new Map<string, string>();

function padded(n: number): number {
  let size = 1;
  while (size < n) size *= 2;
  return size;
}

function sqliteText(kind: 'rows' | 'count', branches: number, showHidden: boolean): string {
  const key = `${kind}:${branches}:${showHidden}`;
  let text = sqliteTexts.get(key);
  if (text === undefined) {
    const feed = 'FROM notifications n INDEXED BY notifications_broadcast_feed';
    const channel = `n.channel = ? || '' AND ${BROADCAST}`;
    const below = 'n.ts >= ? + 0 AND n.ts <= ? + 0 AND (n.ts < ? OR n.id < ?)';
    // Parameters: pi, channel, fromTs, upper.ts, upper.ts, upper.id, now, window.
    const rows = `SELECT * FROM (SELECT ? AS pi, n.id AS id, n.ts AS ts, n.idx AS idx ${feed}
      WHERE ${channel} AND ${below} AND ${visible(showHidden, '?')} ORDER BY n.ts DESC, n.id DESC LIMIT ? + 0)`;
    // The range [fromTs, upper.ts), plus the rows at upper.ts below upper.id (if the period has begun by then),
    // minus the unlisted ones of both.
    const count = `SELECT (SELECT COUNT(*) ${feed} WHERE ${channel} AND n.ts >= ? + 0 AND n.ts < ? + 0)
      + (SELECT COUNT(*) ${feed} WHERE ${channel} AND n.ts >= ? + 0 AND n.ts = ? + 0 AND n.id < ? + 0)
      - (SELECT COUNT(*) FROM notifications n INDEXED BY notifications_broadcast_unlisted
          WHERE ${channel} AND ${UNLISTED} AND ${below} AND (${unlisted(showHidden, '?')})) AS c`;
    text = Array.from({ length: branches }, () => (kind === 'rows' ? rows : count)).join(' UNION ALL ');
    sqliteTexts.set(key, text);
  }
  return text;
}

function sqliteParams(
  kind: 'rows' | 'count',
  probes: readonly Probe[],
  size: number,
  nowSec: number,
): unknown[] {
  const params: unknown[] = [];
  for (let i = 0; i < size; i++) {
    // Padding branches match nothing (no channel is '') and ask for nothing.
    const p = probes[i] ?? { channel: '', fromTs: 0, upper: { ts: 0, id: 0 }, window: 0 };
    const { channel, fromTs, upper } = p;
    if (kind === 'rows') params.push(i, channel, fromTs, upper.ts, upper.ts, upper.id, nowSec, p.window);
    else {
      const [ts, id] = [upper.ts, upper.id];
      params.push(channel, fromTs, ts, channel, fromTs, ts, id, channel, fromTs, ts, ts, id, nowSec);
    }
  }
  return params;
}

async function sqliteChunks<R>(
  db: Kysely<DB>,
  kind: 'rows' | 'count',
  probes: readonly Probe[],
  scope: ProbeScope,
  each: (rows: readonly R[], offset: number) => void,
): Promise<void> {
  for (let at = 0; at < probes.length; at += SQLITE_MAX_BRANCHES) {
    const chunk = probes.slice(at, at + SQLITE_MAX_BRANCHES);
    const size = padded(chunk.length);
    const res = await db.executeQuery<R>(
      CompiledQuery.raw(
        sqliteText(kind, size, scope.showHidden),
        sqliteParams(kind, chunk, size, scope.nowSec),
      ),
    );
    each(res.rows, at);
  }
}

async function sqliteProbes(db: Kysely<DB>, probes: readonly Probe[], scope: ProbeScope) {
  const out: ProbeRow[][] = probes.map(() => []);
  await sqliteChunks<Row & { pi: number }>(db, 'rows', probes, scope, (rows, at) => {
    for (const r of rows) out[at + Number(r.pi)]?.push(probeRow(r));
  });
  // A UNION ALL's order is not promised.
  for (const rows of out) rows.sort(byNewest);
  return out;
}

function sqliteReader(db: Kysely<DB>, scope: ProbeScope): BroadcastReader {
  let periods: Promise<Period[]> | undefined;
  const periodsOnce = () => {
    periods ??= db
      .selectFrom('subscription_periods')
      .select(['channel', 'from_ts', 'to_ts', 'settings_raw'])
      .where('subscriber', '=', scope.user)
      .$if(scope.channel !== null, (qb) => qb.where('channel', '=', scope.channel as string))
      .execute()
      .then((rows) => rows.map((p) => ({ ...p, from_ts: Number(p.from_ts), to_ts: Number(p.to_ts) })));
    return periods;
  };
  const probesOf = (ps: readonly Period[], window: number): Probe[] =>
    ps.map((p) => ({
      channel: p.channel,
      fromTs: p.from_ts,
      upper: periodUpper(p.to_ts, scope.cursor),
      window,
    }));
  return {
    async firstRound(window) {
      const ps = (await periodsOnce()).filter((p) => p.from_ts < p.to_ts);
      const rows = await sqliteProbes(db, probesOf(ps, window), scope);
      return ps.map((period, i) => ({ period, rows: rows[i] ?? [] }));
    },
    nextRound: (probes) => sqliteProbes(db, probes, scope),
    async count() {
      let total = 0;
      await sqliteChunks<{ c: number }>(db, 'count', probesOf(await periodsOnce(), 0), scope, (rows) => {
        for (const r of rows) total += Number(r.c);
      });
      return total;
    },
  };
}

// ---- Postgres ----

/** Conditions of a probe whose period is `p` (from_ts, upper_ts, upper_id); `now` is a parameter. */
const pgProbeWhere = (showHidden: boolean, now: string) =>
  `n.channel = p.channel AND ${BROADCAST} AND n.ts >= p.from_ts
    AND (n.ts, n.id) < (p.upper_ts, p.upper_id) AND ${visible(showHidden, now)}`;

const pgNewest = 'ORDER BY n.ts DESC, n.id DESC';

/**
 * The reader's periods with each one's bound: `periodUpper` in SQL. $1 user, $2 cursor ts, $3 cursor id
 * (no cursor: a ts past every period end), then $5 the channel if any.
 */
const pgPeriods = (channel: boolean) => `(SELECT sp.channel, sp.from_ts, sp.to_ts, sp.settings_raw,
    LEAST(sp.to_ts, $2::bigint) AS upper_ts, CASE WHEN sp.to_ts <= $2::bigint THEN 0 ELSE $3::bigint END AS upper_id
  FROM subscription_periods sp WHERE sp.subscriber = $1${channel ? ' AND sp.channel = $5' : ''}) p`;

const pgFirstText = (showHidden: boolean, channel: boolean) =>
  `SELECT p.channel, p.from_ts, p.to_ts, p.settings_raw, b.id, b.ts, b.idx FROM ${pgPeriods(channel)}
  CROSS JOIN LATERAL (SELECT n.id, n.ts, n.idx FROM notifications n WHERE ${pgProbeWhere(showHidden, '$4')}
    ${pgNewest} LIMIT $${channel ? 6 : 5}) b`;

const pgCountText = (showHidden: boolean, channel: boolean) => {
  const below = `n.channel = p.channel AND ${BROADCAST} AND n.ts >= p.from_ts AND (n.ts, n.id) < (p.upper_ts, p.upper_id)`;
  return `SELECT COALESCE(SUM(b.c), 0) AS c FROM ${pgPeriods(channel)}
  CROSS JOIN LATERAL (SELECT (SELECT COUNT(*) FROM notifications n WHERE ${below})
    - (SELECT COUNT(*) FROM notifications n WHERE ${below} AND ${UNLISTED} AND (${unlisted(showHidden, '$4')})) AS c) b`;
};

const pgNextText = (showHidden: boolean) => `SELECT p.pi - 1 AS pi, b.id, b.ts, b.idx
  FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $6::integer[])
    WITH ORDINALITY AS p(channel, from_ts, upper_ts, upper_id, win, pi)
  CROSS JOIN LATERAL (SELECT n.id, n.ts, n.idx FROM notifications n WHERE ${pgProbeWhere(showHidden, '$5')}
    ${pgNewest} LIMIT p.win) b`;

function postgresReader(db: Kysely<DB>, scope: ProbeScope): BroadcastReader {
  const hasChannel = scope.channel !== null;
  const scoped = (): unknown[] => [
    scope.user,
    scope.cursor?.ts ?? Number.MAX_SAFE_INTEGER,
    scope.cursor?.id ?? 0,
    scope.nowSec,
    ...(hasChannel ? [scope.channel] : []),
  ];
  return {
    async firstRound(window) {
      type First = Row & Period;
      const res = await db.executeQuery<First>(
        CompiledQuery.raw(pgFirstText(scope.showHidden, hasChannel), [...scoped(), window]),
      );
      const byPeriod = new Map<string, { period: Period; rows: ProbeRow[] }>();
      for (const r of res.rows) {
        const key = `${r.channel}\u0000${r.from_ts}`;
        let entry = byPeriod.get(key);
        if (!entry) {
          const period = {
            channel: r.channel,
            from_ts: Number(r.from_ts),
            to_ts: Number(r.to_ts),
            settings_raw: r.settings_raw,
          };
          entry = { period, rows: [] };
          byPeriod.set(key, entry);
        }
        entry.rows.push(probeRow(r));
      }
      const out = [...byPeriod.values()];
      // A LATERAL subquery's ORDER BY does not order the outer result.
      for (const e of out) e.rows.sort(byNewest);
      return out;
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
    async count() {
      const res = await db.executeQuery<{ c: number | string }>(
        CompiledQuery.raw(pgCountText(scope.showHidden, hasChannel), scoped()),
      );
      return Number(res.rows[0]?.c ?? 0);
    },
  };
}

/** The probes of one feed read, in the statements that suit the store. */
export function broadcastReader(db: Kysely<DB>, scope: ProbeScope): BroadcastReader {
  return isPostgres(db) ? postgresReader(db, scope) : sqliteReader(db, scope);
}
