import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * `channel_subscriber_counts (channel, n)`: how many subscribers each channel has now (`subscriptions` rows with
 * subscribed = 1). The channel list sorts every active channel by it and channel info shows it; counted per request,
 * that read every opt-in row of every channel.
 *
 * The database maintains it with triggers, so every writer of `subscriptions` (opt-ins through any door, bulk
 * upserts, a rollback's restored images and re-derivation) keeps it exact without knowing about it. Updates only add
 * to a row (an upsert), whatever order writers commit in. A channel's row may remain at 0.
 */
export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const pg = ctx.dialect === 'postgres';
  await sql
    .raw(
      `CREATE TABLE channel_subscriber_counts (channel text PRIMARY KEY, n ${pg ? 'bigint' : 'integer'} NOT NULL)${
        pg ? '' : ' WITHOUT ROWID'
      }`,
    )
    .execute(db);
  await sql
    .raw(
      `INSERT INTO channel_subscriber_counts (channel, n)
      SELECT channel, COUNT(*) FROM subscriptions WHERE subscribed = 1 GROUP BY channel`,
    )
    .execute(db);

  const upsert = (select: string) => `INSERT INTO channel_subscriber_counts AS c (channel, n) ${select}
      ON CONFLICT (channel) DO UPDATE SET n = c.n + excluded.n;`;

  if (pg) {
    // Once per statement over its transition tables (bulk writes are one statement per chunk), in channel order.
    const fn = async (name: string, body: string) =>
      sql
        .raw(
          `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
          BEGIN ${body} RETURN NULL; END $$`,
        )
        .execute(db);
    await fn(
      'subscriber_counts_insert',
      upsert('SELECT channel, COUNT(*) FROM new_rows WHERE subscribed = 1 GROUP BY channel ORDER BY channel'),
    );
    await fn(
      'subscriber_counts_delete',
      upsert(
        'SELECT channel, -COUNT(*) FROM old_rows WHERE subscribed = 1 GROUP BY channel ORDER BY channel',
      ),
    );
    await fn(
      'subscriber_counts_update',
      upsert(`SELECT channel, SUM(d) FROM (
          SELECT channel, 1 AS d FROM new_rows WHERE subscribed = 1
          UNION ALL SELECT channel, -1 AS d FROM old_rows WHERE subscribed = 1
        ) AS t GROUP BY channel HAVING SUM(d) <> 0 ORDER BY channel`),
    );
    for (const [event, tables, name] of [
      ['INSERT', 'NEW TABLE AS new_rows', 'insert'],
      ['DELETE', 'OLD TABLE AS old_rows', 'delete'],
      ['UPDATE', 'OLD TABLE AS old_rows NEW TABLE AS new_rows', 'update'],
    ] as const) {
      await sql
        .raw(`CREATE TRIGGER subscriptions_counts_${name} AFTER ${event} ON subscriptions
          REFERENCING ${tables} FOR EACH STATEMENT EXECUTE FUNCTION subscriber_counts_${name}()`)
        .execute(db);
    }
  } else {
    const add = (r: string, delta: number) => upsert(`VALUES (${r}.channel, ${delta})`);
    const moves = 'OLD.subscribed IS NOT NEW.subscribed OR OLD.channel IS NOT NEW.channel';
    await sql
      .raw(`CREATE TRIGGER subscriptions_counts_insert AFTER INSERT ON subscriptions WHEN NEW.subscribed = 1
        BEGIN ${add('NEW', 1)} END`)
      .execute(db);
    await sql
      .raw(`CREATE TRIGGER subscriptions_counts_delete AFTER DELETE ON subscriptions WHEN OLD.subscribed = 1
        BEGIN ${add('OLD', -1)} END`)
      .execute(db);
    await sql
      .raw(`CREATE TRIGGER subscriptions_counts_update_old AFTER UPDATE OF subscribed, channel ON subscriptions
        WHEN OLD.subscribed = 1 AND (${moves}) BEGIN ${add('OLD', -1)} END`)
      .execute(db);
    await sql
      .raw(`CREATE TRIGGER subscriptions_counts_update_new AFTER UPDATE OF subscribed, channel ON subscriptions
        WHEN NEW.subscribed = 1 AND (${moves}) BEGIN ${add('NEW', 1)} END`)
      .execute(db);
  }
}
