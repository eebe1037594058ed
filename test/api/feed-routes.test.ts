/**
 * Feed routes over notifications admitted through POST /apis/v1/payloads/: expiry in the per-channel lists, the spam
 * box's keyset cursor with a subset's negative payload_id, and the v2 route's meta.type spelling.
 */
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addr, CORE_CHAIN_ID, sdkSend, seedChannel } from '../admission/support.js';
import { storeBackends } from '../support/store-backends.js';
import { type TestLiveApp, testLiveApp } from './fixtures.js';

const CH = 1;
const TARGETED_USER = 13;
const SPAMMED_USER = 15;
const caip = (n: number) => `eip155:${CORE_CHAIN_ID}:${getAddress(addr(n))}`;
type Item = { payload_id: number; payload: { data: { asub: string } } };
const titles = (feeds: Item[]) => feeds.map((f) => f.payload.data.asub);

describe.each(storeBackends())('feed routes on $name', (backend) => {
  let api: TestLiveApp;

  beforeAll(async () => {
    const store = await backend.open();
    await seedChannel(store.db, CH, { name: 'Feeds' });
    api = await testLiveApp(store, { listen: false });
    const send = async (o: Parameters<typeof sdkSend>[3]) => {
      const body = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), o);
      const res = await api.app.inject({ method: 'POST', url: '/apis/v1/payloads/', payload: body });
      expect(res.statusCode, res.body).toBe(204);
    };
    const past = Math.floor(Date.now() / 1000) - 60;
    await send({ type: 3, recipients: [caip(TARGETED_USER)], title: 'live' });
    await send({ type: 3, recipients: [caip(TARGETED_USER)], title: 'expired', etime: past });
    // Subsets to users who are not subscribed: spam items with negative payload_ids.
    for (const title of ['s1', 's2', 's3'])
      await send({ type: 4, recipients: [caip(SPAMMED_USER), caip(16)], title });
  });

  afterAll(async () => {
    await api.close();
    await backend.cleanup();
  });

  const get = async (url: string) => (await api.app.inject(url)).json();

  it('expired notifications are listed and counted by no feed route', async () => {
    const user = await get(`/apis/v1/users/${caip(TARGETED_USER)}/feeds?page=1&limit=10&spam=true`);
    expect({ titles: titles(user.feeds), itemcount: user.itemcount }).toEqual({
      titles: ['live'],
      itemcount: 1,
    });
    const v1 = await get(`/apis/v1/channels/${caip(CH)}/feeds?page=1&limit=10`);
    expect({ titles: titles(v1.feeds), itemcount: v1.itemcount }).toEqual({
      titles: ['s3', 's2', 's1', 'live'],
      itemcount: 4,
    });
    const v2 = await get(`/apis/v2/channels/${caip(CH)}/notifications?page=1&limit=10`);
    expect(
      v2.notifications.map((n: { message: { payload: { title: string } } }) => n.message.payload.title),
    ).toEqual(['s3', 's2', 's1', 'live']);
    expect(v2.total).toBe(4);
  });

  it('v2 meta.type is NOTIFICATION.TARGET for a targeted one, as the original route answers (SDK contract §2.11)', async () => {
    const v2 = await get(`/apis/v2/channels/${caip(CH)}/notifications?page=1&limit=10`);
    expect(v2.notifications.map((n: { meta: { type: string } }) => n.meta.type)).toEqual([
      'NOTIFICATION.SUBSET',
      'NOTIFICATION.SUBSET',
      'NOTIFICATION.SUBSET',
      'NOTIFICATION.TARGET',
    ]);
  });

  it('the spam box pages on with before=<the negative payload_id it listed last>; before=0 is refused', async () => {
    const url = `/apis/v1/users/${caip(SPAMMED_USER)}/feeds?page=1&limit=2&spam=true`;
    const page1 = await get(url);
    expect(titles(page1.feeds)).toEqual(['s3', 's2']);
    const last = page1.feeds.at(-1).payload_id as number;
    expect(last).toBeLessThan(0);
    const next = await api.app.inject(`${url}&before=${last}`);
    expect(next.statusCode, next.body).toBe(200);
    expect(titles(next.json().feeds)).toEqual(['s1']);
    expect(next.json().itemcount).toBe(1);
    const zero = await api.app.inject(`${url}&before=0`);
    expect(zero.statusCode).toBe(400);
    expect(zero.json().error).toMatchObject({ code: 'PUSH_ERR_VALIDATION' });
  });
});
