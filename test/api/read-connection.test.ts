import { join } from 'node:path';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
