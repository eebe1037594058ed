import { afterAll, describe, expect, it } from 'vitest';
import { testChannelRow } from '../../test/support/channel-row.js';
import { storeBackends } from '../../test/support/store-backends.js';
import { migrateToLatest } from './database.js';
import { openStore } from './index.js';
import { createWriter, pruneJournal, rollbackJournal } from './writer.js';

const channelRow = (channel: string, state: number) =>
  testChannelRow(channel, {
    core_chain_id: 1,
    identity: '1+bafy',
    ipfs_hash: 'bafy',
    state,
    metadata_status: 'pending',
  });

describe.each(storeBackends())('store on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it('migrates a fresh store and is idempotent on reopen', async () => {
    const store = await backend.open();
    // Each table answers a query (catalog introspection would also list other test files' schemas).
    for (const t of [
      'inputs',
      'channels',
      'subscriptions',
      'notifications',
      'feed_entries',
      'journal',
    ] as const) {
      expect(await store.db.selectFrom(t).selectAll().execute()).toEqual([]);
    }
    const { applied } = await migrateToLatest({
      db: store.db,
      read: store.read,
      dialect: store.dialect,
      location: store.location,
      ...(store.schema ? { schema: store.schema } : {}),
      close: async () => {},
    });
    expect(applied).toEqual([]);
  });

  it('journals writes of unfinalised blocks and rolls them back exactly', async () => {
    const { db } = await backend.open();
    await createWriter(db, { chainId: 1, blockNumber: 10, journal: false }).put(
      'channels',
      channelRow('0xa', 1),
    );
    const at11 = createWriter(db, { chainId: 1, blockNumber: 11, journal: true });
    await at11.update('channels', { channel: '0xa' }, { state: 2 });
    await at11.put('channels', channelRow('0xb', 1));
    const at12 = createWriter(db, { chainId: 1, blockNumber: 12, journal: true });
    await at12.update('channels', { channel: '0xa' }, { state: 3 });
    await at12.remove('channels', { channel: '0xb' });
    await at12.put('delegates', { chain_id: 1, channel: '0xa', delegate: '0xd', added_at: 1 });

    await rollbackJournal(db, 1, 11);
    expect(await db.selectFrom('channels').select(['channel', 'state']).orderBy('channel').execute()).toEqual(
      [
        { channel: '0xa', state: 2 },
        { channel: '0xb', state: 1 },
      ],
    );
    expect(await db.selectFrom('delegates').selectAll().execute()).toEqual([]);

    await rollbackJournal(db, 1, 10);
    expect(await db.selectFrom('channels').select(['channel', 'state']).execute()).toEqual([
      { channel: '0xa', state: 1 },
    ]);
    expect(await db.selectFrom('journal').selectAll().execute()).toEqual([]);
  });

  it('keeps other chains journals apart and prunes finalised entries', async () => {
    const { db } = await backend.open();
    await createWriter(db, { chainId: 2, blockNumber: 5, journal: true }).put(
      'channels',
      channelRow('0xc', 1),
    );
    await rollbackJournal(db, 1, 0);
    expect(await db.selectFrom('channels').select('channel').execute()).toEqual([{ channel: '0xc' }]);
    await pruneJournal(db, 2, 5);
    await rollbackJournal(db, 2, 0);
    expect(await db.selectFrom('channels').select('channel').execute()).toEqual([{ channel: '0xc' }]);
  });
});

describe('openStore', () => {
  it('refuses an operator data dir that does not exist, with a hint', async () => {
    await expect(openStore({ dataDir: '/nonexistent/push', createDataDir: false })).rejects.toMatchObject({
      code: 'PUSH_ERR_DATA_DIR',
      hint: expect.stringContaining('mkdir -p /nonexistent/push'),
    });
  });

  it('reports an unreachable Postgres with PUSH_ERR_DB_UNREACHABLE', async () => {
    await expect(openStore({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none' })).rejects.toMatchObject({
      code: 'PUSH_ERR_DB_UNREACHABLE',
    });
  });
});
