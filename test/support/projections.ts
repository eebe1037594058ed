import type { Kysely } from 'kysely';
import type { DB } from '../../src/store/index.js';

/** Every projection and the recorded inputs, in a stable order, for comparing two stores. */
export async function projectionSnapshot(db: Kysely<DB>) {
  return {
    channels: await db
      .selectFrom('channels')
      .select(['channel', 'channel_type', 'identity', 'state', 'verified_by', 'settings_raw', 'subgraph'])
      .orderBy('channel')
      .execute(),
    aliases: await db
      .selectFrom('aliases')
      .select(['alias_chain_id', 'alias_address', 'channel', 'declared', 'confirmed'])
      .orderBy('alias_chain_id')
      .orderBy('alias_address')
      .execute(),
    delegates: await db
      .selectFrom('delegates')
      .select(['chain_id', 'channel', 'delegate'])
      .orderBy('chain_id')
      .orderBy('channel')
      .orderBy('delegate')
      .execute(),
    subscriptions: await db
      .selectFrom('subscriptions')
      .select(['channel', 'subscriber', 'subscribed', 'settings_raw', 'ts', 'ts_order'])
      .orderBy('channel')
      .orderBy('subscriber')
      .execute(),
    inputs: (await db.selectFrom('inputs').select('key').orderBy('key').execute()).map((r) => r.key),
  };
}
