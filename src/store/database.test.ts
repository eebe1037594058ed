import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { isCatalogRace, rewriteForStat4 } from './database.js';
import { openStore } from './index.js';

describe('SQLite statements under STAT4', () => {
  it('turns bare limit/offset parameters into expressions, and nothing else', () => {
    expect(rewriteForStat4('select * from "t" where "a" = ? order by "a" limit ? offset ?')).toBe(
      'select * from "t" where "a" = ? order by "a" limit ? + 0 offset ? + 0',
    );
    expect(rewriteForStat4('select "limit" from t where x = ?')).toBe('select "limit" from t where x = ?');
  });

  it('still pages correctly through Kysely with the rewritten statements', async () => {
    const store = await openStore({ sqlitePath: ':memory:' });
    try {
      for (let i = 0; i < 5; i++) {
        await store.db
          .insertInto('journal')
          .values({ chain_id: 1, block_number: i, table_name: 'x', row_key: String(i), old_row: null })
          .execute();
      }
      const page = async (limit: number, offset: number) =>
        (
          await store.db
            .selectFrom('journal')
            .select('block_number')
            .orderBy('block_number')
            .limit(limit)
            .offset(offset)
            .execute()
        ).map((r) => Number(r.block_number));
      expect(await page(2, 0)).toEqual([0, 1]);
      expect(await page(2, 2)).toEqual([2, 3]);
      expect(await page(3, 4)).toEqual([4]);
    } finally {
      await store.close();
    }
  });
});

describe('SQLite file store settings', () => {
  it('reads pages through a memory map and keeps its own page cache small (commits scan that cache)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'push-db-settings-'));
    const store = await openStore({ sqlitePath: join(dir, 'db.sqlite') });
    try {
      const one = async (pragma: string) =>
        Object.values((await sql.raw(`pragma ${pragma}`).execute(store.db)).rows[0] as object)[0];
      expect(await one('journal_mode')).toBe('wal');
      expect(Number(await one('mmap_size'))).toBeGreaterThanOrEqual(256 * 1024 * 1024);
      expect(Number(await one('cache_size'))).toBe(-8192);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('isCatalogRace', () => {
  it("retries the introspection's errors about another schema changing under it, never a migration's own", () => {
    for (const code of ['3F000', '42P01', '42703']) {
      expect(isCatalogRace({ error: { code }, results: [] })).toBe(true);
      expect(isCatalogRace({ error: { code }, results: [{ status: 'Error' }] })).toBe(false);
    }
    expect(isCatalogRace({ error: { code: '23505' }, results: [] })).toBe(false);
    expect(isCatalogRace({})).toBe(false);
  });
});
