/**
 * A reorg that undoes an opt-in reaches live fan-out too: the sink's rollback reports the opt-ins it restored through
 * `onSubscriptions`, so a connected wallet stops receiving the broadcasts its inbox no longer lists.
 */
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStoreChainSink } from '../../src/ingest/chain/sink.js';
import type { Store } from '../../src/store/index.js';
import { addr, CORE_CHAIN_ID, sdkSend, seedChannel } from '../admission/support.js';
import { testBlockHash, testChainLog } from '../support/chain-log.js';
import { storeBackends } from '../support/store-backends.js';
import { connected, logger, type TestLiveApp, testLiveApp, until } from './fixtures.js';

const CH = 1;
const U = 14;
const userCaip = `eip155:${CORE_CHAIN_ID}:${getAddress(addr(U))}`;
type Item = { payload_id: number; payload: { data: { asub: string } } };

describe.each(storeBackends())('reorged opt-in and the live index on $name', (backend) => {
  let store: Store;
  let api: TestLiveApp;

  beforeAll(async () => {
    store = await backend.open();
    await seedChannel(store.db, CH, { name: 'Reorg' });
    api = await testLiveApp(store);
  });

  afterAll(async () => {
    await api.close();
    await backend.cleanup();
  });

  it('a socket stops receiving broadcasts once a reorg removed its on-chain Subscribe', async () => {
    // Wired as node.ts wires it.
    const sink = createStoreChainSink({
      store,
      coreChainId: CORE_CHAIN_ID,
      logger,
      onSubscriptions: (rows) => {
        for (const r of rows) api.realtime.noteSubscription(r);
      },
    });
    const s = api.open({ address: userCaip });
    const got: Item[] = [];
    s.on('userFeeds', (i: Item) => got.push(i));
    await connected(s);
    await new Promise((r) => setTimeout(r, 100)); // its (empty) subscriptions are loaded

    const block = (n: number) => ({
      number: n,
      hash: testBlockHash(CORE_CHAIN_ID, n),
      parentHash: testBlockHash(CORE_CHAIN_ID, n - 1),
      timestamp: Math.floor(Date.now() / 1000) - 5,
    });
    const subscribeLog = testChainLog(
      'Subscribe',
      { channel: addr(CH), user: addr(U) },
      { blockNumber: 10, timestamp: block(10).timestamp },
    );
    await sink.apply(CORE_CHAIN_ID, {
      fromBlock: 9,
      toBlock: 10,
      logs: [subscribeLog],
      blocks: [block(9), block(10)],
      finalizedBlock: 9,
    });
    const send = async (title: string) =>
      expect(
        (
          await api.app.inject({
            method: 'POST',
            url: '/apis/v1/payloads/',
            payload: await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title }),
          })
        ).statusCode,
      ).toBe(204);
    await send('while subscribed');
    await until(() => got.length === 1);

    // Block 10 is reorged out: the opt-in never happened.
    await sink.rollback(CORE_CHAIN_ID, 9);
    const subs = (await api.app.inject(`/apis/v1/users/${userCaip}/subscriptions?`)).json();
    expect(subs.subscriptions).toEqual([]);

    await send('after the reorg');
    await new Promise((r) => setTimeout(r, 300));
    const inbox = (
      await api.app.inject(`/apis/v1/users/${userCaip}/feeds?page=1&limit=10&spam=false`)
    ).json();
    expect(inbox.feeds.map((f: Item) => f.payload.data.asub)).not.toContain('after the reorg');
    // Fails today: the socket still gets it.
    expect(got.map((g) => g.payload.data.asub)).toEqual(['while subscribed']);
  });
});
