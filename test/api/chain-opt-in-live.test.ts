import { join } from 'node:path';
import pino from 'pino';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStoreChainSink } from '../../src/ingest/chain/sink.js';
import { openStore, type Store } from '../../src/store/index.js';
import { addr, CORE_CHAIN_ID, sdkSend, seedChannel } from '../admission/support.js';
import { testChainLog } from '../support/chain-log.js';
import { testTempDirs } from '../support/temp-dir.js';
import { connected, type TestLiveApp, testLiveApp } from './fixtures.js';

const CH = 1;
const X = 11;
const caip = (n: number) => `eip155:${CORE_CHAIN_ID}:${getAddress(addr(n))}`;
type Item = { payload: { data: { asub: string } } };

/**
 * A chain batch's opt-ins reach the live index before anything queued behind the batch can publish. The writer lets
 * the event loop turn mid-batch, so a payload request arriving meanwhile queues for the connection; if the batch read
 * its opt-ins for the index only after its commit, that read queued behind the payload's transaction, whose broadcast
 * then went out while the new subscriber was not yet indexed: stored in its feed, never sent to its open socket.
 */
describe('a subscriber opted in by a chain batch gets a broadcast admitted right after that batch, live', () => {
  const dirs = testTempDirs('push-chain-opt-in-live-');
  let store: Store;
  let api: TestLiveApp;

  beforeAll(async () => {
    store = await openStore({ sqlitePath: join(dirs.make(), 'db.sqlite') });
    await seedChannel(store.db, CH);
    api = await testLiveApp(store);
  });

  /** The titles of the inbox items an open socket of `user` receives, in order. */
  const inboxSocket = async (user: number) => {
    const socket = api.open({ address: caip(user) });
    const got: string[] = [];
    socket.on('userFeeds', (item: Item) => got.push(item.payload.data.asub));
    await connected(socket);
    return got;
  };
  /** Resolves once `title` has arrived: the last item the test sends marks the end of what the socket can get. */
  const until = (got: string[], title: string) =>
    new Promise<void>((resolve) => {
      const check = () => (got.includes(title) ? resolve() : setTimeout(check, 10));
      check();
    });

  /** The chain sink as the node wires it: admission's door, opt-ins told to live fan-out. */
  const liveSink = () =>
    createStoreChainSink({
      store,
      coreChainId: CORE_CHAIN_ID,
      logger: pino({ level: 'silent' }),
      notifications: api.admission.chainDoor,
      onSubscriptions: (rows) => {
        for (const r of rows) api.realtime.noteSubscription(r);
      },
    });

  afterAll(async () => {
    await api?.close();
    await store?.close();
    dirs.removeAll();
  });

  it('receives it on its socket', async () => {
    const got = await inboxSocket(X);

    const sink = liveSink();
    // X opts in first; 4,000 other opt-ins make the batch run across many turns of the event loop.
    const user = (i: number) => `0x${(0x5000 + i).toString(16).padStart(40, '0')}`;
    const logs = [addr(X), ...Array.from({ length: 4_000 }, (_, i) => user(i))].map((u, i) =>
      testChainLog(
        'Subscribe',
        { channel: addr(CH), user: u },
        { blockNumber: 1 + Math.floor(i / 500), logIndex: i % 500 },
      ),
    );
    const [first, second] = await Promise.all([
      sdkSend(CH, CORE_CHAIN_ID, addr(CH), { type: 1, title: 'first' }),
      sdkSend(CH, CORE_CHAIN_ID, addr(CH), { type: 1, title: 'second' }),
    ]);

    const applied = sink.apply(CORE_CHAIN_ID, {
      fromBlock: 1,
      toBlock: 9,
      logs,
      blocks: [],
      finalizedBlock: 100,
    });
    // The first turn of the event loop: the batch has begun and yielded, and has not committed.
    await new Promise((r) => setTimeout(r, 0));
    const cursor = await store.read.selectFrom('chain_cursors').selectAll().execute();
    expect(cursor).toEqual([]);
    const sent = api.app.inject({ method: 'POST', url: '/apis/v1/payloads/', payload: first });
    const [res] = await Promise.all([sent, applied]);
    expect(res.statusCode).toBe(204);

    // Settled: the second broadcast marks the end of what the socket can receive.
    expect(
      (await api.app.inject({ method: 'POST', url: '/apis/v1/payloads/', payload: second })).statusCode,
    ).toBe(204);
    await until(got, 'second');
    expect(got).toEqual(['first', 'second']);
    // Both are in X's inbox: what the socket missed was stored.
    const inbox = (await api.app.inject(`/apis/v1/users/${caip(X)}/feeds?page=1&limit=10`)).json();
    expect(inbox.feeds.map((f: Item) => f.payload.data.asub)).toEqual(['second', 'first']);
  });

  it('gets a broadcast that follows its opt-in in the same chain batch', async () => {
    const Y = 12;
    const got = await inboxSocket(Y);
    const sink = liveSink();
    await sink.apply(CORE_CHAIN_ID, {
      fromBlock: 20,
      toBlock: 21,
      logs: [
        testChainLog('Subscribe', { channel: addr(CH), user: addr(Y) }, { blockNumber: 20 }),
        testChainLog(
          'SendNotification',
          { channel: addr(CH), recipient: addr(CH), identity: '0+1+same batch+after the opt-in' },
          { blockNumber: 21 },
        ),
      ],
      blocks: [],
      finalizedBlock: 100,
    });
    // A targeted notification after the batch marks the end of what the socket can receive.
    const marker = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), {
      type: 3,
      recipients: [caip(Y)],
      title: 'marker',
    });
    expect(
      (await api.app.inject({ method: 'POST', url: '/apis/v1/payloads/', payload: marker })).statusCode,
    ).toBe(204);
    await until(got, 'marker');
    expect(got).toEqual(['same batch', 'marker']);
  });
});
