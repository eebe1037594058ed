import { afterAll, describe, expect, it } from 'vitest';
import { migrationBackends } from '../../../test/support/migration-backends.js';

describe.each(migrationBackends())('migration 007-subscription-event-origin on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it("gives each pair's current command the origin its subscriptions row recorded", async () => {
    const { database, migrator } = await backend.open();
    expect((await migrator.migrateTo('006-input-refusals')).error).toBeUndefined();
    const db = database.db;
    const event = (subscriber: string, ts: number, subscribed: number) => ({
      channel: '0xc',
      subscriber,
      ts,
      ts_order: `h:${ts}`,
      subscribed,
      settings_raw: null,
      proof: `p${ts}`,
      chain_id: 1,
    });
    await db
      .insertInto('subscription_events')
      .values([event('0xa', 1, 1), event('0xa', 2, 0), event('0xb', 3, 1)])
      .execute();
    const current = (subscriber: string, ts: number, subscribed: number, origin: string | null) => ({
      channel: '0xc',
      subscriber,
      subscribed,
      settings_raw: null,
      ts,
      ts_order: `h:${ts}`,
      proof: `p${ts}`,
      origin,
      chain_id: 1,
    });
    await db
      .insertInto('subscriptions')
      .values([current('0xa', 2, 0, 'https://app.example'), current('0xb', 3, 1, null)])
      .execute();

    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const rows = await db
      .selectFrom('subscription_events')
      .select(['subscriber', 'ts', 'origin'])
      .orderBy('ts')
      .execute();
    expect(rows.map((r) => ({ ...r, ts: Number(r.ts) }))).toEqual([
      { subscriber: '0xa', ts: 1, origin: null },
      { subscriber: '0xa', ts: 2, origin: 'https://app.example' },
      { subscriber: '0xb', ts: 3, origin: null },
    ]);
  });
});
