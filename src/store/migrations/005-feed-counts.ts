import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * An exact feed `itemcount` without walking every broadcast of a reader's subscription periods.
 *
 * `broadcast_counts (channel, level, bucket, n)`: how many "plain" broadcasts a channel holds per time bucket, at three
 * widths (`BROADCAST_COUNT_LEVELS`). Plain = what every reader of a period lists without looking at the row: admitted,
 * type 1, not hidden, no expiry, no settings index, ts ≥ 0. The count of a period's plain broadcasts is then the
 * sum of a few bucket ranges plus two short index ranges at its edges (`feed-counts.ts`); the rest ("special": hidden,
 * with an etime or an index) are few and read row by row through `notifications_broadcast_special`.
 *
 * The database maintains the table with triggers, so every writer of `notifications` (admission, bulk inserts, the
 * reorg journal's rollback, the content retries' status changes) keeps it exact without knowing about it. Counts are
 * per bucket, never cumulative: concurrent writers only add to rows (an upsert), whatever order rows arrive in.
 *
 * A released migration never changes; the reader takes the widths from here.
 */

/** Bucket widths in ms, finest first. Each divides the next, and all divide OPEN_PERIOD_END (8.64e15): an open
 * period's end is a bucket boundary at every level, so it costs no edge reads. 1 hour, 2 days, 100 days. */
export const BROADCAST_COUNT_LEVELS = [3_600_000, 172_800_000, 8_640_000_000] as const;

/** A row the buckets count, over `r.` columns. */
const plain = (r: string) =>
  `${r}.type = 1 AND ${r}.status = 'admitted' AND ${r}.hidden = 0 AND ${r}.etime IS NULL AND ${r}.idx IS NULL AND ${r}.ts >= 0`;

/** Broadcasts a feed may list that the buckets do not count (the complement of `plain` among listed types). */
export const SPECIAL_BROADCAST = `n.type = 1 AND n.status = 'admitted' AND (n.hidden <> 0 OR n.etime IS NOT NULL OR n.idx IS NOT NULL OR n.ts < 0)`;

const levels = `(${BROADCAST_COUNT_LEVELS.map((w, i) => `SELECT ${i} AS level, ${w} AS width`).join(' UNION ALL ')}) AS l`;

/** SQLite: one upsert per level, adding `delta` for row `r` (NEW or OLD). */
const sqliteAdd = (r: string, delta: number) =>
  BROADCAST_COUNT_LEVELS.map(
    (
      w,
      i,
    ) => `INSERT INTO broadcast_counts (channel, level, bucket, n) VALUES (${r}.channel, ${i}, ${r}.ts / ${w}, ${delta})
      ON CONFLICT (channel, level, bucket) DO UPDATE SET n = n + excluded.n;`,
  ).join('\n');

/** Postgres: adds the plain rows of `rows` (a transition table or a VALUES list) times `sign`, in key order. */
const pgAdd = (rows: string, sign: number) => `INSERT INTO broadcast_counts AS c (channel, level, bucket, n)
      SELECT r.channel, l.level, r.ts / l.width, ${sign} * COUNT(*) FROM ${rows} CROSS JOIN ${levels}
      WHERE ${plain('r')} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (channel, level, bucket) DO UPDATE SET n = c.n + EXCLUDED.n;`;

/** A trigger's OLD or NEW row as a one-row relation `r` with the columns `plain` reads. */
const rowOf = (r: string) =>
  `(VALUES (${r}.channel, ${r}.ts, ${r}.type, ${r}.status, ${r}.hidden, ${r}.etime, ${r}.idx))
    AS r (channel, ts, type, status, hidden, etime, idx)`;

// Same channel and ts, both plain: the counts do not move.
const moves = (o: string, n: string) =>
  `((${plain(o)}) <> (${plain(n)}) OR ((${plain(n)}) AND (${o}.channel <> ${n}.channel OR ${o}.ts <> ${n}.ts)))`;

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const pg = ctx.dialect === 'postgres';
  await sql
    .raw(
      `CREATE TABLE broadcast_counts (channel text NOT NULL, level integer NOT NULL, bucket ${pg ? 'bigint' : 'integer'} NOT NULL,
      n ${pg ? 'bigint' : 'integer'} NOT NULL, PRIMARY KEY (channel, level, bucket))${pg ? '' : ' WITHOUT ROWID'}`,
    )
    .execute(db);
  await sql
    .raw(
      `INSERT INTO broadcast_counts (channel, level, bucket, n)
      SELECT r.channel, l.level, r.ts / l.width, COUNT(*) FROM notifications r CROSS JOIN ${levels}
      WHERE ${plain('r')} GROUP BY 1, 2, 3`,
    )
    .execute(db);

  // Replaces 003's `notifications_broadcast_unlisted` (hidden or etime): the count now also reads indexed rows.
  await sql.raw('DROP INDEX notifications_broadcast_unlisted').execute(db);
  await sql
    .raw(
      `CREATE INDEX notifications_broadcast_special ON notifications ${
        pg ? '(channel, ts, id) INCLUDE (hidden, etime, idx)' : '(channel, ts, id, hidden, etime, idx)'
      } WHERE ${SPECIAL_BROADCAST.replaceAll('n.', '')}`,
    )
    .execute(db);

  if (pg) {
    // Inserts and deletes: once per statement over its transition table (bulk inserts are one statement per chunk).
    // Updates (row by row in this code base): per row, and only when the row's count moves (the WHEN clause).
    await sql
      .raw(
        `CREATE FUNCTION broadcast_counts_insert() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
        BEGIN ${pgAdd('new_rows AS r', 1)} RETURN NULL; END $$`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE FUNCTION broadcast_counts_delete() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
        BEGIN ${pgAdd('old_rows AS r', -1)} RETURN NULL; END $$`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE FUNCTION broadcast_counts_update() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
        BEGIN
          ${pgAdd(rowOf('OLD'), -1)}
          ${pgAdd(rowOf('NEW'), 1)}
          RETURN NULL;
        END $$`,
      )
      .execute(db);
    await sql
      .raw(`CREATE TRIGGER notifications_counts_insert AFTER INSERT ON notifications
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION broadcast_counts_insert()`)
      .execute(db);
    await sql
      .raw(`CREATE TRIGGER notifications_counts_delete AFTER DELETE ON notifications
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION broadcast_counts_delete()`)
      .execute(db);
    await sql
      .raw(`CREATE TRIGGER notifications_counts_update AFTER UPDATE OF type, status, hidden, etime, idx, channel, ts
        ON notifications FOR EACH ROW WHEN ${moves('OLD', 'NEW')} EXECUTE FUNCTION broadcast_counts_update()`)
      .execute(db);
  } else {
    await sql
      .raw(`CREATE TRIGGER notifications_counts_insert AFTER INSERT ON notifications WHEN ${plain('NEW')}
        BEGIN ${sqliteAdd('NEW', 1)} END`)
      .execute(db);
    await sql
      .raw(`CREATE TRIGGER notifications_counts_delete AFTER DELETE ON notifications WHEN ${plain('OLD')}
        BEGIN ${sqliteAdd('OLD', -1)} END`)
      .execute(db);
    const columns = 'type, status, hidden, etime, idx, channel, ts';
    await sql
      .raw(`CREATE TRIGGER notifications_counts_update_old AFTER UPDATE OF ${columns} ON notifications
        WHEN ${plain('OLD')} AND ${moves('OLD', 'NEW')} BEGIN ${sqliteAdd('OLD', -1)} END`)
      .execute(db);
    await sql
      .raw(`CREATE TRIGGER notifications_counts_update_new AFTER UPDATE OF ${columns} ON notifications
        WHEN ${plain('NEW')} AND ${moves('OLD', 'NEW')} BEGIN ${sqliteAdd('NEW', 1)} END`)
      .execute(db);
  }
}
