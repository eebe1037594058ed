/**
 * Alias handshake vs reorgs: the orders and chains of events beside alias-core-reorg.test.ts (feed entries, another
 * alias account on the new branch, rollbacks of both chains in either order, an orphaned RemoveChannelAlias), each
 * compared with a from-scratch index of the final chains, on both stores.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ChainLog } from '../../src/chains/types.js';
import type { Store } from '../../src/store/index.js';
import { testBlockHash, testChainLog } from '../support/chain-log.js';
import { storeBackends } from '../support/store-backends.js';
import { ALIAS, aliasActivity, aliasConfirm, CH, coreDeclaration, T0, USER } from './alias-scenario.js';
import { ALIAS_CHAIN_ID, addr, CORE_CHAIN_ID, testAdmission } from './support.js';

const [addChannel, declaration] = coreDeclaration as [ChainLog, ChainLog];
const created: ChainLog = { ...addChannel, blockNumber: 90, blockHash: testBlockHash(CORE_CHAIN_ID, 90) };
const FORK_HASH = `0x${'fe'.repeat(32)}` as const;
const OTHER_ALIAS = 4;
/** The new branch declares another alias account. */
const declareOther: ChainLog = {
  ...declaration,
  blockHash: FORK_HASH,
  args: { ...declaration.args, _ethereumChannelAddress: `eip155:${ALIAS_CHAIN_ID}:${addr(OTHER_ALIAS)}` },
};
/** A targeted notification from the alias to USER (one feed entry). */
const targeted = testChainLog(
  'SendNotification',
  { channel: addr(ALIAS), recipient: addr(USER), identity: '0+3+To you+from the alias chain' },
  { chainId: ALIAS_CHAIN_ID, blockNumber: 52, logIndex: 1, timestamp: T0 + 181 },
);
const aliasLogs = [aliasConfirm, ...aliasActivity, targeted];

async function state(store: Store) {
  const subscriptions = await store.db
    .selectFrom('subscriptions')
    .select(['channel', 'subscriber', 'subscribed'])
    .orderBy('channel')
    .orderBy('subscriber')
    .execute();
  const notifications = await store.db
    .selectFrom('notifications')
    .select(['channel', 'chain_id', 'type'])
    .orderBy('type')
    .execute();
  const entries = await store.db.selectFrom('feed_entries').select(['recipient', 'box']).execute();
  const periods = await store.db
    .selectFrom('subscription_periods')
    .select(['channel', 'subscriber'])
    .execute();
  const counts = await store.db
    .selectFrom('channel_subscriber_counts')
    .select(['channel', 'n'])
    .where('n', '<>', 0)
    .execute();
  const aliases = await store.db
    .selectFrom('aliases')
    .select(['alias_address', 'channel', 'declared', 'confirmed'])
    .orderBy('alias_address')
    .execute();
  return {
    subscriptions: subscriptions.map((s) => ({ ...s, subscribed: Number(s.subscribed) })),
    periods,
    notifications: notifications.map((n) => ({ ...n, chain_id: Number(n.chain_id), type: Number(n.type) })),
    entries,
    counts: counts.map((c) => ({ ...c, n: Number(c.n) })),
    verifiedAliases: aliases
      .filter((a) => Number(a.declared) === 1 && Number(a.confirmed) === 1)
      .map((a) => ({ alias: a.alias_address, channel: a.channel })),
  };
}

describe.each(storeBackends())('alias reorg chains of events on $name', (backend) => {
  afterAll(() => backend.cleanup());

  function setup(store: Store) {
    const { sink } = testAdmission(store, { now: () => (T0 + 3600) * 1000 });
    const core = (logs: ChainLog[], opts: { fork?: boolean; finalized?: number } = {}) =>
      sink.apply(CORE_CHAIN_ID, {
        fromBlock: 90,
        toBlock: 100,
        logs,
        blocks: opts.fork
          ? [{ number: 100, hash: FORK_HASH, parentHash: testBlockHash(CORE_CHAIN_ID, 99), timestamp: T0 }]
          : [],
        finalizedBlock: opts.finalized ?? 95,
      });
    const alias = (finalized: number, logs: ChainLog[] = aliasLogs) =>
      sink.apply(ALIAS_CHAIN_ID, { fromBlock: 50, toBlock: 52, logs, blocks: [], finalizedBlock: finalized });
    return { sink, core, alias };
  }

  async function fromScratch(coreLogs: ChainLog[], aliasFirst = false) {
    const store = await backend.open();
    const { core, alias } = setup(store);
    if (aliasFirst) await alias(52);
    await core(coreLogs, { finalized: 100 });
    if (!aliasFirst) await alias(52);
    return state(store);
  }

  for (const order of ['core-first', 'alias-first'] as const) {
    it(`${order}: orphaned declaration, targeted notification with a feed entry: entries go too`, async () => {
      const store = await backend.open();
      const { sink, core, alias } = setup(store);
      if (order === 'core-first') await core([created, declaration]);
      await alias(52);
      if (order === 'alias-first') await core([created, declaration]);
      expect((await state(store)).entries.length).toBeGreaterThan(0);
      await sink.rollback(CORE_CHAIN_ID, 99);
      expect(await state(store)).toEqual(await fromScratch([created]));
    });

    it(`${order}: orphaned declaration, the new branch declares ANOTHER alias account`, async () => {
      const store = await backend.open();
      const { sink, core, alias } = setup(store);
      if (order === 'core-first') await core([created, declaration]);
      await alias(52);
      if (order === 'alias-first') await core([created, declaration]);
      await sink.rollback(CORE_CHAIN_ID, 99);
      await core([declareOther], { fork: true });
      expect(await state(store)).toEqual(await fromScratch([created, { ...declareOther }]));
    });

    it(`${order}: core rollback, then the alias chain rolls back the handshake too and re-applies it`, async () => {
      const store = await backend.open();
      const { sink, core, alias } = setup(store);
      if (order === 'core-first') await core([created, declaration]);
      await alias(49);
      if (order === 'alias-first') await core([created, declaration]);
      await sink.rollback(CORE_CHAIN_ID, 99);
      await sink.rollback(ALIAS_CHAIN_ID, 49);
      await alias(
        52,
        aliasLogs.map((l) => ({ ...l, blockHash: testBlockHash(ALIAS_CHAIN_ID, l.blockNumber + 1000) })),
      );
      expect(await state(store)).toEqual(await fromScratch([created]));
    });

    it(`${order}: alias rollback first, then the core rollback of the declaration`, async () => {
      const store = await backend.open();
      const { sink, core, alias } = setup(store);
      if (order === 'core-first') await core([created, declaration]);
      await alias(49);
      if (order === 'alias-first') await core([created, declaration]);
      await sink.rollback(ALIAS_CHAIN_ID, 49);
      await sink.rollback(CORE_CHAIN_ID, 99);
      await alias(52);
      expect(await state(store)).toEqual(await fromScratch([created]));
    });
  }

  it('an orphaned RemoveChannelAlias on the core chain restores the verified alias', async () => {
    const store = await backend.open();
    const { sink, core, alias } = setup(store);
    const decl95: ChainLog = { ...declaration, blockNumber: 95, blockHash: testBlockHash(CORE_CHAIN_ID, 95) };
    const removal = testChainLog(
      'RemoveChannelAlias',
      {
        _chainName: 'POLYGON_TEST_AMOY',
        _chainID: BigInt(CORE_CHAIN_ID),
        _channelOwnerAddress: addr(CH),
        _baseChannelAddress: `eip155:${ALIAS_CHAIN_ID}:${addr(ALIAS)}`,
      },
      { blockNumber: 100, timestamp: T0 + 1000 },
    );
    await core([created, decl95]);
    await alias(52);
    await core([removal]);
    expect((await state(store)).verifiedAliases).toEqual([]);
    await sink.rollback(CORE_CHAIN_ID, 99);
    expect(await state(store)).toEqual(await fromScratch([created, decl95]));
  });
});
