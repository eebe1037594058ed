import { afterAll, describe, expect, it } from 'vitest';
import { storeBackends } from '../../test/support/store-backends.js';
import { inKeyOrder, insertRows } from './bulk.js';

const COLUMNS = ['channel', 'subscriber', 'from_ts', 'to_ts', 'settings_raw'] as const;
const row = (i: number, to = 100) => [
  '0xc',
  `0x${i.toString(16).padStart(40, '0')}`,
  i,
  to,
  i % 3 ? null : `1+${i}`,
];

describe('inKeyOrder', () => {
  it('orders rows by their leading key columns, numbers by value and text by code unit, keeping ties in place', () => {
    const rows: [string, number, string][] = [
      ['0xb', 10, 'first b10'],
      ['0xa', 9, 'a9'],
      ['0xb', 9, 'b9'],
      ['0xa', 10, 'a10'],
      ['0xb', 10, 'second b10'],
    ];
    expect(inKeyOrder(rows, 2).map((r) => r[2])).toEqual(['a9', 'a10', 'b9', 'first b10', 'second b10']);
    expect(inKeyOrder(rows, 1).map((r) => r[0])).toEqual(['0xa', '0xa', '0xb', '0xb', '0xb']);
  });
});

describe.each(storeBackends())('insertRows on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it('writes more rows than one statement holds, in order and with every value', async () => {
    const store = await backend.open();
    const rows = Array.from({ length: 1234 }, (_, i) => row(i));
    expect(await insertRows(store.db, 'subscription_periods', COLUMNS, rows)).toBe(1234);
    const stored = await store.db.selectFrom('subscription_periods').selectAll().orderBy('from_ts').execute();
    expect(
      stored.map((r) => [r.channel, r.subscriber, Number(r.from_ts), Number(r.to_ts), r.settings_raw]),
    ).toEqual(rows);
  });

  it('applies the conflict clause and counts only what was written', async () => {
    const store = await backend.open();
    await insertRows(store.db, 'subscription_periods', COLUMNS, [row(1), row(2)]);
    const ignored = await insertRows(
      store.db,
      'subscription_periods',
      COLUMNS,
      [row(1, 7), row(3)],
      'on conflict do nothing',
    );
    expect(ignored).toBe(1);
    await insertRows(
      store.db,
      'subscription_periods',
      COLUMNS,
      [row(2, 9)],
      'on conflict ("channel", "subscriber", "from_ts") do update set "to_ts" = excluded."to_ts"',
    );
    const stored = await store.db
      .selectFrom('subscription_periods')
      .select(['from_ts', 'to_ts'])
      .orderBy('from_ts')
      .execute();
    expect(stored.map((r) => [Number(r.from_ts), Number(r.to_ts)])).toEqual([
      [1, 100],
      [2, 9],
      [3, 100],
    ]);
  });

  it('takes part in the caller’s transaction', async () => {
    const store = await backend.open();
    await expect(
      store.db.transaction().execute(async (tx) => {
        await insertRows(tx, 'subscription_periods', COLUMNS, [row(5)]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await store.db.selectFrom('subscription_periods').selectAll().execute()).toEqual([]);
  });

  it('does nothing for no rows', async () => {
    const store = await backend.open();
    expect(await insertRows(store.db, 'subscription_periods', COLUMNS, [])).toBe(0);
  });
});
