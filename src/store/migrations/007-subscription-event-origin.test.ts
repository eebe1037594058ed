import { afterAll, describe, expect, it } from 'vitest';
import { migrationBackends } from '../../../test/support/migration-backends.js';

describe.each(migrationBackends())('migration 007-subscription-event-origin on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it("gives signed commands the origin their request recorded, and each pair's current one its row's", async () => {
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

    // The older signed command's request, as the subscribe door recorded it (key <action>:<signature>:<ts>).
    await db
      .insertInto('inputs')
      .values({
        key: 'subscribe:1:1',
        kind: 'http',
        event: 'Subscribe',
        body: JSON.stringify({ channel: 'eip155:1:0xc', origin: 'https://older.example' }),
        ts: 1,
        created_at: 1,
      })
      .execute();

    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const rows = await db
      .selectFrom('subscription_events')
      .select(['subscriber', 'ts', 'origin'])
      .orderBy('ts')
      .execute();
    expect(rows.map((r) => ({ ...r, ts: Number(r.ts) }))).toEqual([
      { subscriber: '0xa', ts: 1, origin: 'https://older.example' },
      { subscriber: '0xa', ts: 2, origin: 'https://app.example' },
      { subscriber: '0xb', ts: 3, origin: null },
    ]);
  });
});
