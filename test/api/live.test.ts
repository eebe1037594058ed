import type { Socket } from 'socket.io-client';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addr, CORE_CHAIN_ID, sdkSend, seedChannel, signData } from '../admission/support.js';
import { storeBackends } from '../support/store-backends.js';
import { connected, type TestLiveApp, testLiveApp, until } from './fixtures.js';

const CH = 1;
const U1 = 11;
const U2 = 12;
const chCaip = () => `eip155:${CORE_CHAIN_ID}:${getAddress(addr(CH))}`;
const userCaip = (n: number) => `eip155:${CORE_CHAIN_ID}:${getAddress(addr(n))}`;

type Item = {
  payload_id: number;
  sender: string;
  payload: { data: { type: unknown; asub: string }; notification: { title: string }; recipients: unknown };
};

/** The SDK's V2 subscribe body (4-space JSON of plain addresses, signed as Data{data}). */
async function subscribeBody(user: number, action: 'Subscribe' | 'Unsubscribe', userSetting = '') {
  const channel = getAddress(addr(CH));
  const me = getAddress(addr(user));
  const message =
    action === 'Subscribe'
      ? JSON.stringify({ channel, subscriber: me, action, userSetting }, null, 4)
      : JSON.stringify({ channel, unsubscriber: me, action }, null, 4);
  return { verificationProof: `eip712v2:${await signData(user, CORE_CHAIN_ID, message)}`, message };
}

function collect(socket: Socket) {
  const got: { event: string; item: Item }[] = [];
  socket.on('userFeeds', (item: Item) => got.push({ event: 'userFeeds', item }));
  socket.on('userSpamFeeds', (item: Item) => got.push({ event: 'userSpamFeeds', item }));
  return got;
}

describe.each(storeBackends())('signed doors, feeds and live sockets on $name', (backend) => {
  let api: TestLiveApp;

  const post = (url: string, payload: unknown) =>
    api.app.inject({ method: 'POST', url, payload: payload as object });

  beforeAll(async () => {
    const store = await backend.open();
    await seedChannel(store.db, CH, { name: 'Live', settings: '1+1-1', description: 'Alerts' });
    api = await testLiveApp(store);
  });

  afterAll(async () => {
    await api.close();
    await backend.cleanup();
  });

  it('validates bodies with Fastify schemas and names the field', async () => {
    const body = await sdkSend(CH, CORE_CHAIN_ID, addr(CH));
    const { identity: _drop, ...missing } = body;
    const res = await post('/apis/v1/payloads/', missing);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'PUSH_ERR_VALIDATION', field: 'body.identity' });
    const sub = await post(`/apis/v1/channels/${chCaip()}/subscribe`, { message: 'x' });
    expect(sub.json().error).toMatchObject({ code: 'PUSH_ERR_VALIDATION', field: 'body.verificationProof' });
  });

  it('a forged payload is refused with a stable code and stores nothing', async () => {
    const body = await sdkSend(U1, CORE_CHAIN_ID, addr(CH)); // signed by a user, not the channel
    const res = await post('/apis/v1/payloads/', body);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toMatch(/^PUSH_ERR_/);
    expect((await api.app.inject(`/apis/v1/channels/${chCaip()}/feeds`)).json().itemcount).toBe(0);
  });

  it('subscribe → 204, live index updated, broadcast reaches the socket and the inbox', async () => {
    const s1 = api.open({ address: userCaip(U1) });
    const got = collect(s1);
    await connected(s1);
    const res = await post(`/apis/v1/channels/${chCaip()}/subscribe`, await subscribeBody(U1, 'Subscribe'));
    expect(res.statusCode).toBe(204);
    const subs = (await api.app.inject(`/apis/v1/users/${userCaip(U1)}/subscriptions?`)).json();
    expect(subs.subscriptions).toEqual([{ channel: getAddress(addr(CH)), user_settings: null }]);

    const send = await post(
      '/apis/v1/payloads/',
      await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: 'hello' }),
    );
    expect(send.statusCode).toBe(204);
    await until(() => got.length === 1);
    const { event, item } = got[0]!;
    expect(event).toBe('userFeeds');
    // Pitfall 8: numeric type, plain checksummed sender.
    expect(item.payload.data.type).toBe(1);
    expect(item.sender).toBe(getAddress(addr(CH)));
    expect(item.payload.notification.title).toBe('Live - hello');
    expect(item.payload.recipients).toBe(`eip155:${CORE_CHAIN_ID}:${addr(CH)}`);

    const feed = (
      await api.app.inject(`/apis/v1/users/${userCaip(U1)}/feeds?page=1&limit=10&spam=false`)
    ).json();
    expect(feed.feeds.map((f: Item) => f.payload_id)).toEqual([item.payload_id]);
    expect(feed.feeds[0].payload.data).toBeDefined();
    expect(feed.feeds[0].payload.notification).toBeDefined();
    const perChannel = (
      await api.app.inject(`/apis/v1/users/${userCaip(U1)}/channels/${chCaip()}/feeds?page=1&limit=10`)
    ).json();
    expect(perChannel.feeds).toHaveLength(1);
    const v2 = (
      await api.app.inject(`/apis/v2/channels/${chCaip()}/notifications?page=1&limit=10&raw=false`)
    ).json();
    expect(v2.total).toBe(1);
    expect(v2.notifications[0]).toMatchObject({
      from: getAddress(addr(CH)),
      meta: { type: 'NOTIFICATION.BROADCAST' },
    });
    expect(v2.notifications[0].raw).toBeUndefined();
    const v1 = (await api.app.inject(`/apis/v1/channels/${chCaip()}/feeds?page=1&limit=10`)).json();
    expect(v1.itemcount).toBe(1);
  });

  it('targeted to a non-subscriber goes to spam (socket and feed) and lists the channel in spam/channels', async () => {
    const s2 = api.open({ address: `eip155:${addr(U2)}` }); // partial CAIP, lower case
    const got = collect(s2);
    await connected(s2);
    // Pitfall 5: only TARGETED carries the user in `recipient`.
    const body = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), {
      type: 3,
      recipients: [userCaip(U2)],
      title: 'psst',
    });
    expect(body.recipient).toBe(userCaip(U2));
    expect((await post('/apis/v1/payloads/', body)).statusCode).toBe(204);
    await until(() => got.length === 1);
    expect(got[0]!.event).toBe('userSpamFeeds');
    expect(got[0]!.item.payload.data.type).toBe(3);
    const spam = (
      await api.app.inject(`/apis/v1/users/${userCaip(U2)}/feeds?page=1&limit=10&spam=true`)
    ).json();
    expect(spam.feeds).toHaveLength(1);
    const inbox = (await api.app.inject(`/apis/v1/users/${userCaip(U2)}/feeds?spam=false`)).json();
    expect(inbox.feeds).toHaveLength(0);
    expect((await api.app.inject(`/apis/v1/users/${userCaip(U2)}/spam/channels`)).json()).toEqual([
      { channel: getAddress(addr(CH)), alias_address: null },
    ]);
  });

  it('a repeated proof answers 204 and emits nothing twice', async () => {
    const s = api.open({ address: userCaip(U1) });
    const got = collect(s);
    await connected(s);
    await until(() => api.realtime.socketCount() >= 1);
    const body = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: 'once' });
    expect((await post('/apis/v1/payloads/', body)).statusCode).toBe(204);
    expect((await post('/apis/v1/payloads/', body)).statusCode).toBe(204);
    await until(() => got.length >= 1);
    await new Promise((r) => setTimeout(r, 150));
    expect(got.filter((g) => g.item.payload.data.asub === 'once')).toHaveLength(1);
  });

  it('resume: a client reconnecting with lastId gets what it missed, in order, then live ones', async () => {
    const first = api.open({ address: userCaip(U1) });
    const seen = collect(first);
    await connected(first);
    await post('/apis/v1/payloads/', await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: 'r0' }));
    await until(() => seen.some((g) => g.item.payload.data.asub === 'r0'));
    const lastId = seen.find((g) => g.item.payload.data.asub === 'r0')!.item.payload_id;
    first.close();

    // Missed while away: two broadcasts and one targeted.
    for (const t of ['m1', 'm2'])
      await post('/apis/v1/payloads/', await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: t }));
    await post(
      '/apis/v1/payloads/',
      await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { type: 3, recipients: [userCaip(U1)], title: 'm3' }),
    );

    const back = api.open({ address: userCaip(U1), lastId: String(lastId) });
    const got = collect(back);
    let resumed: { lastId: number; count: number; truncated: boolean } | null = null;
    back.on('resumed', (r) => {
      resumed = r;
    });
    await connected(back);
    await until(() => resumed !== null);
    await post('/apis/v1/payloads/', await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: 'live' }));
    await until(() => got.length === 4);
    expect(got.map((g) => g.item.payload.data.asub)).toEqual(['m1', 'm2', 'm3', 'live']);
    const ids = got.map((g) => g.item.payload_id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(resumed).toMatchObject({ count: 3, truncated: false });
  });

  it('delivery mode receives liveFeeds and answers historicalFeeds', async () => {
    const d = api.open({ mode: 'delivery' });
    const live: { users: string[]; is_spam: number; payload_id: number }[] = [];
    d.on('liveFeeds', (f) => live.push(f));
    await connected(d);
    await until(() => api.realtime.socketCount() >= 1);
    await post('/apis/v1/payloads/', await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: 'bridge' }));
    await until(() => live.length === 1);
    expect(live[0]).toMatchObject({ users: [`eip155:${addr(U1)}`], is_spam: 0 });
    const reply = new Promise<{ feeds: { users: string[] }[]; count: number }>((r) =>
      d.once('historicalFeeds', r),
    );
    d.emit('historicalFeeds', {
      startTime: 0,
      endTime: Math.ceil(Date.now() / 1000) + 60,
      page: 1,
      pageSize: 50,
    });
    const h = await reply;
    expect(h.count).toBeGreaterThanOrEqual(5);
    expect(h.feeds.length).toBe(h.count);

    // A range in seconds covers its last second whole: an item sent at x.500 s is in [x, x].
    const at = 1_600_000_000_500;
    await api.admission.admitPayload(await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: 'at x.5' }), {
      receivedAt: at,
    });
    const second = new Promise<{ feeds: { payload: { data: { asub: string } } }[]; count: number }>((r) =>
      d.once('historicalFeeds', r),
    );
    d.emit('historicalFeeds', { startTime: 1_600_000_000, endTime: 1_600_000_000, page: 1, pageSize: 50 });
    expect((await second).feeds.map((f) => f.payload.data.asub)).toEqual(['at x.5']);
  });

  it('a socket without address or mode is disconnected', async () => {
    const s = api.open({});
    await new Promise<void>((r) => s.once('disconnect', () => r()));
    expect(s.connected).toBe(false);
  });

  it("keeps the SDK's chat socket (mode=chat) connected and idle: a stream listening to chat and notifications", async () => {
    const chat = api.open({ mode: 'chat', did: userCaip(U1) });
    await connected(chat);
    // A socket handled after it: disconnected at once, so the chat socket's fate is known by then.
    const other = api.open({});
    await new Promise<void>((r) => other.once('disconnect', () => r()));
    expect(chat.connected).toBe(true);
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const doc = (await api.app.inject('/apis/docs/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const p of [
      '/apis/v1/payloads',
      '/apis/v1/channels/{caip}',
      '/apis/channels/_get_subscribers',
      '/apis/v1/users/{caip}/feeds',
      '/apis/v2/users',
    ]) {
      expect(doc.paths[p], p).toBeDefined();
    }
    const html = await api.app.inject('/apis/docs');
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.body).toContain('/apis/v1/channels/search');
  });
});
