/**
 * Resume (`lastId`) reads by admission order (id), not by send time: an item admitted while the client was away can
 * carry an older ts than the last one it saw — an on-chain notification has its block time, an eip155:-proof payload
 * its receipt's — and must still be sent. Targeted notifications to a non-subscriber (spam box): one over HTTP (seen
 * live), then, while the client is away, one from a SendNotification log mined a minute earlier. The client
 * reconnects with lastId = the HTTP item's payload_id and must receive the chain item before `resumed`.
 */ import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addr, CORE_CHAIN_ID, sdkSend, seedChannel } from '../../test/admission/support.js';
import { connected, type TestLiveApp, testLiveApp, until } from '../../test/api/fixtures.js';
import { testChainLog } from '../../test/support/chain-log.js';
import { storeBackends } from '../../test/support/store-backends.js';
import { chainInputKey } from '../ingest/chain/inputs.js';
import type { Store } from '../store/index.js';

const CH = 1;
const U = 12;
const userCaip = (n: number) => `eip155:${CORE_CHAIN_ID}:${getAddress(addr(n))}`;

type Item = { payload_id: number; payload: { data: { asub: string } } };

describe.each(storeBackends())('resume after an older-ts notification on $name', (backend) => {
  let store: Store;
  let api: TestLiveApp;

  beforeAll(async () => {
    store = await backend.open();
    await seedChannel(store.db, CH, { name: 'Resume' });
    api = await testLiveApp(store);
  });

  afterAll(async () => {
    await api.close();
    await backend.cleanup();
  });

  it('a chain notification admitted while away (older block time) is sent on resume', async () => {
    const first = api.open({ address: userCaip(U) });
    const seen: Item[] = [];
    first.on('userSpamFeeds', (i: Item) => seen.push(i));
    first.on('userFeeds', (i: Item) => seen.push(i));
    await connected(first);
    const body = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), {
      type: 3,
      recipients: [userCaip(U)],
      title: 'http',
    });
    expect(
      (await api.app.inject({ method: 'POST', url: '/apis/v1/payloads/', payload: body })).statusCode,
    ).toBe(204);
    await until(() => seen.length === 1);
    const lastId = seen[0]!.payload_id;
    first.close();

    // While the client is away the indexer delivers a SendNotification from a block mined a minute ago.
    const log = testChainLog(
      'SendNotification',
      { channel: addr(CH), recipient: addr(U), identity: '0+3+chain+sent on chain' },
      { blockNumber: 100, timestamp: Math.floor(Date.now() / 1000) - 60 },
    );
    await store.db
      .insertInto('inputs')
      .values({
        key: chainInputKey(log),
        kind: 'chain',
        event: 'SendNotification',
        chain_id: log.chainId,
        block_number: log.blockNumber,
        block_hash: log.blockHash,
        log_index: log.logIndex,
        tx_hash: log.txHash,
        body: JSON.stringify({ args: log.args }),
        ts: log.timestamp * 1000,
        created_at: Date.now(),
      })
      .execute();
    const admitted = await api.admission.admitChainNotification(log);
    expect(admitted?.status).toBe('admitted');
    expect(admitted!.notificationId).toBeGreaterThan(lastId);
    // The REST spam box lists it (older, so second): the node has it.
    const spam = (
      await api.app.inject(`/apis/v1/users/${userCaip(U)}/feeds?page=1&limit=10&spam=true`)
    ).json();
    expect(spam.feeds.map((f: Item) => f.payload_id)).toEqual([lastId, admitted!.notificationId]);

    const back = api.open({ address: userCaip(U), lastId: String(lastId) });
    const got: Item[] = [];
    back.on('userSpamFeeds', (i: Item) => got.push(i));
    back.on('userFeeds', (i: Item) => got.push(i));
    let resumed: { count: number } | null = null;
    back.on('resumed', (r) => {
      resumed = r;
    });
    await until(() => resumed !== null);
    expect(got.map((g) => g.payload_id)).toEqual([admitted!.notificationId]);
    expect(resumed).toMatchObject({ count: 1 });
  });
});
