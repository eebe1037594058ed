import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationBackends } from '../../../test/support/migration-backends.js';

describe.each(migrationBackends())('migration 009-input-channel on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it('records the channel of the opt-in and notification logs already recorded, and of nothing else', async () => {
    const { database, migrator } = await backend.open();
    expect((await migrator.migrateTo('008-subscriber-counts')).error).toBeUndefined();
    const db = database.db;
    const CH = '0x00000000000000000000000000000000000000Aa';
    const row = (logIndex: number, kind: 'chain' | 'http', event: string, args: Record<string, unknown>) => ({
      key: `k${logIndex}`,
      kind,
      event,
      chain_id: 80002,
      block_number: 7,
      block_hash: '0xb',
      log_index: logIndex,
      tx_hash: '0xt',
      body: JSON.stringify({ contract: 'comm', address: '0xc', topic0: '0x0', txIndex: 0, args }),
      ts: 1,
      created_at: 1,
    });
    await db
      .insertInto('inputs')
      .values([
        row(0, 'chain', 'Subscribe', { channel: CH, user: '0xu' }),
        row(1, 'chain', 'Unsubscribe', { channel: CH, user: '0xu' }),
        row(2, 'chain', 'UserNotifcationSettingsAdded', { _channel: CH, _user: '0xu' }),
        row(3, 'chain', 'SendNotification', { channel: CH, recipient: '0xr', identity: '0x' }),
        row(4, 'chain', 'ChannelAlias', { _channelOwnerAddress: CH, _ethereumChannelAddress: 'x' }),
        row(5, 'http', 'Subscribe', { channel: CH }),
      ])
      .execute();

    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const rows = await db
      .selectFrom('inputs')
      .select(['log_index', 'channel'])
      .orderBy('log_index')
      .execute();
    const lower = CH.toLowerCase();
    expect(rows.map((r) => [Number(r.log_index), r.channel])).toEqual([
      [0, lower],
      [1, lower],
      [2, lower],
      [3, lower],
      [4, null],
      [5, null],
    ]);
  });

  it('is not stopped by a body recorded with an escaped U+0000 (decoded as such before chainText)', async () => {
    const { database, migrator } = await backend.open();
    expect((await migrator.migrateTo('008-subscriber-counts')).error).toBeUndefined();
    const CH = '0x00000000000000000000000000000000000000Bb';
    // A refused SendNotification (malformed identity) kept its input row; Postgres jsonb refuses \u0000.
    const args = { channel: CH, recipient: '0xr', identity: '0+3\u0000+T' };
    await database.db
      .insertInto('inputs')
      .values({
        key: 'nul',
        kind: 'chain',
        event: 'SendNotification',
        chain_id: 80002,
        block_number: 7,
        block_hash: '0xb',
        log_index: 0,
        tx_hash: '0xt',
        body: JSON.stringify({ contract: 'comm', address: '0xc', topic0: '0x0', txIndex: 0, args }),
        ts: 1,
        created_at: 1,
      })
      .execute();
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const row = await database.db
      .selectFrom('inputs')
      .select('channel')
      .where('key', '=', 'nul')
      .executeTakeFirst();
    expect(row?.channel).toBe(CH.toLowerCase());
  });

  it.runIf(backend.name === 'sqlite')(
    'looks a channel up through its index, not by reading the chain',
    async () => {
      const { database, migrator } = await backend.open();
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      const { rows } = await sql<{ detail: string }>`explain query plan
      select * from inputs where chain_id = 1 and channel = '0xa' and kind = 'chain'
      order by block_number, log_index`.execute(database.db);
      expect(rows.map((r) => r.detail).join('\n')).toMatch(/USING INDEX inputs_chain_channel/);
    },
  );
});
