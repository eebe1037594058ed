import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'push-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const walFrames = (path: string): { log: number; checkpointed: number } => {
  // A PASSIVE checkpoint from a fresh connection reports the WAL's size and how much of it is already in the file.
  const probe = new BetterSqlite3(path);
  try {
    const [r] = probe.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
    return r!;
  } finally {
    probe.close();
  }
};

describe('SQLite checkpoints in a worker thread', () => {
  it('copies committed pages into the database file without a commit doing it', async () => {
    const path = join(dir, 'a.sqlite');
    const store = await openStore({ sqlitePath: path });
    // The main connection would only checkpoint itself past 32,768 pages; this writes far fewer.
    await store.db.transaction().execute(async (tx) => {
      for (let i = 0; i < 200; i++) {
        await sql`insert into journal (chain_id, block_number, table_name, row_key, old_row) values (1, ${i}, 'x', ${'k'.repeat(2000)}, null)`.execute(
          tx,
        );
      }
    });
    const sizeBefore = statSync(path).size;
    await expect.poll(() => statSync(path).size, { timeout: 5000, interval: 50 }).toBeGreaterThan(sizeBefore);
    await store.close();
    // Closing the last connection folds the WAL into the file and removes it.
    expect(existsSync(`${path}-wal`)).toBe(false);
    const reopened = await openStore({ sqlitePath: path });
    const { rows } = await sql<{ n: number }>`select count(*) as n from journal`.execute(reopened.db);
    expect(Number(rows[0]!.n)).toBe(200);
    await reopened.close();
  });

  it('keeps the WAL checkpointed while the store stays open', async () => {
    const path = join(dir, 'b.sqlite');
    const store = await openStore({ sqlitePath: path });
    await sql`insert into journal (chain_id, block_number, table_name, row_key, old_row) values (1, 1, 'x', 'k', null)`.execute(
      store.db,
    );
    await expect
      .poll(
        () => {
          const f = walFrames(path);
          return f.log > 0 && f.log === f.checkpointed;
        },
        { timeout: 5000, interval: 50 },
      )
      .toBe(true);
    await store.close();
  });
});
