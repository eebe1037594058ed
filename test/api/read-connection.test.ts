import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainLog, Hex } from '../../src/chains/types.js';
import { createStoreChainSink } from '../../src/ingest/chain/sink.js';
import { openStore, type Store } from '../../src/store/index.js';
import { addr, CORE_CHAIN_ID, sdkSend, seedChannel } from '../admission/support.js';
import { answeredWhileHeld, type HeldTransaction, holdTransaction } from '../support/held-transaction.js';
import { testTempDirs } from '../support/temp-dir.js';
import { type TestLiveApp, testLiveApp } from './fixtures.js';

const CH = 1;
const LATE_CHANNELS = [2, 3];
const U1 = 11;
const userCaip = (n: number) => `eip155:${CORE_CHAIN_ID}:${getAddress(addr(n))}`;
type Item = { payload_id: number; payload: { data: { asub: string } } };

/**
 * On a SQLite file the API reads on the store's read connection: a write transaction open across event-loop turns
 * (as a chain batch that yields would be) no longer holds up requests. Here one that adds a channel is held open
 * while requests and a resuming socket are answered; on the writer's connection they waited for its commit (the
 * guard fails in 5 s).
 */
describe('API reads on a SQLite file while a chain batch transaction is open', () => {
  const dirs = testTempDirs('push-read-api-');
  let store: Store;
  let api: TestLiveApp;
  let held: HeldTransaction | null = null;

  beforeAll(async () => {
    store = await openStore({ sqlitePath: join(dirs.make(), 'db.sqlite') });
    await seedChannel(store.db, CH, { name: 'Committed' });
    api = await testLiveApp(store);
    for (const title of ['m1', 'm2']) {
      const body = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { type: 3, recipients: [userCaip(U1)], title });
      const res = await api.app.inject({ method: 'POST', url: '/apis/v1/payloads/', payload: body });
      expect(res.statusCode).toBe(204);
    }
  });

  afterAll(async () => {
    await held?.release();
    await api?.close();
    await store?.close();
    dirs.removeAll();
  });

  /** Holds open a transaction that adds channel `owner`, as a chain batch would. */
  const holdBatch = async (owner: number) => {
    held = await holdTransaction(store.db, (tx) => seedChannel(tx, owner, { name: 'Uncommitted' }));
  };
  const releaseBatch = async () => {
    const h = held;
    held = null;
    await h?.release();
  };

  it('GET /apis/v1/channels and a user feed answer with the committed state; the batch shows once committed', async () => {
    await holdBatch(LATE_CHANNELS[0]!);
    let channels: string[];
    let feed: string[];
    try {
      const list = await answeredWhileHeld(api.app.inject('/apis/v1/channels'), 'GET /apis/v1/channels');
      expect(list.statusCode).toBe(200);
      channels = list.json().channels.map((c: { channel: string }) => c.channel);
      // U1 subscribes to nothing: a targeted notification lands in the spam feed.
      const url = `/apis/v1/users/${userCaip(U1)}/feeds?page=1&limit=10&spam=true`;
      const feeds = await answeredWhileHeld(api.app.inject(url), 'GET a user feed');
      expect(feeds.statusCode).toBe(200);
      feed = feeds.json().feeds.map((f: Item) => f.payload.data.asub);
    } finally {
      await releaseBatch();
    }
    expect(channels).toEqual([getAddress(addr(CH))]);
    expect(feed).toEqual(['m2', 'm1']);
    const after = (await api.app.inject('/apis/v1/channels')).json();
    expect(after.channels.map((c: { channel: string }) => c.channel).sort()).toEqual(
      [getAddress(addr(CH)), getAddress(addr(LATE_CHANNELS[0]!))].sort(),
    );
  });

  it('a socket resuming with lastId gets its backlog meanwhile', async () => {
    await holdBatch(LATE_CHANNELS[1]!);
    let backlog: string[];
    let resumed: { count: number; truncated: boolean };
    try {
      const socket = api.open({ address: userCaip(U1), lastId: '0' });
      const got: string[] = [];
      socket.on('userSpamFeeds', (item: Item) => got.push(item.payload.data.asub));
      const answer = new Promise<{ count: number; truncated: boolean }>((r) => socket.once('resumed', r));
      resumed = await answeredWhileHeld(answer, 'a resuming socket');
      backlog = got;
    } finally {
      await releaseBatch();
    }
    expect(resumed).toMatchObject({ count: 2, truncated: false });
    expect(backlog).toEqual(['m1', 'm2']);
  });

  it('a chain batch of 10,000 opt-ins lets an HTTP read through before it commits', async () => {
    const word = (n: number, digits = 64) => `0x${n.toString(16).padStart(digits, '0')}` as Hex;
    const [channel, comm] = [addr(CH), addr(99) as Hex];
    const logs: ChainLog[] = Array.from({ length: 10_000 }, (_, i) => ({
      chainId: CORE_CHAIN_ID,
      blockNumber: 1 + Math.floor(i / 500),
      blockHash: word(1 + Math.floor(i / 500)),
      logIndex: i % 500,
      txHash: word(1_000_000 + i),
      txIndex: 0,
      address: comm,
      contract: 'comm',
      event: 'Subscribe',
      args: { channel, user: word(0x5000 + i, 40) },
      timestamp: 1_700_000_000,
      topic0: word(0),
    }));
    const sink = createStoreChainSink({
      store,
      coreChainId: CORE_CHAIN_ID,
      logger: pino({ level: 'silent' }),
    });
    const order: string[] = [];
    const applied = sink
      .apply(CORE_CHAIN_ID, { fromBlock: 1, toBlock: 20, logs, blocks: [], finalizedBlock: 100 })
      .then(() => order.push('batch committed'));
    // A real request (socket I/O), which cannot be served unless the event loop turns during the batch.
    const { port } = api.app.server.address() as AddressInfo;
    const read = fetch(`http://127.0.0.1:${port}/apis/v1/channels`).then(async (res) => {
      order.push('read answered');
      return (await res.json()) as { channels: { channel: string; subscriber_count: number }[] };
    });
    const [list] = await Promise.all([read, applied]);
    expect(order).toEqual(['read answered', 'batch committed']);
    // It read the state before the batch: none of its opt-ins yet.
    expect(list.channels.find((c) => c.channel === getAddress(addr(CH)))?.subscriber_count).toBe(0);
    const after = (await api.app.inject('/apis/v1/channels')).json();
    expect(
      after.channels.find((c: { channel: string }) => c.channel === getAddress(addr(CH))).subscriber_count,
    ).toBe(10_000);
  });
});
