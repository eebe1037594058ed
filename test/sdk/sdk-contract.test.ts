/**
 * The unmodified Push SDK (@pushprotocol/restapi 1.7.32, @pushprotocol/socket 0.5.3) against devnet + node,
 * for what test/sdk/sdk.test.ts does not cover (sdk-api-contract.md §2, §2.15, §4, §5.3).
 *
 * The node listens on a free port instead of 4000, so this file can run beside test/sdk/sdk.test.ts: the SDK's LOCAL
 * base URL is moved the way sdk-api-contract.md §1.1 option 2 describes (verified there): API_BASE_URL.local, every
 * CONFIG.local[...].API_BASE_URL, CORE_CONFIG.local.API_BASE_URL and the socket package's API_URLS.local. Nothing else
 * of the SDK is touched.
 */
import { createRequire } from 'node:module';
import {
  CONSTANTS,
  channels as lowChannels,
  payloads as lowPayloads,
  user as lowUser,
  PushAPI,
} from '@pushprotocol/restapi';
import { createSocketConnection, EVENTS } from '@pushprotocol/socket';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caip, ENV, sdkNode, until } from './fixture.js';

// biome-ignore lint/suspicious/noExplicitAny: the SDK's config objects are untyped CommonJS.
type Any = any;
const require = createRequire(import.meta.url);

// Names and tags as the seed's metadata has them; no port: a free one, with the SDK's LOCAL base URL moved there.
const node = sdkNode({
  tags: { alpha: ['devnet', 'defi'], beta: ['devnet'], gamma: ['devnet', 'multichain'] },
  tempPrefix: 'push-sdk-review-ipfs-',
});
const { wallet, address, alpha, beta, gamma } = node;

describe('review: the unmodified Push SDK against devnet + node (beyond test/sdk)', () => {
  beforeAll(() => node.start(), 180_000);
  afterAll(() => node.close());

  // ---------------------------------------------------------------------------------------------------------------
  // §2.5 channel search, §2.6 channel list

  it('channel.search: array by default, {itemCount, result} with oldFormat:false, by name and address', async () => {
    const ro = await PushAPI.initialize(null as never, { env: ENV, account: address(16) });
    const byName = await ro.channel.search('SDK be');
    expect(Array.isArray(byName)).toBe(true);
    expect(byName.map((c: { channel: string }) => c.channel)).toEqual([getAddress(beta().channel)]);
    const byAddress = await ro.channel.search(beta().channel.slice(2, 12));
    expect(byAddress.map((c: { channel: string }) => c.channel)).toContain(getAddress(beta().channel));
    const all = await ro.channel.search('SDK', { page: 1, limit: 2, oldFormat: false });
    // §2.5: "The SDK reads response.data.channels … and response.data.itemCount" (camel case, pitfall 10).
    expect(all.itemCount).toBe(3);
    expect(all.result).toHaveLength(2);
    const page2 = await ro.channel.search('SDK', { page: 2, limit: 2 });
    expect(page2).toHaveLength(1);
    const tagged = await ro.channel.search('SDK', { tag: 'defi' });
    expect(tagged.map((c: { channel: string }) => c.channel)).toEqual([getAddress(alpha().channel)]);
    const none = await ro.channel.search('no such channel');
    expect(none).toEqual([]);
  });

  it('channel.list: {channels, itemcount}, paged', async () => {
    const ro = await PushAPI.initialize(null as never, { env: ENV, account: address(16) });
    const p1 = await ro.channel.list({ page: 1, limit: 2 });
    expect(p1.itemcount).toBe(3);
    expect(p1.channels).toHaveLength(2);
    const p2 = await ro.channel.list({ page: 2, limit: 2 });
    expect(p2.channels).toHaveLength(1);
    const seen = [...p1.channels, ...p2.channels].map((c: { channel: string }) => c.channel);
    expect(new Set(seen).size).toBe(3);
    for (const c of p1.channels) expect(typeof c.subscriber_count).toBe('number');
  });

  it('channel.list({order: ASCENDING}) returns channels by ascending subscriber count', async () => {
    // sdk-api-contract.md §2.6: "GET /v1/channels?page=&limit=&sort=subscribers&order=desc…" is built from
    // `channel.list({order})`; push-node-reference.md §3.3: "`order` (`asc`/`desc`)", and the reference node sorts
    // `ORDER BY channels.verified_status ${order}, subscriber_count ${order}`.
    const ro = await PushAPI.initialize(null as never, { env: ENV, account: address(16) });
    const desc = await ro.channel.list({
      page: 1,
      limit: 10,
      order: CONSTANTS.FILTER.CHANNEL_LIST.ORDER.DESCENDING,
    });
    const asc = await ro.channel.list({
      page: 1,
      limit: 10,
      order: CONSTANTS.FILTER.CHANNEL_LIST.ORDER.ASCENDING,
    });
    const countsDesc = desc.channels.map((c: { subscriber_count: number }) => c.subscriber_count);
    const countsAsc = asc.channels.map((c: { subscriber_count: number }) => c.subscriber_count);
    expect(countsDesc).toEqual([...countsDesc].sort((a, b) => b - a));
    expect(new Set(countsDesc).size).toBeGreaterThan(1); // the seed gives the channels different counts
    expect(countsAsc).toEqual([...countsAsc].sort((a, b) => a - b));
  });

  // ---------------------------------------------------------------------------------------------------------------
  // §2.4 channel info, error paths

  it('channel.info: read-only by CAIP, alias CAIP resolves, unknown channel throws (404)', async () => {
    const ro = await PushAPI.initialize(null as never, { env: ENV, account: address(16) });
    const info = await ro.channel.info(caip(alpha().channel), { raw: false });
    // raw:false replaces channel_settings by its parsed form.
    expect(Array.isArray(info.channel_settings)).toBe(true);
    const viaAlias = await ro.channel.info(caip(gamma().alias!.address, 80002));
    expect(viaAlias.channel).toBe(getAddress(gamma().channel));
    // §2.4: "Return 404 for an unknown channel: getChannel throws".
    await expect(ro.channel.info(caip(address(17)))).rejects.toThrow();
  });

  // ---------------------------------------------------------------------------------------------------------------
  // §2.8 subscribers

  it('channel.subscribers({page, setting:true, raw:false}) parses each subscriber’s settings', async () => {
    const owner = await PushAPI.initialize(wallet(alpha().ownerIndex), { env: ENV });
    const res = (await owner.channel.subscribers({
      page: 1,
      limit: 30,
      setting: true,
      raw: false,
    })) as unknown as {
      itemcount: number;
      subscribers: { subscriber: string; settings: unknown }[];
    };
    expect(res.itemcount).toBeGreaterThan(0);
    expect(res.subscribers.length).toBe(Math.min(30, res.itemcount));
    const withSettings = res.subscribers.filter((s) => s.settings !== null);
    expect(withSettings.length).toBeGreaterThan(0);
    for (const s of withSettings) expect(Array.isArray(s.settings)).toBe(true);
    // page 2 of size 1 differs from page 1 of size 1
    const a = (await owner.channel.subscribers({ page: 1, limit: 1 })) as { subscribers: string[] };
    const b = (await owner.channel.subscribers({ page: 2, limit: 1 })) as { subscribers: string[] };
    expect(a.subscribers).toHaveLength(1);
    expect(b.subscribers).toHaveLength(1);
    expect(a.subscribers[0]).not.toBe(b.subscribers[0]);
  });

  it('channel.subscribers({channel, page, category}) keeps subscribers with that option on', async () => {
    const ro = await PushAPI.initialize(null as never, { env: ENV, account: address(16) });
    const all = (await ro.channel.subscribers({ channel: caip(alpha().channel), page: 1, limit: 30 })) as {
      itemcount: number;
    };
    const cat = (await ro.channel.subscribers({
      channel: caip(alpha().channel),
      page: 1,
      limit: 30,
      category: 1,
    })) as { itemcount: number; subscribers: string[] };
    expect(cat.itemcount).toBeLessThanOrEqual(all.itemcount);
    expect(Array.isArray(cat.subscribers)).toBe(true);
  });

  // ---------------------------------------------------------------------------------------------------------------
  // §2.9 delegates, delegations; §2.12 alias; §2.13 tags

  it('channel.delegate.get() defaults to the own channel; user.getDelegations lists the delegate’s channel', async () => {
    const owner = await PushAPI.initialize(wallet(beta().ownerIndex), { env: ENV });
    const delegates = await owner.channel.delegate.get();
    expect(delegates).toContain(address(4));
    const delegations = await lowUser.getDelegations({ user: caip(address(4)), env: ENV });
    expect(delegations.map((d: { channel: string }) => getAddress(d.channel))).toContain(
      getAddress(beta().channel),
    );
  });

  it('alias.info: {} for an address that is no alias', async () => {
    const ro = await PushAPI.initialize(null as never, { env: ENV, account: address(16) });
    const none = await ro.channel.alias.info({ alias: address(17), aliasChain: 'POLYGON' });
    expect(none).toEqual({});
  });

  it('tags: channels.getTags, tags.search and tags.list', async () => {
    const ro = await PushAPI.initialize(null as never, { env: ENV, account: address(16) });
    const tags = await lowChannels.getTags({ channel: caip(alpha().channel), env: ENV });
    expect(tags).toEqual(['devnet', 'defi']);
    const found = await ro.channel.tags.search('multichain');
    expect(found.map((c: { channel: string }) => c.channel)).toEqual([getAddress(gamma().channel)]);
    const list = await ro.channel.tags.list();
    expect(Array.isArray(list)).toBe(true);
    expect(list.length).toBe(3);
  });

  // ---------------------------------------------------------------------------------------------------------------
  // §2.2 feeds: per channel, pagination, raw; §2.3 subscriptions with a channel filter; §2.11 channel notifications

  it('notification.list: per-channel feeds, pages, raw items, account option', async () => {
    const owner = await PushAPI.initialize(wallet(beta().ownerIndex), { env: ENV });
    const sub = await PushAPI.initialize(wallet(7), { env: ENV }); // subscriber of alpha and beta? see seed
    await sub.notification.subscribe(caip(beta().channel));
    await owner.channel.send(['*'], { notification: { title: 'P1', body: 'page one' } });
    await owner.channel.send(['*'], { notification: { title: 'P2', body: 'page two' } });
    const first = await sub.notification.list('INBOX', { page: 1, limit: 1 });
    const second = await sub.notification.list('INBOX', { page: 2, limit: 1 });
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(1);
    expect(first[0].title).toBe('P2');
    expect(second[0].title).toBe('P1');
    const perChannel = await sub.notification.list('INBOX', {
      channels: [caip(beta().channel)],
      page: 1,
      limit: 20,
    });
    expect(perChannel.map((n: { title: string }) => n.title)).toEqual(expect.arrayContaining(['P1', 'P2']));
    for (const n of perChannel) expect(n.app).toBe('SDK beta');
    const raw = await sub.notification.list('INBOX', { page: 1, limit: 2, raw: true });
    expect(raw[0]).toMatchObject({ sender: getAddress(beta().channel), source: 'ETH_TEST_SEPOLIA' });
    expect(typeof raw[0].payload_id).toBe('number');
    expect(raw[0].payload.data.type).toBe(1);
    // account option with a partial CAIP (the PushAPI methods strip it, §1.3)
    const ro = await PushAPI.initialize(null as never, { env: ENV, account: address(16) });
    const theirs = await ro.notification.list('INBOX', {
      account: `eip155:${address(7)}`,
      page: 1,
      limit: 2,
    });
    expect(theirs.map((n: { title: string }) => n.title)).toEqual(['P2', 'P1']);
  });

  it('notification.subscriptions({channel}) keeps one channel; raw:false parses user_settings', async () => {
    const user = await PushAPI.initialize(wallet(18), { env: ENV });
    await user.notification.subscribe(caip(beta().channel));
    await user.notification.subscribe(caip(alpha().channel), {
      settings: [
        { enabled: false },
        { enabled: true, value: 30 },
        { enabled: true, value: { lower: 10, upper: 50 } },
      ],
    });
    const only = await user.notification.subscriptions({ channel: caip(alpha().channel) });
    expect(only.map((s: { channel: string }) => s.channel)).toEqual([getAddress(alpha().channel)]);
    const plain = await user.notification.subscriptions({ channel: alpha().channel });
    expect(plain.map((s: { channel: string }) => s.channel)).toEqual([getAddress(alpha().channel)]);
    const parsed = await user.notification.subscriptions({ channel: caip(alpha().channel), raw: false });
    expect(Array.isArray(parsed[0].user_settings)).toBe(true);
    expect(parsed[0].user_settings[1]).toMatchObject({
      type: 2,
      userPreferance: { value: 30, enabled: true },
    });
  });

  it('channel.notifications: {notifications, total}, filter by type, raw on/off', async () => {
    const owner = await PushAPI.initialize(wallet(beta().ownerIndex), { env: ENV });
    await owner.channel.send([address(9)], { notification: { title: 'N-T', body: 'targeted' } });
    const ro = await PushAPI.initialize(null as never, { env: ENV, account: address(16) });
    const all = await ro.channel.notifications(caip(beta().channel), { page: 1, limit: 30 });
    expect(all.total).toBeGreaterThan(0);
    expect(all.notifications[0].raw.verificationProof).toMatch(/^eip712v2:/);
    const targeted = await ro.channel.notifications(caip(beta().channel), {
      page: 1,
      limit: 30,
      filter: CONSTANTS.NOTIFICATION.TYPE.TARGETTED,
      raw: false,
    });
    expect(targeted.notifications.length).toBeGreaterThan(0);
    for (const n of targeted.notifications) expect(n.raw).toBeUndefined();
    const t = targeted.notifications.find((n: { message: { notification: { title: string } } }) =>
      n.message.notification.title.endsWith('N-T'),
    );
    expect(t).toBeDefined();
    expect(t.to.map((x: string) => x.toLowerCase())).toContain(address(9).toLowerCase());
    expect(t.from).toBe(getAddress(beta().channel));
  });

  // ---------------------------------------------------------------------------------------------------------------
  // §2.7 subscribe variants and error paths

  it('low-level channels.subscribe / unsubscribe (V1: bare signature, CAIP message object)', async () => {
    const signer = wallet(19);
    const res = await lowChannels.subscribe({
      signer: signer as never,
      channelAddress: caip(gamma().channel),
      userAddress: caip(address(19)),
      env: ENV,
    });
    // §2.7: "V1 resolves {status:'success', message:'successfully opted into channel'}"
    expect(res).toEqual({ status: 'success', message: 'successfully opted into channel' });
    const ro = await PushAPI.initialize(null as never, { env: ENV, account: address(19) });
    const subs = await ro.notification.subscriptions();
    expect(subs.map((s: { channel: string }) => s.channel)).toContain(getAddress(gamma().channel));
    const un = await lowChannels.unsubscribe({
      signer: signer as never,
      channelAddress: caip(gamma().channel),
      userAddress: caip(address(19)),
      env: ENV,
    });
    expect(un).toEqual({ status: 'success', message: 'successfully opted out channel' });
  });

  it('subscribe through the alias chain CAIP, and to an unknown channel (resolves an error status)', async () => {
    const user = await PushAPI.initialize(wallet(11), { env: ENV });
    const ok = await user.notification.subscribe(caip(gamma().alias!.address, 80002));
    expect(ok.status).toBe(204);
    const subs = await user.notification.subscriptions();
    expect(subs.map((s: { channel: string }) => s.channel)).toContain(getAddress(gamma().channel));
    const bad = await user.notification.subscribe(caip(address(17)));
    expect(bad.status).not.toBe(204);
    expect(typeof bad.message).toBe('string');
  });

  it('channel.send by a wallet that is no channel throws; read-only send throws', async () => {
    const nobody = await PushAPI.initialize(wallet(17), { env: ENV });
    await expect(nobody.channel.send(['*'], { notification: { title: 'x', body: 'y' } })).rejects.toThrow();
    const ro = await PushAPI.initialize(null as never, { env: ENV, account: address(16) });
    await expect(ro.channel.send(['*'], { notification: { title: 'x', body: 'y' } })).rejects.toThrow();
  });

  // ---------------------------------------------------------------------------------------------------------------
  // §2.10 send options: category → data.index and settings filter; config; low-level MINIMAL identity

  it('channel.send payload.category: subscribers with that option off do not get it', async () => {
    const owner = await PushAPI.initialize(wallet(alpha().ownerIndex), { env: ENV });
    const off = await PushAPI.initialize(wallet(12), { env: ENV });
    const on = await PushAPI.initialize(wallet(13), { env: ENV });
    await off.notification.subscribe(caip(alpha().channel), {
      settings: [
        { enabled: false },
        { enabled: true, value: 30 },
        { enabled: true, value: { lower: 10, upper: 50 } },
      ],
    });
    await on.notification.subscribe(caip(alpha().channel), {
      settings: [
        { enabled: true },
        { enabled: true, value: 30 },
        { enabled: true, value: { lower: 10, upper: 50 } },
      ],
    });
    const r = await owner.channel.send(['*'], {
      notification: { title: 'CAT1', body: 'category one' },
      payload: { title: 'CAT1', body: 'category one', cta: '', embed: '', category: 1 },
    });
    expect(r.status).toBe(204);
    const onInbox = await on.notification.list('INBOX', { page: 1, limit: 10 });
    expect(onInbox.map((n: { title: string }) => n.title)).toContain('CAT1');
    const offInbox = await off.notification.list('INBOX', { page: 1, limit: 10 });
    expect(offInbox.map((n: { title: string }) => n.title)).not.toContain('CAT1');
  });

  it('channel.send config {silent, hidden, expiry} and low-level MINIMAL identity (type 0)', async () => {
    const owner = await PushAPI.initialize(wallet(beta().ownerIndex), { env: ENV });
    const sub = await PushAPI.initialize(wallet(5), { env: ENV });
    const expiry = Math.floor(Date.now() / 1000) + 3600;
    const r = await owner.channel.send(['*'], {
      notification: { title: 'CFG', body: 'silent' },
      config: { silent: true, expiry },
    });
    expect(r.status).toBe(204);
    const inbox = await sub.notification.list('INBOX', { page: 1, limit: 10, raw: true });
    const cfg = inbox.find((n: { payload: { data: { asub: string } } }) => n.payload.data.asub === 'CFG');
    expect(cfg).toBeDefined();
    expect(cfg.payload.data).toMatchObject({ silent: '1' });
    expect(Number(cfg.payload.data.etime)).toBe(expiry);

    const res = await lowPayloads.sendNotification({
      signer: wallet(beta().ownerIndex) as never,
      type: 1,
      identityType: 0,
      notification: { title: 'MIN', body: 'minimal body' },
      payload: { title: 'MIN', body: 'minimal body', cta: '', img: '' },
      channel: caip(beta().channel),
      env: ENV,
    });
    expect(res.status).toBe(204);
    const after = await sub.notification.list('INBOX', { page: 1, limit: 10 });
    expect(after.map((n: { title: string }) => n.title)).toContain('MIN');
  });

  // ---------------------------------------------------------------------------------------------------------------
  // §4 websocket: spam events, meta types, origin self, channel filter, disconnect

  it('PushStream: targeted → TARGETTED inbox, stranger → notification.spam, owner → origin self, filter', async () => {
    const owner = await PushAPI.initialize(wallet(beta().ownerIndex), { env: ENV });
    const subscriber = await PushAPI.initialize(wallet(6), { env: ENV }); // seeded subscriber of beta
    const stranger = await PushAPI.initialize(wallet(14), { env: ENV });

    const subStream = await subscriber.initStream([CONSTANTS.STREAM.NOTIF], {
      filter: { channels: [getAddress(beta().channel)] },
    });
    const strangerStream = await stranger.initStream([CONSTANTS.STREAM.NOTIF]);
    const ownerStream = await owner.initStream([CONSTANTS.STREAM.NOTIF]);
    // One stream per PushAPI instance ("Stream is already initialized"): a second instance for the filtered one.
    const subscriber2 = await PushAPI.initialize(wallet(6), { env: ENV });
    const filtered = await subscriber2.initStream([CONSTANTS.STREAM.NOTIF], {
      filter: { channels: [getAddress(alpha().channel)] },
    });
    const got: Record<string, Record<string, unknown>[]> = { sub: [], stranger: [], owner: [], filtered: [] };
    subStream.on(CONSTANTS.STREAM.NOTIF, (n: Record<string, unknown>) => got.sub!.push(n));
    strangerStream.on(CONSTANTS.STREAM.NOTIF, (n: Record<string, unknown>) => got.stranger!.push(n));
    ownerStream.on(CONSTANTS.STREAM.NOTIF, (n: Record<string, unknown>) => got.owner!.push(n));
    filtered.on(CONSTANTS.STREAM.NOTIF, (n: Record<string, unknown>) => got.filtered!.push(n));
    await Promise.all([
      subStream.connect(),
      strangerStream.connect(),
      ownerStream.connect(),
      filtered.connect(),
    ]);

    const title = (n: Record<string, unknown>) => (n.message as { payload: { title: string } }).payload.title;
    await owner.channel.send([address(6)], { notification: { title: 'WS-T', body: 'targeted' } });
    await owner.channel.send([address(6), address(14)], { notification: { title: 'WS-S', body: 'subset' } });
    await owner.channel.send(['*'], { notification: { title: 'WS-B', body: 'broadcast' } });

    const t = await until(() => got.sub!.find((n) => title(n) === 'WS-T'));
    expect(t).toMatchObject({ event: 'notification.inbox', meta: { type: 'NOTIFICATION.TARGETTED' } });
    const s = await until(() => got.sub!.find((n) => title(n) === 'WS-S'));
    expect(s).toMatchObject({ event: 'notification.inbox', meta: { type: 'NOTIFICATION.SUBSET' } });
    const spam = await until(() => got.stranger!.find((n) => title(n) === 'WS-S'));
    expect(spam).toMatchObject({ event: 'notification.spam', meta: { type: 'NOTIFICATION.SUBSET' } });
    expect((spam.to as string[]).map((x) => x.toLowerCase())).toEqual(
      expect.arrayContaining(
        [address(6).toLowerCase(), address(14).toLowerCase()].map((a) => expect.stringContaining(a)),
      ),
    );
    // The channel is subscribed to itself (seed): its own broadcast comes back with origin 'self'.
    const own = await until(() => got.owner!.find((n) => title(n) === 'WS-B'));
    expect(own.origin).toBe('self');
    await until(() => got.sub!.find((n) => title(n) === 'WS-B'));
    expect(got.filtered).toEqual([]);

    let disconnected = false;
    subStream.on(CONSTANTS.STREAM.DISCONNECT, () => {
      disconnected = true;
    });
    await subStream.disconnect();
    await Promise.all([strangerStream.disconnect(), ownerStream.disconnect(), filtered.disconnect()]);
    await until(() => (disconnected ? true : undefined), 3000).catch(() => undefined);
  });

  it('@pushprotocol/socket with a bare 0x user gets userSpamFeeds for a targeted send to a non-subscriber', async () => {
    const owner = await PushAPI.initialize(wallet(beta().ownerIndex), { env: ENV });
    const socket = createSocketConnection({
      user: address(19),
      env: ENV as never,
      socketType: 'notification',
      socketOptions: { autoConnect: true, reconnectionAttempts: 1 },
    })!;
    const spam: Record<string, unknown>[] = [];
    const inbox: Record<string, unknown>[] = [];
    socket.on(EVENTS.USER_SPAM_FEEDS, (i: Record<string, unknown>) => spam.push(i));
    socket.on(EVENTS.USER_FEEDS, (i: Record<string, unknown>) => inbox.push(i));
    await until(() => (socket.connected ? true : undefined));
    await owner.channel.send([address(19)], { notification: { title: 'SP', body: 'spam me' } });
    const item = await until(() =>
      spam.find((x) => (x.payload as { data: { asub: string } }).data.asub === 'SP'),
    );
    expect(item.sender).toBe(getAddress(beta().channel));
    expect((item.payload as { data: { type: unknown } }).data.type).toBe(3);
    expect(inbox).toEqual([]);
    socket.disconnect();
  });

  it('a socket connected before the opt-in gets the next broadcast; after the opt-out it does not', async () => {
    const owner = await PushAPI.initialize(wallet(beta().ownerIndex), { env: ENV });
    const fresh = await PushAPI.initialize(wallet(16), { env: ENV });
    const stream = await fresh.initStream([CONSTANTS.STREAM.NOTIF]);
    const got: Record<string, unknown>[] = [];
    stream.on(CONSTANTS.STREAM.NOTIF, (n: Record<string, unknown>) => got.push(n));
    await stream.connect();
    const title = (n: Record<string, unknown>) => (n.message as { payload: { title: string } }).payload.title;
    expect((await fresh.notification.subscribe(caip(beta().channel))).status).toBe(204);
    await owner.channel.send(['*'], { notification: { title: 'LATE-IN', body: 'after opt-in' } });
    await until(() => got.find((n) => title(n) === 'LATE-IN'));
    const un = await fresh.notification.unsubscribe(caip(beta().channel));
    expect(un).toMatchObject({ status: 204, message: 'successfully opted out channel' });
    await owner.channel.send(['*'], { notification: { title: 'LATE-OUT', body: 'after opt-out' } });
    await owner.channel.send([address(16)], { notification: { title: 'LATE-MARK', body: 'marker' } });
    await until(() => got.find((n) => title(n) === 'LATE-MARK'));
    expect(got.map(title)).not.toContain('LATE-OUT');
    // Unsubscribing again (not subscribed) is not an error for the reference node (success, nothing to publish).
    const again = await fresh.notification.unsubscribe(caip(beta().channel));
    expect((again as { status: unknown }).status).toBe(204);
    await stream.disconnect();
  });

  it('@pushprotocol/socket with an alias-chain CAIP user still gets the user’s items', async () => {
    const owner = await PushAPI.initialize(wallet(beta().ownerIndex), { env: ENV });
    const socket = createSocketConnection({
      user: caip(address(18), 80002),
      env: ENV as never,
      socketType: 'notification',
      socketOptions: { autoConnect: true, reconnectionAttempts: 1 },
    })!;
    const items: Record<string, unknown>[] = [];
    socket.on(EVENTS.USER_FEEDS, (i: Record<string, unknown>) => items.push(i));
    socket.on(EVENTS.USER_SPAM_FEEDS, (i: Record<string, unknown>) => items.push(i));
    await until(() => (socket.connected ? true : undefined));
    await owner.channel.send([address(18)], { notification: { title: 'AC', body: 'any chain' } });
    await until(() => items.find((x) => (x.payload as { data: { asub: string } }).data.asub === 'AC'));
    socket.disconnect();
  });

  it('payload.meta (additionalMeta) and config.hidden reach PushStream as the SDK maps them', async () => {
    const owner = await PushAPI.initialize(wallet(beta().ownerIndex), { env: ENV });
    const listener = await PushAPI.initialize(wallet(5), { env: ENV }); // seeded subscriber of beta
    const stream = await listener.initStream([CONSTANTS.STREAM.NOTIF], { raw: true });
    const got: Record<string, Any>[] = [];
    stream.on(CONSTANTS.STREAM.NOTIF, (n: Record<string, Any>) => got.push(n));
    await stream.connect();
    const r = await owner.channel.send(['*'], {
      notification: { title: 'META', body: 'with meta' },
      payload: {
        title: 'META',
        body: 'with meta',
        cta: '',
        embed: '',
        meta: { type: '0+1', data: '{"k":"v"}', domain: 'example.org' } as never,
      },
    });
    expect(r.status).toBe(204);
    const n = await until(() => got.find((x) => x.message.payload.title === 'META'));
    // §4: "message":{… "payload":{… "meta":{"domain":…||"push.org","type","data"}}}
    expect(n.message.payload.meta).toEqual({ domain: 'example.org', type: '0+1', data: '{"k":"v"}' });
    await owner.channel.send(['*'], {
      notification: { title: 'HID', body: 'hidden' },
      config: { hidden: true },
    });
    const h = await until(() => got.find((x) => x.message.payload.title === 'HID'));
    expect(h.config.hidden).toBe(true);
    // push-node-reference §3.4: "Hidden rows excluded unless showHidden" (the SDK never sends showHidden).
    const inbox = await listener.notification.list('INBOX', { page: 1, limit: 20 });
    expect(inbox.map((x: { title: string }) => x.title)).not.toContain('HID');
    expect(inbox.map((x: { title: string }) => x.title)).toContain('META');
    await stream.disconnect();
  });

  it('channel.send with a slider and a range category reaches a subscriber with every option on', async () => {
    const owner = await PushAPI.initialize(wallet(alpha().ownerIndex), { env: ENV });
    const on = await PushAPI.initialize(wallet(13), { env: ENV });
    await on.notification.subscribe(caip(alpha().channel), {
      settings: [
        { enabled: true },
        { enabled: true, value: 30 },
        { enabled: true, value: { lower: 10, upper: 50 } },
      ],
    });
    for (const category of [2, 3]) {
      // The SDK builds data.index from channel_settings: "k-2-<default>" (slider), "k-3-<default.lower>" (range).
      const r = await owner.channel.send(['*'], {
        notification: { title: `CAT${category}`, body: `category ${category}` },
        payload: { title: `CAT${category}`, body: 'x', cta: '', embed: '', category },
      });
      expect(r.status).toBe(204);
    }
    const inbox = await on.notification.list('INBOX', { page: 1, limit: 10 });
    expect(inbox.map((x: { title: string }) => x.title)).toEqual(expect.arrayContaining(['CAT2', 'CAT3']));
  });

  it('notification.list("SPAM", {channels}) lists one channel’s spam items; subset spam ids are negative', async () => {
    const owner = await PushAPI.initialize(wallet(beta().ownerIndex), { env: ENV });
    const stranger = await PushAPI.initialize(wallet(17), { env: ENV });
    await owner.channel.send([address(5), address(17)], {
      notification: { title: 'SS', body: 'subset spam' },
    });
    const spam = await stranger.notification.list('SPAM', {
      channels: [caip(beta().channel)],
      page: 1,
      limit: 20,
      raw: true,
    });
    const ss = spam.find((x: { payload: { data: { asub: string } } }) => x.payload.data.asub === 'SS');
    expect(ss).toBeDefined();
    expect(ss.payload_id).toBeLessThan(0);
    const otherChannel = await stranger.notification.list('SPAM', {
      channels: [caip(alpha().channel)],
      page: 1,
      limit: 20,
    });
    expect(otherChannel).toEqual([]);
  });

  it('a PushAPI given decryptedPGPPrivateKey signs pgpv4: refused with a code that says to drop the key', async () => {
    // sdk-api-contract.md §2.10: "PGP signing: if the PushAPI instance has a PGP key, the payload is signed pgpv4:";
    // §5.2(a)(2): a node that refuses POST /v2/users/ keeps PushAPI users keyless (EIP-712). An explicitly passed
    // key still makes the SDK sign pgpv4, which this node cannot verify (it keeps no PGP keys): the answer must say so.
    const pgp = require('@pushprotocol/restapi/src/lib/chat/helpers/pgp') as Any;
    const keys = (await pgp.generateKeyPair()) as { privateKeyArmored: string };
    const owner = await PushAPI.initialize(wallet(beta().ownerIndex), {
      env: ENV,
      decryptedPGPPrivateKey: keys.privateKeyArmored,
    });
    const sub = await owner.notification.subscribe(caip(alpha().channel));
    expect(sub.status).toBe(400);
    const sent = await owner.channel.send(['*'], { notification: { title: 'PGP', body: 'pgp signed' } }).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(sent).toMatch(/400/);
    // What such a request is answered, read directly: the code and the hint.
    const res = await node.app.inject({
      method: 'POST',
      url: `/apis/v1/channels/${caip(alpha().channel)}/subscribe`,
      payload: {
        verificationProof: 'pgpv4:-----BEGIN PGP SIGNATURE-----\n\nx\n-----END PGP SIGNATURE-----\n',
        message: JSON.stringify(
          { channel: alpha().channel, subscriber: address(16), action: 'Subscribe', userSetting: '' },
          null,
          4,
        ),
      },
    });
    expect(res.statusCode).toBe(400);
    const { error } = res.json() as { error: { code: string; hint: string } };
    expect(error.code).toBe('PUSH_ERR_UNSUPPORTED_PROOF');
    expect(error.hint).toContain('without decryptedPGPPrivateKey');
  });

  // ---------------------------------------------------------------------------------------------------------------
  // §1.4 / pitfall 11: CORS preflight of the SDK's custom header; §2.1 info()

  it('CORS preflight allows X-JS-SDK-VERSION; PushAPI.info() resolves for a keyless user', async () => {
    const base = (require('@pushprotocol/restapi/src/lib/config') as Any).API_BASE_URL.local as string;
    const res = await fetch(`${base}/v1/channels/search/?query=SDK`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://app.example',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'x-js-sdk-version,content-type',
      },
    });
    expect(res.status).toBeLessThan(300);
    expect((res.headers.get('access-control-allow-headers') ?? '').toLowerCase()).toContain(
      'x-js-sdk-version',
    );
    const user = await PushAPI.initialize(wallet(15), { env: ENV });
    // §2.1: GET /v2/users/?caip10= answers JSON null for an unknown user; user.get resolves it.
    expect(await user.info()).toBeNull();
  });
});
