import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/** The first schema: verified inputs, chain bookkeeping and the projections derived from them. */
export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const big = ctx.dialect === 'postgres' ? 'bigint' : 'integer';
  const id = ctx.dialect === 'postgres' ? 'bigserial' : 'integer';

  await db.schema
    .createTable('inputs')
    .addColumn('id', id, (c) =>
      c.primaryKey().$call((b) => (ctx.dialect === 'sqlite' ? b.autoIncrement() : b)),
    )
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('chain_id', big)
    .addColumn('block_number', big)
    .addColumn('block_hash', 'text')
    .addColumn('log_index', 'integer')
    .addColumn('tx_hash', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('ts', big, (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('inputs_chain_block')
    .on('inputs')
    .columns(['chain_id', 'block_number'])
    .execute();

  await db.schema
    .createTable('blocks')
    .addColumn('chain_id', big, (c) => c.notNull())
    .addColumn('number', big, (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('parent_hash', 'text', (c) => c.notNull())
    .addColumn('timestamp', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('blocks_pk', ['chain_id', 'number'])
    .execute();

  await db.schema
    .createTable('chain_cursors')
    .addColumn('chain_id', big, (c) => c.primaryKey())
    .addColumn('block', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('journal')
    .addColumn('id', id, (c) =>
      c.primaryKey().$call((b) => (ctx.dialect === 'sqlite' ? b.autoIncrement() : b)),
    )
    .addColumn('chain_id', big, (c) => c.notNull())
    .addColumn('block_number', big, (c) => c.notNull())
    .addColumn('table_name', 'text', (c) => c.notNull())
    .addColumn('row_key', 'text', (c) => c.notNull())
    .addColumn('old_row', 'text')
    .execute();
  await db.schema
    .createIndex('journal_chain_block')
    .on('journal')
    .columns(['chain_id', 'block_number'])
    .execute();

  await db.schema
    .createTable('channels')
    .addColumn('channel', 'text', (c) => c.primaryKey())
    .addColumn('core_chain_id', big, (c) => c.notNull())
    .addColumn('channel_type', 'integer', (c) => c.notNull())
    .addColumn('identity', 'text', (c) => c.notNull())
    .addColumn('ipfs_hash', 'text')
    .addColumn('name', 'text')
    .addColumn('info', 'text')
    .addColumn('url', 'text')
    .addColumn('icon', 'text')
    .addColumn('tags', 'text')
    .addColumn('state', 'integer', (c) => c.notNull())
    .addColumn('verified_by', 'text')
    .addColumn('settings_raw', 'text')
    .addColumn('settings_description', 'text')
    .addColumn('subgraph', 'text')
    .addColumn('metadata_status', 'text', (c) => c.notNull())
    .addColumn('metadata_attempts', 'integer', (c) => c.notNull())
    .addColumn('metadata_next_at', big, (c) => c.notNull())
    .addColumn('created_block', big, (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('channels_metadata')
    .on('channels')
    .columns(['metadata_status', 'metadata_next_at'])
    .execute();

  await db.schema
    .createTable('aliases')
    .addColumn('alias_chain_id', big, (c) => c.notNull())
    .addColumn('alias_address', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('declared', 'integer', (c) => c.notNull())
    .addColumn('confirmed', 'integer', (c) => c.notNull())
    .addColumn('declare_proof', 'text')
    .addColumn('confirm_proof', 'text')
    .addColumn('updated_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('aliases_pk', ['alias_chain_id', 'alias_address'])
    .execute();
  await db.schema.createIndex('aliases_channel').on('aliases').columns(['channel']).execute();

  await db.schema
    .createTable('delegates')
    .addColumn('chain_id', big, (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('delegate', 'text', (c) => c.notNull())
    .addColumn('added_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('delegates_pk', ['chain_id', 'channel', 'delegate'])
    .execute();
  await db.schema.createIndex('delegates_delegate').on('delegates').columns(['delegate']).execute();

  await db.schema
    .createTable('subscriptions')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('subscriber', 'text', (c) => c.notNull())
    .addColumn('subscribed', 'integer', (c) => c.notNull())
    .addColumn('settings_raw', 'text')
    .addColumn('ts', big, (c) => c.notNull())
    .addColumn('ts_order', 'text', (c) => c.notNull())
    .addColumn('proof', 'text', (c) => c.notNull())
    .addColumn('origin', 'text')
    .addColumn('chain_id', big)
    .addPrimaryKeyConstraint('subscriptions_pk', ['channel', 'subscriber'])
    .execute();
  await db.schema
    .createIndex('subscriptions_subscriber')
    .on('subscriptions')
    .columns(['subscriber', 'subscribed'])
    .execute();
  await db.schema
    .createIndex('subscriptions_channel')
    .on('subscriptions')
    .columns(['channel', 'subscribed'])
    .execute();

  await db.schema
    .createTable('notifications')
    .addColumn('id', id, (c) =>
      c.primaryKey().$call((b) => (ctx.dialect === 'sqlite' ? b.autoIncrement() : b)),
    )
    .addColumn('input_key', 'text', (c) => c.notNull().unique())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('delegate', 'text')
    .addColumn('chain_id', big, (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('type', 'integer', (c) => c.notNull())
    .addColumn('ts', big, (c) => c.notNull())
    .addColumn('identity', 'text', (c) => c.notNull())
    .addColumn('payload', 'text')
    .addColumn('recipients', 'text')
    .addColumn('hidden', 'integer', (c) => c.notNull())
    .addColumn('etime', big)
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('notifications_channel_ts')
    .on('notifications')
    .columns(['channel', 'ts'])
    .execute();

  await db.schema
    .createTable('feed_entries')
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('notification_id', big, (c) => c.notNull())
    .addColumn('box', 'text', (c) => c.notNull())
    .addColumn('ts', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('feed_entries_pk', ['recipient', 'notification_id'])
    .execute();
  await db.schema
    .createIndex('feed_entries_recipient_box_ts')
    .on('feed_entries')
    .columns(['recipient', 'box', 'ts'])
    .execute();
}
