import { afterAll, describe, expect, it } from 'vitest';
import { testChannelRow } from '../../../test/support/channel-row.js';
import { storeBackends } from '../../../test/support/store-backends.js';
import { unicodeLower } from '../../store/database.js';
import type { Store } from '../../store/index.js';
import { containsPattern, listChannels } from './channels.js';

const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
const PAGE = { page: 1, limit: 10, offset: 0 };

describe('containsPattern', () => {
  it('lowers every code point as Postgres lower() does (a final Σ is σ) and escapes LIKE wildcards', () => {
    expect(containsPattern('ÉLAN')).toBe('%élan%');
    expect(containsPattern('ΟΔΟΣ')).toBe('%οδοσ%');
    expect(containsPattern('100%_\\')).toBe('%100\\%\\_\\\\%');
    expect(unicodeLower('ÀÖ ŁŹ ДЖ Σ')).toBe('àö łź дж σ');
  });
});

describe.each(storeBackends())('listChannels search on $name', (backend) => {
  afterAll(() => backend.cleanup());

  async function seeded(): Promise<Store> {
    const store = await backend.open();
    await store.db
      .insertInto('channels')
      .values([
        testChannelRow(addr(1), { name: 'Élan Vital' }),
        testChannelRow(addr(2), { name: 'ΟΔΟΣ News', tags: JSON.stringify(['Ünïcode', 'defi']) }),
        testChannelRow(addr(3), { name: 'Plain ascii', tags: JSON.stringify(['DeFi']) }),
        testChannelRow(addr(0xabc), { name: 'Москва Daily' }),
      ])
      .execute();
    return store;
  }
  const names = async (store: Store, filter: { query?: string; tag?: string }) =>
    (await listChannels(store.db, PAGE, filter)).rows.map((r) => r.name).sort();

  it('finds a channel by its own non-ASCII name (search is case-insensitive on both stores)', async () => {
    // SQLite's lower() and LIKE fold ASCII only: "Élan" was not found even by the exact name there.
    const store = await seeded();
    const exact = await listChannels(store.db, PAGE, { query: 'Élan' });
    const lower = await listChannels(store.db, PAGE, { query: 'élan' });
    expect([exact.total, lower.total]).toEqual([1, 1]);
    expect(await names(store, { query: 'ÉLAN VITAL' })).toEqual(['Élan Vital']);
    expect(await names(store, { query: 'москва' })).toEqual(['Москва Daily']);
    expect(await names(store, { query: 'МОСКВА' })).toEqual(['Москва Daily']);
    // Greek capital sigma: lowered letter by letter on both sides (σ), wherever it stands.
    expect(await names(store, { query: 'ΟΔΟΣ' })).toEqual(['ΟΔΟΣ News']);
    expect(await names(store, { query: 'οδοσ' })).toEqual(['ΟΔΟΣ News']);
  });

  it('still matches ASCII names case-insensitively, addresses, and LIKE wildcards literally', async () => {
    const store = await seeded();
    expect(await names(store, { query: 'PLAIN' })).toEqual(['Plain ascii']);
    expect(await names(store, { query: addr(0xabc).slice(-5).toUpperCase() })).toEqual(['Москва Daily']);
    expect(await names(store, { query: '%' })).toEqual([]);
    expect(await names(store, { query: '_' })).toEqual([]);
  });

  it('matches a non-ASCII tag whatever its case', async () => {
    const store = await seeded();
    expect(await names(store, { tag: 'Ünïcode' })).toEqual(['ΟΔΟΣ News']);
    expect(await names(store, { tag: 'üNÏCODE' })).toEqual(['ΟΔΟΣ News']);
    expect(await names(store, { tag: 'defi' })).toEqual(['Plain ascii', 'ΟΔΟΣ News']);
  });
});
