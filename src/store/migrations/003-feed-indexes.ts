import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * A feed page reads, for each channel a reader follows, that channel's newest admitted broadcasts within the
 * reader's subscription period. This partial index holds exactly those rows, in that order, with every column the
 * page's filters and the settings filter read (hidden, etime, idx): the page is then index-only, one seek and a few
 * entries per channel, instead of one table-row read per candidate (rows carry the payload, so each read was a
 * separate page). Targeted and subset notifications are not in it: they are read through `feed_entries`.
 */
export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  if (ctx.dialect === 'postgres') {
    await sql`CREATE INDEX notifications_broadcast_feed ON notifications (channel, ts, id)
      INCLUDE (hidden, etime, idx) WHERE type = 1 AND status = 'admitted'`.execute(db);
  } else {
    await sql`CREATE INDEX notifications_broadcast_feed ON notifications (channel, ts, id, hidden, etime, idx)
      WHERE type = 1 AND status = 'admitted'`.execute(db);
  }
  // The few broadcasts a feed may not list (hidden, or with an expiry): an itemcount counts the rest as a plain
  // range of the index above, which reads no column, and subtracts these.
  await sql`CREATE INDEX notifications_broadcast_unlisted ON notifications (channel, ts, id, hidden, etime)
    WHERE type = 1 AND status = 'admitted' AND (hidden <> 0 OR etime IS NOT NULL)`.execute(db);
}
