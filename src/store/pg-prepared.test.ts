import { CompiledQuery, type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freshSchemaName, TEST_DATABASE_URL } from '../../test/support/store-backends.js';
import { openStore, type Store } from './index.js';
import { PREPARED } from './pg-prepared.js';
import { listUserFeed } from './repos/feeds.js';
import type { DB } from './schema.js';

const USER = `0x${'a'.repeat(40)}`;
const schemas: string[] = [];
const stores: Store[] = [];

/** One connection, so `pg_prepared_statements` (per session) shows what this store's statements prepared. */
async function open(preparedStatements: boolean): Promise<Store> {
  const schema = freshSchemaName();
  schemas.push(schema);
  const store = await openStore({ databaseUrl: TEST_DATABASE_URL, schema, poolSize: 1, preparedStatements });
  stores.push(store);
  return store;
}

async function preparedTexts(db: Kysely<DB>): Promise<string[]> {
  const { rows } = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db);
  return rows.map((r) => r.statement);
}

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await client.end();
});

describe('Postgres prepared statements', () => {
  it('runs a marked statement by name, once parsed per connection, with the same results', async () => {
    const { db } = await open(true);
    const text = `${PREPARED}select $1::int + 1 as x`;
    for (const v of [1, 41]) {
      const { rows } = await db.executeQuery<{ x: number }>(CompiledQuery.raw(text, [v]));
      expect(rows).toEqual([{ x: v + 1 }]);
    }
    expect((await preparedTexts(db)).filter((s) => s === text)).toHaveLength(1);
  });

  it('prepares the feed statements, and nothing when turned off', async () => {
    const on = await open(true);
    const off = await open(false);
    for (const { db } of [on, off]) {
      for (const box of ['inbox', 'spam'] as const) {
        expect(await listUserFeed(db, { user: USER, box })).toEqual({ feeds: [], itemcount: 0 });
      }
    }
    const texts = await preparedTexts(on.db);
    expect(texts.some((s) => s.includes('subscription_periods'))).toBe(true);
    expect(texts.some((s) => s.includes('feed_entries'))).toBe(true);
    expect(await preparedTexts(off.db)).toEqual([]);
  });
});
