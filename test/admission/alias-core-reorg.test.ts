/**
 * A core-chain reorg that orphans an alias declaration undoes what the alias chain's logs did for the channel through
 * that handshake (its opt-ins and notifications, including those applied from final alias-chain blocks), whichever
 * chain the node indexed first; a new branch that declares the alias again applies them again. The store ends as a
 * from-scratch index of the final chains would have it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ChainLog } from '../../src/chains/types.js';
import type { Store } from '../../src/store/index.js';
import { testBlockHash } from '../support/chain-log.js';
import { storeBackends } from '../support/store-backends.js';
import { aliasActivity, aliasConfirm, coreDeclaration, T0 } from './alias-scenario.js';
import { ALIAS_CHAIN_ID, CORE_CHAIN_ID, testAdmission } from './support.js';

// The channel is created in final block 90; it declares its alias in block 100, which a reorg orphans.
const [addChannel, declaration] = coreDeclaration as [ChainLog, ChainLog];
const created: ChainLog = { ...addChannel, blockNumber: 90, blockHash: testBlockHash(CORE_CHAIN_ID, 90) };
const FORK_HASH = `0x${'fe'.repeat(32)}` as const;
const redeclared: ChainLog = { ...declaration, blockHash: FORK_HASH };

async function state(store: Store) {
  const subscriptions = await store.db
    .selectFrom('subscriptions')
    .select(['channel', 'subscriber', 'subscribed'])
    .orderBy('channel')
    .orderBy('subscriber')
    .execute();
  const notifications = await store.db.selectFrom('notifications').select(['channel', 'chain_id']).execute();
  const periods = await store.db
    .selectFrom('subscription_periods')
    .select(['channel', 'subscriber'])
    .execute();
  return {
    subscriptions: subscriptions.map((s) => ({ ...s, subscribed: Number(s.subscribed) })),
    periods,
    notifications: notifications.map((n) => ({ ...n, chain_id: Number(n.chain_id) })),
  };
}

describe.each(storeBackends())('alias effects vs a core-chain reorg on $name', (backend) => {
  afterAll(() => backend.cleanup());

  async function index(
    order: 'core-first' | 'alias-first',
    then: 'orphan' | 'orphan-and-redeclare' | 'none',
  ) {
    const store = await backend.open();
    const { sink } = testAdmission(store, { now: () => (T0 + 3600) * 1000 });
    const core = (logs: ChainLog[], fork?: boolean) =>
      sink.apply(CORE_CHAIN_ID, {
        fromBlock: 90,
        toBlock: 100,
        logs,
        blocks: fork
          ? [{ number: 100, hash: FORK_HASH, parentHash: testBlockHash(CORE_CHAIN_ID, 99), timestamp: T0 }]
          : [],
        finalizedBlock: 95,
      });
    // Every alias-chain block is final: nothing of it is journaled under the alias chain.
    const alias = () =>
      sink.apply(ALIAS_CHAIN_ID, {
        fromBlock: 50,
        toBlock: 52,
        logs: [aliasConfirm, ...aliasActivity],
        blocks: [],
        finalizedBlock: 52,
      });
    if (order === 'core-first') await core([created, declaration]);
    await alias();
    if (order === 'alias-first') await core([created, declaration]);
    if (then !== 'none') {
      await sink.rollback(CORE_CHAIN_ID, 99);
      if (then === 'orphan-and-redeclare') await core([redeclared], true);
    }
    return state(store);
  }

  /** The same chains indexed from scratch: the alias chain, and the core chain without (or with) the declaration. */
  async function fromScratch(declared: boolean) {
    const store = await backend.open();
    const { sink } = testAdmission(store, { now: () => (T0 + 3600) * 1000 });
    await sink.apply(CORE_CHAIN_ID, {
      fromBlock: 90,
      toBlock: 100,
      logs: declared ? [created, redeclared] : [created],
      blocks: [],
      finalizedBlock: 100,
    });
    await sink.apply(ALIAS_CHAIN_ID, {
      fromBlock: 50,
      toBlock: 52,
      logs: [aliasConfirm, ...aliasActivity],
      blocks: [],
      finalizedBlock: 52,
    });
    return state(store);
  }

  for (const order of ['core-first', 'alias-first'] as const) {
    it(`${order}: orphaning the declaration undoes the alias opt-in and notification`, async () => {
      const before = await index(order, 'none');
      // Sanity: through the handshake, the alias chain's opt-in and broadcast count for the channel.
      expect(before.subscriptions).toHaveLength(1);
      expect(before.notifications).toEqual([{ channel: expect.any(String), chain_id: ALIAS_CHAIN_ID }]);
      const after = await index(order, 'orphan');
      expect(after).toEqual(await fromScratch(false));
      expect(after.subscriptions).toEqual([]);
      expect(after.notifications).toEqual([]);
    });

    it(`${order}: a new branch that declares the alias again applies them again`, async () => {
      expect(await index(order, 'orphan-and-redeclare')).toEqual(await fromScratch(true));
    });
  }

  // The mirror: the alias confirms in unfinalised alias block 50, the core chain's declaration is indexed after it, and
  // the alias chain reorgs block 50 away and confirms again on its new branch (block 50').
  it('an alias-chain reorg of the confirmation keeps the declaration indexed after it: the new branch completes it', async () => {
    const ALIAS_FORK = `0x${'fa'.repeat(32)}` as const;
    const reconfirm: ChainLog = { ...aliasConfirm, blockHash: ALIAS_FORK };
    const store = await backend.open();
    const { sink } = testAdmission(store, { now: () => (T0 + 3600) * 1000 });
    await sink.apply(ALIAS_CHAIN_ID, {
      fromBlock: 50,
      toBlock: 52,
      logs: [aliasConfirm, ...aliasActivity],
      blocks: [],
      finalizedBlock: 49,
    });
    await sink.apply(CORE_CHAIN_ID, {
      fromBlock: 90,
      toBlock: 100,
      logs: [created, declaration],
      blocks: [],
      finalizedBlock: 100,
    });
    expect((await state(store)).subscriptions).toHaveLength(1);
    await sink.rollback(ALIAS_CHAIN_ID, 49);
    // The new branch holds the confirmation again, and the same activity.
    await sink.apply(ALIAS_CHAIN_ID, {
      fromBlock: 50,
      toBlock: 52,
      logs: [
        reconfirm,
        ...aliasActivity.map((l) => ({
          ...l,
          blockHash: testBlockHash(ALIAS_CHAIN_ID, l.blockNumber + 1000),
        })),
      ],
      blocks: [],
      finalizedBlock: 52,
    });
    expect(await state(store)).toEqual(await fromScratch(true));
  });
});
