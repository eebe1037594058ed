/**
 * What an alias chain recorded before its alias's handshake completed is applied when it does, journaled under each
 * log's own alias-chain block: a reorg of the alias chain undoes it whichever chain the node indexed first, as a
 * from-scratch index of the canonical chains would have it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ChainLog } from '../../src/chains/types.js';
import { projectionSnapshot } from '../support/projections.js';
import { storeBackends } from '../support/store-backends.js';
import { aliasActivity, aliasConfirm, coreDeclaration as coreLogs, T0 } from './alias-scenario.js';
import { ALIAS_CHAIN_ID, CORE_CHAIN_ID, testAdmission } from './support.js';

// Unfinalised alias-chain blocks 51 and 52, reorged away later.
const aliasOrphans = aliasActivity;

describe.each(storeBackends())('alias replay vs an alias-chain reorg on $name', (backend) => {
  afterAll(() => backend.cleanup());

  async function run(order: 'core-first' | 'alias-first' | 'canonical-only') {
    const store = await backend.open();
    const { sink } = testAdmission(store, { now: () => (T0 + 3600) * 1000 });
    const core = () =>
      sink.apply(CORE_CHAIN_ID, {
        fromBlock: 100,
        toBlock: 100,
        logs: coreLogs,
        blocks: [],
        finalizedBlock: 100,
      });
    const alias = (logs: ChainLog[], toBlock: number) =>
      sink.apply(ALIAS_CHAIN_ID, { fromBlock: 50, toBlock, logs, blocks: [], finalizedBlock: 50 });
    if (order === 'canonical-only') {
      await core();
      await alias([aliasConfirm], 52);
    } else {
      if (order === 'core-first') await core();
      await alias([aliasConfirm, ...aliasOrphans], 52);
      if (order === 'alias-first') await core();
      // The alias chain reorgs blocks 51-52 away (the new branch holds nothing of ours).
      await sink.rollback(ALIAS_CHAIN_ID, 50);
    }
    const snap = await projectionSnapshot(store.db);
    const notifications = await store.db.selectFrom('notifications').select('input_key').execute();
    return {
      subscriptions: snap.subscriptions.map((s) => ({
        channel: s.channel,
        subscriber: s.subscriber,
        subscribed: Number(s.subscribed),
      })),
      notifications: notifications.length,
      inputs: snap.inputs.length,
    };
  }

  it('core first: the reorg undoes the alias opt-in and notification', async () => {
    expect(await run('core-first')).toEqual(await run('canonical-only'));
  });

  it('alias first: the reorg undoes the replayed alias opt-in and notification too', async () => {
    expect(await run('alias-first')).toEqual(await run('canonical-only'));
  });
});
