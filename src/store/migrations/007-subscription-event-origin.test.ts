import { Migrator } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freshSchemaName, TEST_DATABASE_URL } from '../../../test/support/store-backends.js';
import { type Database, openDatabase } from '../database.js';
import { migrationProvider } from './index.js';

const backends = [
  { name: 'sqlite', open: () => openDatabase({ sqlitePath: ':memory:' }) },
  { name: 'postgres', open: () => openDatabase({ url: TEST_DATABASE_URL, schema: freshSchemaName() }) },
];

describe.each(backends)('migration 007-subscription-event-origin on $name', ({ open }) => {
  const opened: Database[] = [];
  afterAll(async () => {
    for (const d of opened.splice(0)) {
      await d.close();
      if (!d.schema) continue;
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${d.schema} CASCADE`).finally(() => client.end());
    }
  });

  it("gives each pair's current command the origin its subscriptions row recorded", async () => {
    const database = await open();
    opened.push(database);
    const migrator = new Migrator({
      db: database.db,
      provider: migrationProvider({ dialect: database.dialect }),
      ...(database.schema ? { migrationTableSchema: database.schema } : {}),
    });
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
