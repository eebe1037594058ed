import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { testTempDirs } from '../../test/support/temp-dir.js';
import { openStore, type Store } from './index.js';

describe('SQLite writer connection: long transactions let the event loop turn', () => {
  const dirs = testTempDirs('push-sqlite-yield-');
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
    dirs.removeAll();
  });

  it('a timer set during a long transaction runs while it is open, and the transaction still commits whole', async () => {
    store = await openStore({ sqlitePath: join(dirs.make(), 'db.sqlite') });
    await sql`create table t (n integer)`.execute(store.db);
    let timerRan = false;
    let statementsBeforeTimer = -1;
    const MAX = 200_000;
    let n = 0;
    await store.db.transaction().execute(async (tx) => {
      // Statements until the timer has run (it can only run if the loop turns), bounded. The timer is set once the
      // transaction holds a row: set before it, a turn taken before `begin` (a slow machine) could run it first.
      for (; n < MAX; n++) {
        if (timerRan) {
          statementsBeforeTimer = n;
          break;
        }
        await sql`insert into t (n) values (${n})`.execute(tx);
        if (n === 0)
          setTimeout(() => {
            timerRan = true;
          }, 0);
      }
    });
    expect(timerRan).toBe(true);
    expect(statementsBeforeTimer).toBeGreaterThan(0);
    expect(statementsBeforeTimer).toBeLessThan(MAX);
    const { rows } = await sql<{ c: number }>`select count(*) as c from t`.execute(store.db);
    expect(Number(rows[0]?.c)).toBe(statementsBeforeTimer);
  });
});
