import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { answeredWhileHeld, holdTransaction } from '../../test/support/held-transaction.js';
import { storeBackends } from '../../test/support/store-backends.js';
import { testTempDirs } from '../../test/support/temp-dir.js';
import { openStore, type Store } from './index.js';

const dirs = testTempDirs('push-read-conn-');
afterAll(() => dirs.removeAll());

const journalRow = (n: number) => ({
  chain_id: 1,
  block_number: n,
  table_name: 'x',
  row_key: String(n),
  old_row: null,
});

const blocksIn = async (db: Store['read']) =>
  (await db.selectFrom('journal').select('block_number').orderBy('block_number').execute()).map((r) =>
    Number(r.block_number),
  );

describe('the read connection of a SQLite file store', () => {
  it('answers while a write transaction is open, without its rows, and sees them once it has committed', async () => {
    const store = await openStore({ sqlitePath: join(dirs.make(), 'db.sqlite') });
    try {
      await store.db.insertInto('journal').values(journalRow(1)).execute();
      const held = await holdTransaction(store.db, async (tx) => {
        await tx.insertInto('journal').values(journalRow(2)).execute();
      });
      let during: number[];
      try {
        during = await answeredWhileHeld(blocksIn(store.read), 'a read on store.read');
      } finally {
        await held.release();
      }
      expect(during).toEqual([1]);
      expect(await blocksIn(store.read)).toEqual([1, 2]);
    } finally {
      await store.close();
    }
  });

  it('is read-only, and reads with the writer settings (memory map, small page cache, unicode_lower)', async () => {
    const store = await openStore({ sqlitePath: join(dirs.make(), 'db.sqlite') });
    try {
      expect(store.read).not.toBe(store.db);
      const one = async (pragma: string) =>
        Object.values((await sql.raw(`pragma ${pragma}`).execute(store.read)).rows[0] as object)[0];
      expect(Number(await one('mmap_size'))).toBeGreaterThanOrEqual(256 * 1024 * 1024);
      expect(Number(await one('cache_size'))).toBe(-8192);
      expect(Number(await one('busy_timeout'))).toBe(5000);
      // 2 = MEMORY
      expect(Number(await one('temp_store'))).toBe(2);
      const lowered = await sql<{ v: string }>`select unicode_lower('ÄΣB') as v`.execute(store.read);
      expect(lowered.rows[0]!.v).toBe('äσb');
      await expect(store.read.insertInto('journal').values(journalRow(1)).execute()).rejects.toMatchObject({
        code: 'SQLITE_READONLY',
      });
    } finally {
      await store.close();
    }
  });

  it.each([{ reader: 'used' }, { reader: 'idle' }])(
    'closes before the writer ($reader), which then checkpoints and removes the WAL',
    async ({ reader }) => {
      const path = join(dirs.make(), 'db.sqlite');
      const store = await openStore({ sqlitePath: path });
      await store.db.insertInto('journal').values(journalRow(1)).execute();
      if (reader === 'used') expect(await blocksIn(store.read)).toEqual([1]);
      expect(existsSync(`${path}-wal`)).toBe(true);
      await store.close();
      expect(existsSync(`${path}-wal`)).toBe(false);
      const again = await openStore({ sqlitePath: path });
      try {
        expect(await blocksIn(again.read)).toEqual([1]);
      } finally {
        await again.close();
      }
    },
  );
});

describe.each(storeBackends())('the read connection on $name (sqlite: in memory)', (backend) => {
  afterAll(() => backend.cleanup());

  it('is the writer Kysely itself: a second connection would be another database (memory) or is not needed (pool)', async () => {
    const store = await backend.open();
    expect(store.read).toBe(store.db);
    await store.db.insertInto('journal').values(journalRow(7)).execute();
    expect(await blocksIn(store.read)).toEqual([7]);
  });
});
