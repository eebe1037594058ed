import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationBackends } from '../../../test/support/migration-backends.js';
import { seededRandom } from '../../../test/support/seeded-random.js';
import { storeBackends } from '../../../test/support/store-backends.js';
import {
  applySubscription,
  applySubscriptionsBulk,
  rederiveSubscriptions,
  type SubscriptionCommand,
} from '../../ingest/subscriptions.js';
import type { Store } from '../index.js';
import { createWriter, rollbackJournal } from '../writer.js';

const CHANNELS = ['0xc1', '0xc2', '0xc3'];
const USERS = Array.from({ length: 12 }, (_, i) => `0xa${i}`);
const CHAIN = 11155111;

/** What the triggers must keep: the subscribers each channel has now, counted from `subscriptions`. */
async function counted(store: Pick<Store, 'db'>) {
  const kept = await store.db
    .selectFrom('channel_subscriber_counts')
    .select(['channel', 'n'])
    .where('n', '<>', 0)
    .orderBy('channel')
    .execute();
  const naive = await sql<{ channel: string; n: number }>`
    select channel, count(*) as n from subscriptions where subscribed = 1 group by channel order by channel`.execute(
    store.db,
  );
  return {
    kept: kept.map((r) => ({ channel: r.channel, n: Number(r.n) })),
    naive: naive.rows.map((r) => ({ channel: r.channel, n: Number(r.n) })),
  };
}

describe.each(storeBackends())('channel_subscriber_counts on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it('equals a count of current subscribers after every kind of opt-in write', async () => {
    const store = await backend.open();
    const rnd = seededRandom(8);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)] as T;
    let block = 100;
    const command = (i: number): SubscriptionCommand => ({
      channel: pick(CHANNELS),
      subscriber: pick(USERS),
      subscribed: rnd() < 0.6,
      settingsRaw: null,
      ts: 1_000 + Math.floor(rnd() * 500),
      order: `c:${i}`,
      proof: `p${i}`,
      origin: null,
      chainId: CHAIN,
    });
    for (let step = 0; step < 60; step++) {
      const kind = rnd();
      if (kind < 0.35) {
        // One command, journaled under a fresh unfinalised block (a live chain event).
        block += 1;
        const origin = { chainId: CHAIN, blockNumber: block, journal: true };
        await store.db
          .transaction()
          .execute((tx) => applySubscription(createWriter(tx, origin), command(step)));
      } else if (kind < 0.55) {
        // A signed off-chain command: no journal.
        await store.db
          .transaction()
          .execute((tx) => applySubscription(createWriter(tx, null), command(step)));
      } else if (kind < 0.8) {
        // The backfill's bulk path: several commands in multi-row upserts.
        const cmds = Array.from({ length: 8 }, (_, j) => command(step * 100 + j));
        await store.db.transaction().execute((tx) => applySubscriptionsBulk(tx, cmds));
      } else {
        // A reorg: restore the journaled images above a block, then re-derive what they touched.
        const to = block - Math.floor(rnd() * 4);
        await store.db.transaction().execute(async (tx) => {
          const undone = await rollbackJournal(tx, CHAIN, to);
          await rederiveSubscriptions(
            tx,
            undone.map((u) => ({ channel: String(u.key.channel), subscriber: String(u.key.subscriber) })),
          );
        });
        block = to;
      }
      const { kept, naive } = await counted(store);
      expect({ step, kept }).toEqual({ step, kept: naive });
    }
  });
});

describe.each(migrationBackends())('migration 008-subscriber-counts on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it('counts the subscribers a store already holds', async () => {
    const { database, migrator } = await backend.open();
    expect((await migrator.migrateTo('007-subscription-event-origin')).error).toBeUndefined();
    const row = (channel: string, subscriber: string, subscribed: number) => ({
      channel,
      subscriber,
      subscribed,
      settings_raw: null,
      ts: 1,
      ts_order: 'o',
      proof: 'p',
      origin: null,
      chain_id: CHAIN,
    });
    await database.db
      .insertInto('subscriptions')
      .values([
        row('0xc1', '0xa1', 1),
        row('0xc1', '0xa2', 1),
        row('0xc1', '0xa3', 0),
        row('0xc2', '0xa1', 1),
      ])
      .execute();
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const { kept, naive } = await counted(database);
    expect(kept).toEqual([
      { channel: '0xc1', n: 2 },
      { channel: '0xc2', n: 1 },
    ]);
    expect(kept).toEqual(naive);
  });
});
