/**
 * The unmodified Push SDK (@pushprotocol/restapi 1.7.32, @pushprotocol/socket 0.5.3) with `env: 'local'` against
 * the devnet and a node on localhost:4000 (the SDK's fixed LOCAL base URL). One node per file on port 4000: keep
 * every SDK test in this file's single `describe`.
 */
import { CONSTANTS, PushAPI } from '@pushprotocol/restapi';
import { createSocketConnection, EVENTS } from '@pushprotocol/socket';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE, caip, ENV, sdkNode, until } from './fixture.js';

const node = sdkNode({ port: 4000 });
const { wallet, alpha, beta, gamma } = node;

describe('the unmodified Push SDK against devnet + node on localhost:4000', () => {
  beforeAll(() => node.start(), 180_000);
  afterAll(() => node.close());

  it('PushAPI.initialize works with a signer (EIP-712 mode) and read-only', async () => {
    const user = await PushAPI.initialize(wallet(15), { env: ENV });
    expect(user.account).toBe(getAddress(node.devnet.accounts[15]!.address));
    const ro = await PushAPI.initialize(null as never, {
      env: ENV,
      account: node.devnet.accounts[16]!.address,
    });
    expect(ro.readmode()).toBe(true);
    const subs = await ro.notification.subscriptions();
    expect(subs).toEqual([]);
  });

  it('channel.info returns the indexed channel with parsable settings', async () => {
    const owner = await PushAPI.initialize(wallet(alpha().ownerIndex), { env: ENV });
    const info = await owner.channel.info();
    expect(info.channel).toBe(getAddress(alpha().channel));
    expect(info.name).toBe('SDK alpha');
    expect(typeof info.channel_settings).toBe('string');
    expect(JSON.parse(info.channel_settings)).toHaveLength(3);
    const other = await owner.channel.info(caip(beta().channel));
    expect(other.channel).toBe(getAddress(beta().channel));
  });

  it('subscribe / unsubscribe with and without settings; subscriptions and subscribers reflect them', async () => {
    const user = await PushAPI.initialize(wallet(15), { env: ENV });
    const s1 = await user.notification.subscribe(caip(beta().channel));
    expect(s1.status).toBe(204);
    const s2 = await user.notification.subscribe(caip(alpha().channel), {
      settings: [
        { enabled: true },
        { enabled: true, value: 60 },
        { enabled: true, value: { lower: 20, upper: 40 } },
      ],
    });
    expect(s2.status).toBe(204);
    const subs = await user.notification.subscriptions();
    const mine = new Map(
      subs.map((s: { channel: string; user_settings: unknown }) => [s.channel, s.user_settings]),
    );
    expect(mine.has(getAddress(beta().channel))).toBe(true);
    const settings = JSON.parse(mine.get(getAddress(alpha().channel)) as string);
    expect(settings[1]).toMatchObject({ type: 2, user: 60, enabled: true });
    expect(settings[2]).toMatchObject({ type: 3, user: { lower: 20, upper: 40 } });

    const owner = await PushAPI.initialize(wallet(beta().ownerIndex), { env: ENV });
    const all = await owner.channel.subscribers(); // no page: the legacy POST /channels/_get_subscribers
    // `_getSubscribers` resolves the `subscribers` array itself.
    expect(all).toContain(node.devnet.accounts[15]!.address.toLowerCase());
    const paged = await owner.channel.subscribers({ page: 1, limit: 10 });
    expect((paged as { subscribers: string[] }).subscribers).toContain(
      node.devnet.accounts[15]!.address.toLowerCase(),
    );

    const u = await user.notification.unsubscribe(caip(beta().channel));
    expect((u as { status: unknown }).status).toBe(204);
    const after = await user.notification.subscriptions();
    expect(after.map((s: { channel: string }) => s.channel)).not.toContain(getAddress(beta().channel));
  });

  it('channel.send broadcast / targeted / subset land in inbox and spam as the SDK lists them', async () => {
    const owner = await PushAPI.initialize(wallet(beta().ownerIndex), { env: ENV });
    const sub = await PushAPI.initialize(wallet(5), { env: ENV }); // seeded subscriber of beta
    const stranger = await PushAPI.initialize(wallet(17), { env: ENV });
    const r1 = await owner.channel.send(['*'], { notification: { title: 'B1', body: 'broadcast' } });
    expect(r1.status).toBe(204);
    const r2 = await owner.channel.send([node.devnet.accounts[17]!.address], {
      notification: { title: 'T1', body: 'targeted' },
    });
    expect(r2.status).toBe(204);
    const r3 = await owner.channel.send(
      [node.devnet.accounts[5]!.address, node.devnet.accounts[17]!.address],
      {
        notification: { title: 'S1', body: 'subset' },
      },
    );
    expect(r3.status).toBe(204);

    const inbox = await sub.notification.list('INBOX', { page: 1, limit: 20 });
    const titles = inbox.map((n: { title: string }) => n.title);
    expect(titles).toEqual(expect.arrayContaining(['B1', 'S1']));
    const b1 = inbox.find((n: { title: string }) => n.title === 'B1');
    expect(b1).toMatchObject({ message: 'broadcast', app: 'SDK beta', blockchain: 'ETH_TEST_SEPOLIA' });
    expect(b1.notification.title).toBe('SDK beta - B1');

    const spam = await stranger.notification.list('SPAM', { page: 1, limit: 20 });
    expect(spam.map((n: { title: string }) => n.title)).toEqual(['S1', 'T1']);
    const strangerInbox = await stranger.notification.list('INBOX', { page: 1, limit: 20 });
    expect(strangerInbox).toEqual([]);
  });

  it('a delegate added on chain sends for the channel', async () => {
    const delegate = await PushAPI.initialize(wallet(4), { env: ENV });
    const res = await delegate.channel.send(['*'], {
      notification: { title: 'D1', body: 'from the delegate' },
      channel: caip(beta().channel),
    });
    expect(res.status).toBe(204);
    const delegates = await delegate.channel.delegate.get({ channel: caip(beta().channel) });
    expect(delegates.map((d: string) => d.toLowerCase())).toContain(
      node.devnet.accounts[4]!.address.toLowerCase(),
    );
    const sub = await PushAPI.initialize(wallet(5), { env: ENV });
    const inbox = await sub.notification.list('INBOX', { page: 1, limit: 20 });
    expect(inbox.map((n: { title: string }) => n.title)).toContain('D1');
  });

  it('the verified alias sends from the alias chain (80002)', async () => {
    const aliasAddress = gamma().alias!.address;
    const aliasOwner = await PushAPI.initialize(wallet(10), { env: ENV });
    const info = await aliasOwner.channel.alias.info({ alias: aliasAddress, aliasChain: 'POLYGON' });
    expect(info).toMatchObject({ channel: getAddress(gamma().channel), is_alias_verified: 1 });
    const res = await aliasOwner.channel.send(['*'], {
      notification: { title: 'A1', body: 'from amoy' },
      channel: caip(aliasAddress, 80002),
    });
    expect(res.status).toBe(204);
    const subscriber = await PushAPI.initialize(wallet(8), { env: ENV }); // seeded subscriber of gamma
    const inbox = await subscriber.notification.list('INBOX', { page: 1, limit: 20 });
    const a1 = inbox.find((n: { title: string }) => n.title === 'A1');
    expect(a1).toBeDefined();
    expect(a1.blockchain).toBe('POLYGON_TEST_AMOY');
  });

  it('live events arrive through PushStream and @pushprotocol/socket, field by field', async () => {
    const owner = await PushAPI.initialize(wallet(beta().ownerIndex), { env: ENV });
    const listener = await PushAPI.initialize(wallet(6), { env: ENV }); // seeded subscriber of beta
    const stream = await listener.initStream([CONSTANTS.STREAM.NOTIF], { raw: true });
    const fromStream: Record<string, unknown>[] = [];
    stream.on(CONSTANTS.STREAM.NOTIF, (n: Record<string, unknown>) => fromStream.push(n));
    await stream.connect();

    const sdkSocket = createSocketConnection({
      user: caip(node.devnet.accounts[6]!.address),
      env: ENV as never,
      socketType: 'notification',
      socketOptions: { autoConnect: true, reconnectionAttempts: 1 },
    })!;
    const fromSocket: Record<string, unknown>[] = [];
    sdkSocket.on(EVENTS.USER_FEEDS, (item: Record<string, unknown>) => fromSocket.push(item));
    await until(() => (sdkSocket.connected ? true : undefined));

    await owner.channel.send(['*'], {
      notification: { title: 'L1', body: 'live' },
      payload: { title: 'L1 sub', body: 'live body', cta: 'https://cta.example', embed: '' },
    });
    const n = await until(() =>
      fromStream.find((x) => (x.message as { payload: { title: string } }).payload.title === 'L1 sub'),
    );
    expect(n).toMatchObject({
      event: 'notification.inbox',
      origin: 'other',
      from: getAddress(beta().channel),
      channel: { name: 'SDK beta', url: 'https://beta.example' },
      meta: { type: 'NOTIFICATION.BROADCAST' },
      message: {
        notification: { title: 'SDK beta - L1', body: 'live' },
        payload: { title: 'L1 sub', body: 'live body', cta: 'https://cta.example' },
      },
      config: { silent: false, hidden: false },
      source: 'ETH_TEST_SEPOLIA',
    });
    expect(typeof n.notifID).toBe('string');
    expect((n.raw as { verificationProof: string }).verificationProof).toMatch(/^eip712v2:0x/);

    const item = await until(() =>
      fromSocket.find((x) => (x.payload as { data: { asub: string } }).data.asub === 'L1 sub'),
    );
    const payload = item.payload as {
      data: Record<string, unknown>;
      notification: unknown;
      recipients: unknown;
    };
    expect(item.sender).toBe(getAddress(beta().channel));
    expect(typeof item.payload_id).toBe('number');
    expect(item.source).toBe('ETH_TEST_SEPOLIA');
    expect(payload.data).toMatchObject({
      type: 1,
      app: 'SDK beta',
      asub: 'L1 sub',
      amsg: 'live body',
      acta: 'https://cta.example',
    });
    expect(payload.notification).toEqual({ title: 'SDK beta - L1', body: 'live' });
    expect(payload.recipients).toBe(`eip155:${CORE}:${beta().channel.toLowerCase()}`);
    sdkSocket.disconnect();
    await stream.disconnect();
  });
});
