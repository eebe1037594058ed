/**
 * An alias declared by channel metadata (`aliasDetails`, step 1 of the handshake) after its confirmation was indexed
 * survives a reorg of the alias chain: the declaration was not made by the alias chain, so rolling that chain back must
 * not take it away — whether the new branch confirms again (the handshake completes again, its opt-in counts) or not
 * (the alias stays declared, unconfirmed). Each end state equals a from-scratch index of the final chains, both stores.
 */
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChainLog } from '../../src/chains/types.js';
import type { IpfsClient } from '../../src/content/ipfs.js';
import { createChannelMetadataWorker } from '../../src/ingest/channel-metadata.js';
import type { Store } from '../../src/store/index.js';
import { testChainLog } from '../support/chain-log.js';
import { storeBackends } from '../support/store-backends.js';
import { ALIAS, aliasConfirm, CH, T0, USER } from './alias-scenario.js';
import { ALIAS_CHAIN_ID, addr, CORE_CHAIN_ID, testAdmission } from './support.js';

const logger = pino({ level: 'silent' });
const CID = 'bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a';
const NOW = (T0 + 3600) * 1000;

const created = testChainLog(
  'AddChannel',
  { channel: addr(CH), channelType: 2n, identity: `1+${CID}` },
  { blockNumber: 90, timestamp: T0 },
);
const optIn = testChainLog(
  'Subscribe',
  { channel: addr(ALIAS), user: addr(USER) },
  { chainId: ALIAS_CHAIN_ID, blockNumber: 51, timestamp: T0 + 120 },
);
/** Updated metadata (UpdateChannel to this CID) declares another alias account on the same chain. */
const CID2 = 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4';
const OTHER_ALIAS = 4;
const ipfs: IpfsClient = {
  fetch: async () => new Uint8Array(),
  fetchJson: async (cid: string) => ({
    name: 'Declared in metadata',
    info: 'i',
    url: 'https://one.example',
    icon: 'https://one.example/i.png',
    aliasDetails: { [`eip155:${ALIAS_CHAIN_ID}`]: addr(cid === CID2 ? OTHER_ALIAS : ALIAS) },
  }),
};
const updated = testChainLog(
  'UpdateChannel',
  { channel: addr(CH), identity: `1+${CID2}` },
  { blockNumber: 95, timestamp: T0 + 3000 },
);

async function state(store: Store) {
  const aliases = await store.db
    .selectFrom('aliases')
    .select(['alias_address', 'channel', 'declared', 'confirmed', 'declare_proof'])
    .execute();
  const subscriptions = await store.db
    .selectFrom('subscriptions')
    .select(['channel', 'subscriber', 'subscribed'])
    .orderBy('channel')
    .execute();
  return {
    aliases: aliases.map((a) => ({ ...a, declared: Number(a.declared), confirmed: Number(a.confirmed) })),
    subscriptions: subscriptions.map((s) => ({ ...s, subscribed: Number(s.subscribed) })),
  };
}

describe.each(storeBackends())('a metadata-declared alias vs an alias-chain reorg on $name', (backend) => {
  afterAll(() => backend.cleanup());

  function setup(store: Store) {
    const { sink, admission } = testAdmission(store, { now: () => NOW });
    const worker = createChannelMetadataWorker({
      store,
      ipfs,
      logger,
      coreChainId: CORE_CHAIN_ID,
      notifications: admission.chainDoor,
      now: () => NOW,
    });
    const core = (logs: ChainLog[] = [created]) =>
      sink.apply(CORE_CHAIN_ID, {
        fromBlock: 90,
        toBlock: 100,
        logs,
        blocks: [],
        finalizedBlock: 100,
      });
    const alias = (logs: ChainLog[], finalizedBlock: number) =>
      sink.apply(ALIAS_CHAIN_ID, { fromBlock: 50, toBlock: 52, logs, blocks: [], finalizedBlock });
    return { sink, worker, core, alias };
  }

  async function fromScratch(aliasLogs: ChainLog[], coreLogs: ChainLog[] = [created]) {
    const store = await backend.open();
    const { worker, core, alias } = setup(store);
    await core(coreLogs);
    await worker.runOnce();
    await alias(aliasLogs, 52);
    return state(store);
  }

  for (const reconfirmed of [true, false]) {
    it(`confirmation, then metadata; the alias chain reorgs ${reconfirmed ? 'and confirms again' : 'without the confirmation'}`, async () => {
      const store = await backend.open();
      const { sink, worker, core, alias } = setup(store);
      await core();
      // The alias chain first: its confirmation and an opt-in, not final yet (journaled under the alias chain).
      await alias([aliasConfirm, optIn], 45);
      // Then the channel's metadata arrives and declares the alias: the handshake completes, the opt-in counts.
      await worker.runOnce();
      const complete = await state(store);
      expect(complete.aliases).toMatchObject([{ declared: 1, confirmed: 1 }]);
      expect(complete.subscriptions).toEqual([{ channel: addr(CH), subscriber: addr(USER), subscribed: 1 }]);

      await sink.rollback(ALIAS_CHAIN_ID, 49);
      const finalLogs = reconfirmed ? [aliasConfirm, optIn] : [optIn];
      await alias(finalLogs, 52);
      expect(await state(store)).toEqual(await fromScratch(finalLogs));
    });
  }

  it('an alias the metadata declared, then replaced by updated metadata, stays replaced after an alias-chain reorg', async () => {
    const store = await backend.open();
    const { sink, worker, core, alias } = setup(store);
    await core();
    await worker.runOnce();
    // The alias confirms (not final yet): the handshake completes.
    await alias([aliasConfirm, optIn], 45);
    // The channel's updated metadata declares another account on that chain instead.
    await core([updated]);
    await worker.runOnce();
    await sink.rollback(ALIAS_CHAIN_ID, 49);
    await alias([aliasConfirm, optIn], 52);
    expect(await state(store)).toEqual(await fromScratch([aliasConfirm, optIn], [created, updated]));
  });
});
