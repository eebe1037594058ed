import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * The admission pipeline's tables: the history of opt-in commands, the subscription periods derived from it (so
 * "subscribed at send time, with which settings" is one range lookup), and the columns notifications need for
 * settings filtering at read time and for background content retries.
 */
export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const big = ctx.dialect === 'postgres' ? 'bigint' : 'integer';

  await db.schema
    .createTable('subscription_events')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('subscriber', 'text', (c) => c.notNull())
    .addColumn('ts', big, (c) => c.notNull())
    .addColumn('ts_order', 'text', (c) => c.notNull())
    .addColumn('subscribed', 'integer', (c) => c.notNull())
    .addColumn('settings_raw', 'text')
    .addColumn('proof', 'text', (c) => c.notNull())
    .addColumn('chain_id', big)
    .addPrimaryKeyConstraint('subscription_events_pk', ['channel', 'subscriber', 'ts', 'ts_order'])
    .execute();

  await db.schema
    .createTable('subscription_periods')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('subscriber', 'text', (c) => c.notNull())
    .addColumn('from_ts', big, (c) => c.notNull())
    .addColumn('to_ts', big, (c) => c.notNull())
    .addColumn('settings_raw', 'text')
    .addPrimaryKeyConstraint('subscription_periods_pk', ['channel', 'subscriber', 'from_ts'])
    .execute();
  await db.schema
    .createIndex('subscription_periods_subscriber')
    .on('subscription_periods')
    .columns(['subscriber', 'channel', 'from_ts'])
    .execute();

  await db.schema.alterTable('notifications').addColumn('idx', 'text').execute();
  await db.schema
    .alterTable('notifications')
    .addColumn('content_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('notifications')
    .addColumn('content_next_at', big, (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('notifications').addColumn('content_error', 'text').execute();
  await db.schema
    .createIndex('notifications_channel_type_ts')
    .on('notifications')
    .columns(['channel', 'type', 'ts', 'id'])
    .execute();
  await db.schema
    .createIndex('notifications_pending')
    .on('notifications')
    .columns(['status', 'content_next_at'])
    .execute();
  await db.schema
    .createIndex('feed_entries_recipient_box_ts_id')
    .on('feed_entries')
    .columns(['recipient', 'box', 'ts', 'notification_id'])
    .execute();
}
