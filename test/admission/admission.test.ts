import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { getAddress } from 'viem';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIpfsClient } from '../../src/content/ipfs.js';
import { cidOf, createIpfsGateway, type IpfsGateway } from '../../src/devnet/index.js';
import { isPushError } from '../../src/errors.js';
import type { ContentSubgraph } from '../../src/ingest/admission/content.js';
import type { Admission } from '../../src/ingest/admission/index.js';
import type { AdmittedNotification } from '../../src/ingest/bus.js';
import type { Store } from '../../src/store/index.js';
import { listChannelNotifications, listUserFeed } from '../../src/store/repos/feeds.js';
import { storeBackends } from '../support/store-backends.js';
import { testTempDirs } from '../support/temp-dir.js';
import {
  ALIAS_CHAIN_ID,
  addr,
  CORE_ADMISSION_CHAIN,
  CORE_CHAIN_ID,
  CORE_COMM,
  key,
  sdkPayloadJson,
  sdkSend,
  seedChannel,
  signData,
  signSubscribeV1,
  testAdmission,
} from './support.js';

let gateway: IpfsGateway;
const tempDirs = testTempDirs('push-adm-ipfs-');

beforeAll(async () => {
  gateway = await createIpfsGateway({ dir: tempDirs.make() });
});
afterAll(async () => {
  await gateway?.close();
  tempDirs.removeAll();
});

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isPushError(err) ? err.code : err).toBe(code);
}

const CH = 1; // channel owner key
const DELEGATE = 2;
const ALIAS = 3; // alias address of channel CH on the alias chain
const OTHER_CH = 4;

describe.each(storeBackends())('admission on $name', (backend) => {
  let store: Store;
  let admission: Admission;
  let events: AdmittedNotification[];
  const subgraphData = new Map<string, { notification: unknown; recipient: string | null }>();
  let clock = 1_700_000_000_000;

  afterAll(() => backend.cleanup());

  beforeEach(async () => {
    store = await backend.open();
    const subgraph: ContentSubgraph = {
      async fetchNotification(id, counter) {
        return subgraphData.get(`${id}+${counter}`) ?? null;
      },
    };
    ({ admission, events } = testAdmission(store, {
      ipfs: createIpfsClient({ gateways: [gateway.gatewayUrl], timeoutMs: 2000, maxBytes: 1 << 20 }),
      subgraph,
      now: () => clock,
    }));
    await seedChannel(store.db, CH, {
      settings: '3+1-1+2-1-50-0-100-1+3-1-10-20-0-100-1',
      description: 'Breaking news+Price threshold+Price range',
      subgraph: '60+org/subgraph',
    });
    await seedChannel(store.db, OTHER_CH);
  });

  const coreCaip = (n: number) => `eip155:${CORE_CHAIN_ID}:${getAddress(addr(n))}`;

  async function optIn(user: number, channel: number, ts: number, userSetting = '') {
    const message = JSON.stringify(
      {
        channel: getAddress(addr(channel)),
        subscriber: getAddress(addr(user)),
        action: 'Subscribe',
        userSetting,
      },
      null,
      4,
    );
    const sig = await signData(user, CORE_CHAIN_ID, message);
    return admission.subscribe(
      coreCaip(channel),
      { verificationProof: `eip712v2:${sig}`, message },
      { receivedAt: ts },
    );
  }
  async function optOut(user: number, channel: number, ts: number) {
    const message = JSON.stringify(
      { channel: getAddress(addr(channel)), unsubscriber: getAddress(addr(user)), action: 'Unsubscribe' },
      null,
      4,
    );
    const sig = await signData(user, CORE_CHAIN_ID, message);
    return admission.unsubscribe(
      coreCaip(channel),
      { verificationProof: `eip712v2:${sig}`, message },
      { receivedAt: ts },
    );
  }
  const inbox = (user: number, extra: Partial<Parameters<typeof listUserFeed>[1]> = {}) =>
    listUserFeed(store.db, { user: addr(user), box: 'inbox', limit: 50, now: clock, ...extra });
  const spam = (user: number) =>
    listUserFeed(store.db, { user: addr(user), box: 'spam', limit: 50, now: clock });

  it('admits an SDK broadcast once, publishes it once, and resolves it per reader', async () => {
    await optIn(11, CH, clock - 1000);
    const body = await sdkSend(CH, CORE_CHAIN_ID, getAddress(addr(CH)), { title: 'hello' });
    const first = await admission.admitPayload(body, { receivedAt: clock });
    expect(first).toMatchObject({ status: 'admitted', duplicate: false });
    const again = await admission.admitPayload(body, { receivedAt: clock + 5 });
    expect(again).toEqual({ ...first, duplicate: true });
    expect(events).toHaveLength(1);
    const ev = events[0]!;
    expect(ev.recipients).toEqual({ inbox: 'subscribers', spam: [] });
    expect(ev.feedItem).toMatchObject({
      payload_id: first.notificationId,
      sender: getAddress(addr(CH)),
      source: 'ETH_TEST_SEPOLIA',
      payload: {
        data: { type: 1, app: `Channel ${CH}`, asub: 'hello' },
        notification: { title: `Channel ${CH} - hello` },
        recipients: `eip155:${CORE_CHAIN_ID}:${addr(CH)}`,
        verificationProof: body.verificationProof,
      },
    });
    const page = await inbox(11);
    expect(page.feeds.map((f) => f.payload_id)).toEqual([first.notificationId]);
    expect(page.itemcount).toBe(1);
    expect((await inbox(11, { count: true })).itemcount).toBe(1);
    expect(page.feeds[0]).toEqual({ ...ev.feedItem });
    // Not subscribed: a broadcast reaches subscribers only, and is never spam.
    expect((await inbox(12)).feeds).toEqual([]);
    expect((await spam(12)).feeds).toEqual([]);
    const listed = await listChannelNotifications(store.db, { channel: addr(CH) });
    expect(listed.total).toBe(1);
    expect(listed.notifications[0]).toMatchObject({
      notifID: first.notificationId,
      meta: { type: 'NOTIFICATION.BROADCAST' },
    });
  });

  it('verifies ethers v5 _signTypedData signatures (the SDK signer)', async () => {
    const wallet = new Wallet(key(CH));
    const identity = `2+${sdkPayloadJson(coreCaip(CH), {})}`;
    const sig = await wallet._signTypedData(
      { name: 'EPNS COMM V1', chainId: CORE_CHAIN_ID, verifyingContract: CORE_COMM },
      { Data: [{ name: 'data', type: 'string' }] },
      { data: identity },
    );
    const r = await admission.admitPayload({
      verificationProof: `eip712v2:${sig}::uid::abc-1`,
      identity,
      sender: coreCaip(CH),
      source: 'ETH_TEST_SEPOLIA',
      recipient: coreCaip(CH),
    });
    expect(r.status).toBe('admitted');
  });

  it('refuses forged, replayed-onto-other-content and wrong-domain signatures, storing nothing', async () => {
    const forged = await sdkSend(OTHER_CH, CORE_CHAIN_ID, addr(CH)); // signed by someone else
    await rejects(admission.admitPayload(forged), 'PUSH_ERR_SIGNER_NOT_AUTHORIZED');
    const good = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: 'a' });
    const replayed = { ...good, identity: `2+${sdkPayloadJson(coreCaip(CH), { title: 'b' })}` };
    await rejects(admission.admitPayload(replayed), 'PUSH_ERR_SIGNER_NOT_AUTHORIZED');
    // The same signature presented for another channel.
    await rejects(
      admission.admitPayload({ ...good, sender: coreCaip(OTHER_CH), recipient: coreCaip(OTHER_CH) }),
      'PUSH_ERR_SIGNER_NOT_AUTHORIZED',
    );
    await rejects(
      admission.admitPayload({ ...good, verificationProof: `eip712v2:0x${'00'.repeat(65)}` }),
      'PUSH_ERR_SIGNATURE_INVALID',
    );
    await rejects(
      admission.admitPayload({ ...good, source: 'POLYGON_TEST_AMOY' }),
      'PUSH_ERR_SOURCE_MISMATCH',
    );
    await rejects(admission.admitPayload({ ...good, sender: 'nope' }), 'PUSH_ERR_INVALID_CAIP');
    await rejects(admission.admitPayload({ ...good, identity: '' }), 'PUSH_ERR_VALIDATION');
    await rejects(admission.admitPayload({ ...good, identity: '2+{bad' }), 'PUSH_ERR_INVALID_IDENTITY');
    await rejects(
      admission.admitPayload({
        ...good,
        verificationProof: 'pgpv4:-----BEGIN PGP SIGNATURE-----\nx\n-----END PGP SIGNATURE-----\n',
      }),
      'PUSH_ERR_UNSUPPORTED_PROOF',
    );
    expect(await store.db.selectFrom('notifications').selectAll().execute()).toEqual([]);
    expect(await store.db.selectFrom('inputs').selectAll().execute()).toEqual([]);
    expect(events).toEqual([]);
  });

  it('accepts delegates on their own chain until removed', async () => {
    await store.db
      .insertInto('delegates')
      .values({ chain_id: CORE_CHAIN_ID, channel: addr(CH), delegate: addr(DELEGATE), added_at: 0 })
      .execute();
    const r = await admission.admitPayload(await sdkSend(DELEGATE, CORE_CHAIN_ID, addr(CH)));
    expect(r.status).toBe('admitted');
    expect(events[0]!.notification.delegate).toBe(addr(DELEGATE));
    // A delegate of the core chain is not one on the alias chain.
    await store.db
      .insertInto('aliases')
      .values({
        alias_chain_id: ALIAS_CHAIN_ID,
        alias_address: addr(ALIAS),
        channel: addr(CH),
        declared: 1,
        confirmed: 1,
        declare_proof: null,
        confirm_proof: null,
        updated_at: 0,
      })
      .execute();
    await rejects(
      admission.admitPayload(await sdkSend(DELEGATE, ALIAS_CHAIN_ID, addr(ALIAS))),
      'PUSH_ERR_SIGNER_NOT_AUTHORIZED',
    );
    await store.db
      .insertInto('delegates')
      .values({ chain_id: ALIAS_CHAIN_ID, channel: addr(ALIAS), delegate: addr(DELEGATE), added_at: 0 })
      .execute();
    expect((await admission.admitPayload(await sdkSend(DELEGATE, ALIAS_CHAIN_ID, addr(ALIAS)))).status).toBe(
      'admitted',
    );
    await store.db.deleteFrom('delegates').execute(); // RemoveDelegate on both chains
    await rejects(
      admission.admitPayload(await sdkSend(DELEGATE, CORE_CHAIN_ID, addr(CH))),
      'PUSH_ERR_SIGNER_NOT_AUTHORIZED',
    );
    await rejects(
      admission.admitPayload(await sdkSend(DELEGATE, ALIAS_CHAIN_ID, addr(ALIAS))),
      'PUSH_ERR_SIGNER_NOT_AUTHORIZED',
    );
  });

  it('accepts an alias only once both sides of the handshake are seen, attributed to the core channel', async () => {
    await rejects(
      admission.admitPayload(await sdkSend(ALIAS, ALIAS_CHAIN_ID, addr(ALIAS))),
      'PUSH_ERR_CHANNEL_NOT_FOUND',
    );
    await store.db
      .insertInto('aliases')
      .values({
        alias_chain_id: ALIAS_CHAIN_ID,
        alias_address: addr(ALIAS),
        channel: addr(CH),
        declared: 1,
        confirmed: 0,
        declare_proof: null,
        confirm_proof: null,
        updated_at: 0,
      })
      .execute();
    await rejects(
      admission.admitPayload(await sdkSend(ALIAS, ALIAS_CHAIN_ID, addr(ALIAS))),
      'PUSH_ERR_ALIAS_NOT_VERIFIED',
    );
    await store.db.updateTable('aliases').set({ confirmed: 1 }).execute();
    await optIn(11, CH, clock - 1);
    const r = await admission.admitPayload(await sdkSend(ALIAS, ALIAS_CHAIN_ID, addr(ALIAS)), {
      receivedAt: clock,
    });
    expect(r.status).toBe('admitted');
    expect(events[0]!.notification.channel).toBe(addr(CH));
    expect(events[0]!.feedItem.sender).toBe(getAddress(addr(ALIAS)));
    expect(events[0]!.feedItem.source).toBe('POLYGON_TEST_AMOY');
    expect((await inbox(11)).feeds).toHaveLength(1);
  });

  it('refuses blocked, deactivated and unknown channels', async () => {
    await store.db.updateTable('channels').set({ state: 3 }).where('channel', '=', addr(CH)).execute();
    await rejects(
      admission.admitPayload(await sdkSend(CH, CORE_CHAIN_ID, addr(CH))),
      'PUSH_ERR_CHANNEL_BLOCKED',
    );
    await store.db.updateTable('channels').set({ state: 2 }).where('channel', '=', addr(CH)).execute();
    await rejects(
      admission.admitPayload(await sdkSend(CH, CORE_CHAIN_ID, addr(CH))),
      'PUSH_ERR_CHANNEL_INACTIVE',
    );
    await rejects(
      admission.admitPayload(await sdkSend(9, CORE_CHAIN_ID, addr(9))),
      'PUSH_ERR_CHANNEL_NOT_FOUND',
    );
  });

  it('resolves every identity type: minimal, IPFS, inline, subgraph', async () => {
    await optIn(11, CH, clock - 1);
    const minimal = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), {
      identity: '0+3+Min title+Min body with + sign',
      type: 3,
      recipients: [coreCaip(11)],
    });
    expect((await admission.admitPayload(minimal, { receivedAt: clock })).status).toBe('admitted');
    const json = sdkPayloadJson(coreCaip(CH), { title: 'from ipfs' });
    const cid = await gateway.add(json);
    expect(
      (
        await admission.admitPayload(await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { identity: `1+${cid}` }), {
          receivedAt: clock + 1,
        })
      ).status,
    ).toBe('admitted');
    subgraphData.set('org/subgraph+7', {
      notification: JSON.stringify({ title: 'graph', body: 'from the graph', subject: 'graph', type: 1 }),
      recipient: null,
    });
    const graphIdentity = '3+graph:org/subgraph+7';
    expect(
      (
        await admission.admitPayload(
          {
            verificationProof: 'thegraph:org/subgraph+7',
            identity: graphIdentity,
            sender: coreCaip(CH),
            source: 'THE_GRAPH',
            recipient: coreCaip(CH),
          },
          { receivedAt: clock + 2 },
        )
      ).status,
    ).toBe('admitted');
    await rejects(
      admission.admitPayload({
        verificationProof: 'thegraph:other/graph+7',
        identity: '3+graph:other/graph+7',
        sender: coreCaip(CH),
        source: 'THE_GRAPH',
        recipient: coreCaip(CH),
      }),
      'PUSH_ERR_SIGNER_NOT_AUTHORIZED',
    );
    const page = await inbox(11);
    expect(page.feeds.map((f) => f.payload.data.asub)).toEqual(['graph', 'from ipfs', 'Min title']);
    expect(page.feeds[2]!.payload.notification.body).toBe('Min body with + sign');
  });

  it('refuses IPFS content that does not hash to its CID; retries content that is not available yet', async () => {
    const json = sdkPayloadJson(coreCaip(CH), { title: `late ${backend.name}` });
    const cid = await cidOf(json);
    writeFileSync(join(gateway.dir, cid), 'not the content');
    await rejects(
      admission.admitPayload(await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { identity: `1+${cid}` })),
      'PUSH_ERR_CID_MISMATCH',
    );
    expect(await store.db.selectFrom('notifications').selectAll().execute()).toEqual([]);

    const lateJson = sdkPayloadJson(coreCaip(CH), { title: `later ${backend.name}` });
    const lateCid = await cidOf(lateJson);
    const body = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { identity: `1+${lateCid}` });
    const r = await admission.admitPayload(body);
    expect(r).toMatchObject({ status: 'pending_content', duplicate: false });
    expect(events).toEqual([]);
    const state = await admission.notificationState(r.notificationId);
    expect(state).toMatchObject({ status: 'pending_content', attempts: 1 });
    expect(state!.error).toMatch(/PUSH_ERR_IPFS_UNAVAILABLE/);
    expect(await admission.admitPayload(body)).toEqual({ ...r, duplicate: true });
    await gateway.add(lateJson);
    clock += 60 * 60_000; // past any backoff
    await admission.retryPendingContent();
    // Filed under a fresh id (ids grow in the order items become visible); the request's proof still finds it.
    const filed = await admission.notificationState(body.verificationProof);
    expect(filed).toMatchObject({ status: 'admitted', error: null });
    expect(filed!.id).toBeGreaterThan(r.notificationId);
    expect(await admission.notificationState(r.notificationId)).toBeNull();
    expect(events).toHaveLength(1);
    expect(events[0]!.feedItem.payload.data.asub).toBe(`later ${backend.name}`);
    await admission.retryPendingContent();
    expect(events).toHaveLength(1);
  });

  it('files late IPFS content to the recipient the request named (kept with its notification)', async () => {
    // The content names no recipient: only the request's `recipient` says who the targeted notification is for.
    const json = sdkPayloadJson(coreCaip(CH), { type: 3, title: `late targeted ${backend.name}` });
    expect(JSON.parse(json)).not.toHaveProperty('recipients');
    const cid = await cidOf(json);
    const body = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), {
      identity: `1+${cid}`,
      type: 3,
      recipients: [coreCaip(12)],
    });
    const r = await admission.admitPayload(body);
    expect(r).toMatchObject({ status: 'pending_content' });
    expect(await store.db.selectFrom('inputs').selectAll().execute()).toEqual([]);
    await gateway.add(json);
    clock += 60 * 60_000;
    await admission.retryPendingContent();
    expect(events.map((e) => e.recipients)).toEqual([{ inbox: [], spam: [addr(12)] }]);
    const filed = await admission.notificationState(body.verificationProof);
    expect((await spam(12)).feeds.map((f) => f.payload_id)).toEqual([filed!.id]);
  });

  it('refuses late IPFS content that names another recipient than the request did', async () => {
    const json = sdkPayloadJson(coreCaip(CH), {
      type: 3,
      title: `for 11 only ${backend.name}`,
      recipients: [coreCaip(11)],
    });
    const cid = await cidOf(json);
    const body = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), {
      identity: `1+${cid}`,
      type: 3,
      recipients: [coreCaip(12)],
    });
    expect(await admission.admitPayload(body)).toMatchObject({ status: 'pending_content' });
    await gateway.add(json);
    clock += 60 * 60_000;
    await admission.retryPendingContent();
    const state = await admission.notificationState(body.verificationProof);
    expect(state).toMatchObject({ status: 'failed' });
    expect(state!.error).toMatch(/PUSH_ERR_RECIPIENT_MISMATCH/);
    expect(events).toEqual([]);
    expect((await spam(12)).feeds).toEqual([]);
  });

  it("keeps a delegate's name on late IPFS content when it is filed", async () => {
    await store.db
      .insertInto('delegates')
      .values({ chain_id: CORE_CHAIN_ID, channel: addr(CH), delegate: addr(DELEGATE), added_at: 0 })
      .execute();
    const json = sdkPayloadJson(coreCaip(CH), { title: `late by a delegate ${backend.name}` });
    const cid = await cidOf(json);
    const body = await sdkSend(DELEGATE, CORE_CHAIN_ID, addr(CH), { identity: `1+${cid}` });
    expect(await admission.admitPayload(body)).toMatchObject({ status: 'pending_content' });
    await gateway.add(json);
    clock += 60 * 60_000;
    await admission.retryPendingContent();
    expect(events.map((e) => e.notification.delegate)).toEqual([addr(DELEGATE)]);
  });

  it('gives up on content after the bounded attempts, visibly', async () => {
    const cid = await cidOf(`never pinned ${backend.name}`);
    const r = await admission.admitPayload(
      await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { identity: `1+${cid}` }),
    );
    for (let i = 0; i < 20; i++) {
      clock += 60 * 60_000;
      await admission.retryPendingContent();
    }
    expect(await admission.notificationState(r.notificationId)).toMatchObject({
      status: 'failed',
      attempts: 12,
    });
  });

  it('files targeted and subset copies in inbox or spam by subscription at send time', async () => {
    await optIn(11, CH, clock - 10);
    await optIn(12, CH, clock - 10);
    const t = await admission.admitPayload(
      await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { type: 3, recipients: [coreCaip(13)] }),
      { receivedAt: clock },
    );
    expect(events.at(-1)!.recipients).toEqual({ inbox: [], spam: [addr(13)] });
    expect((await spam(13)).feeds.map((f) => f.payload_id)).toEqual([t.notificationId]);
    const s = await admission.admitPayload(
      await sdkSend(CH, CORE_CHAIN_ID, addr(CH), {
        type: 4,
        recipients: [coreCaip(11), coreCaip(12), coreCaip(14)],
      }),
      { receivedAt: clock + 1 },
    );
    const ev = events.at(-1)!;
    expect(ev.recipients).toEqual({ inbox: [addr(11), addr(12)], spam: [addr(14)] });
    expect(ev.spamFeedItem!.payload_id).toBe(-s.notificationId);
    expect((await inbox(12)).feeds.map((f) => f.payload_id)).toEqual([s.notificationId]);
    expect((await spam(14)).feeds.map((f) => f.payload_id)).toEqual([-s.notificationId]);
  });

  it('refuses a subset of more than 1,000 recipients', async () => {
    const recipients = Array.from(
      { length: 1001 },
      (_, i) => `eip155:${CORE_CHAIN_ID}:0x${(i + 1).toString(16).padStart(40, '0')}`,
    );
    await rejects(
      admission.admitPayload(await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { type: 4, recipients })),
      'PUSH_ERR_TOO_MANY_RECIPIENTS',
    );
    const ok = await admission.admitPayload(
      await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { type: 4, recipients: recipients.slice(0, 1000) }),
    );
    expect(events.at(-1)!.recipients.spam).toHaveLength(1000);
    expect(ok.status).toBe('admitted');
  });

  it('filters by channel settings and each subscriber’s settings (boolean, slider, range)', async () => {
    // Each category passes when its switch is on; slider and range values are not compared (reference §4.8: the SDK
    // always sends the channel's default as the index value).
    await optIn(11, CH, clock - 10); // defaults: all on
    await optIn(12, CH, clock - 10, '1+1-0+2-1-80+3-0-30-40'); // news off, slider on, range off
    await optIn(13, CH, clock - 10, '1+1-1+2-0-80+3-1-30-40'); // news on, slider off, range on
    const send = async (index: string, at: number) =>
      (
        await admission.admitPayload(await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { index, title: index }), {
          receivedAt: at,
        })
      ).notificationId;
    await send('1-1', clock);
    await send('2-2-60', clock + 1);
    await send('2-2-90', clock + 2);
    await send('3-3-15', clock + 3);
    await send('3-3-35', clock + 4);
    const titles = async (u: number) => (await inbox(u)).feeds.map((f) => f.payload.data.asub).sort();
    expect(await titles(11)).toEqual(['1-1', '2-2-60', '2-2-90', '3-3-15', '3-3-35']);
    expect(await titles(12)).toEqual(['2-2-60', '2-2-90']);
    expect(await titles(13)).toEqual(['1-1', '3-3-15', '3-3-35']);
    await rejects(
      admission.admitPayload(await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { index: '2-1' })),
      'PUSH_ERR_INVALID_INDEX',
    );
    // A targeted notification to a subscriber whose settings refuse it is not delivered at all.
    await admission.admitPayload(
      await sdkSend(CH, CORE_CHAIN_ID, addr(CH), {
        type: 3,
        recipients: [coreCaip(12)],
        index: '1-1',
        title: 't',
      }),
      { receivedAt: clock + 5 },
    );
    expect(events.at(-1)!.recipients).toEqual({ inbox: [], spam: [] });
  });

  it('applies subscribe/unsubscribe last-writer-wins in any arrival order, and answers "subscribed at send time"', async () => {
    const t1 = clock;
    const t2 = clock + 100;
    // The unsubscribe (t2) arrives before the subscribe (t1).
    expect((await optOut(11, CH, t2)).subscribed).toBe(false);
    expect((await optIn(11, CH, t1)).status).toBe('unchanged');
    const sub = await store.db
      .selectFrom('subscriptions')
      .selectAll()
      .where('subscriber', '=', addr(11))
      .executeTakeFirst();
    expect(sub?.subscribed).toBe(0);
    const during = await admission.admitPayload(
      await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: 'during' }),
      { receivedAt: t1 + 50 },
    );
    await admission.admitPayload(await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: 'after' }), {
      receivedAt: t2 + 50,
    });
    expect((await inbox(11)).feeds.map((f) => f.payload_id)).toEqual([during.notificationId]);
    // A targeted one sent during the period is inbox, after it spam.
    await admission.admitPayload(
      await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { type: 3, recipients: [coreCaip(11)] }),
      { receivedAt: t1 + 60 },
    );
    expect(events.at(-1)!.recipients.inbox).toEqual([addr(11)]);
    await admission.admitPayload(
      await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { type: 3, recipients: [coreCaip(11)] }),
      { receivedAt: t2 + 60 },
    );
    expect(events.at(-1)!.recipients.spam).toEqual([addr(11)]);
    // Same commands in the other order give the same state (a fresh user).
    await optIn(12, CH, t1);
    await optOut(12, CH, t2);
    const periods = async (u: number) =>
      (
        await store.db
          .selectFrom('subscription_periods' as never)
          .selectAll()
          .where('subscriber' as never, '=', addr(u) as never)
          .execute()
      ).map((p) => {
        const r = p as { from_ts: number; to_ts: number };
        return [Number(r.from_ts), Number(r.to_ts)];
      });
    expect(await periods(12)).toEqual(await periods(11));
    expect(await periods(11)).toEqual([[t1, t2]]);
  });

  it('records a V1 opt-in as its signed fields: an unsigned, deeply nested extra is neither stored nor a 500', async () => {
    const v1 = await signSubscribeV1(15, CORE_CHAIN_ID, 'Subscribe', addr(CH), addr(15));
    let deep: unknown = {};
    for (let i = 0; i < 20_000; i++) deep = { deep };
    const message = { channel: coreCaip(CH), subscriber: coreCaip(15), action: 'Subscribe', extra: deep };
    const r = await admission.subscribe(
      coreCaip(CH),
      { verificationProof: v1, message },
      { receivedAt: clock },
    );
    expect(r).toMatchObject({ status: 'applied', subscribed: true, subscriber: addr(15) });
    const rows = await store.db
      .selectFrom('inputs')
      .select('body')
      .where('kind', '=', 'http')
      .where('event', '=', 'Subscribe')
      .execute();
    const recorded = rows
      .map((row) => (JSON.parse(row.body) as { message: Record<string, unknown> }).message)
      .find((m) => String(m.subscriber).toLowerCase() === addr(15));
    expect(recorded).toEqual({ channel: addr(CH), subscriber: addr(15), action: 'Subscribe' });
  });

  it('verifies V1 (bare signature, CAIP message) and V2 opt-ins, with settings; refuses forgeries and pgpv4', async () => {
    const v1 = await signSubscribeV1(13, CORE_CHAIN_ID, 'Subscribe', addr(CH), addr(13));
    const r = await admission.subscribe(
      coreCaip(CH),
      {
        verificationProof: v1,
        message: { channel: coreCaip(CH), subscriber: coreCaip(13), action: 'Subscribe' },
      },
      { receivedAt: clock },
    );
    expect(r).toMatchObject({ status: 'applied', subscribed: true, subscriber: addr(13) });
    const v1out = await signSubscribeV1(13, CORE_CHAIN_ID, 'Unsubscribe', addr(CH), addr(13));
    expect(
      (
        await admission.unsubscribe(
          coreCaip(CH),
          {
            verificationProof: v1out,
            message: { channel: coreCaip(CH), unsubscriber: coreCaip(13), action: 'Unsubscribe' },
          },
          { receivedAt: clock + 1 },
        )
      ).subscribed,
    ).toBe(false);
    expect((await optIn(14, CH, clock, '2+1-1+2-1-75+3-0-10-20')).settings).toBe('2+1-1+2-1-75+3-0-10-20');
    await rejects(optIn(14, CH, clock, '1+2-1-500'), 'PUSH_ERR_INVALID_USER_SETTINGS');
    // Signed by someone else for user 14.
    const message = JSON.stringify(
      {
        channel: getAddress(addr(CH)),
        subscriber: getAddress(addr(14)),
        action: 'Subscribe',
        userSetting: '',
      },
      null,
      4,
    );
    const forged = await signData(13, CORE_CHAIN_ID, message);
    await rejects(
      admission.subscribe(coreCaip(CH), { verificationProof: `eip712v2:${forged}`, message }),
      'PUSH_ERR_SIGNER_NOT_AUTHORIZED',
    );
    // Re-serialised (2 spaces) is not what was signed.
    const good = await signData(14, CORE_CHAIN_ID, message);
    await rejects(
      admission.subscribe(coreCaip(CH), {
        verificationProof: `eip712v2:${good}`,
        message: JSON.stringify(JSON.parse(message), null, 2),
      }),
      'PUSH_ERR_SIGNER_NOT_AUTHORIZED',
    );
    // A signed subscribe cannot be replayed on the unsubscribe route, nor for another channel.
    await rejects(
      admission.unsubscribe(coreCaip(CH), { verificationProof: `eip712v2:${good}`, message }),
      'PUSH_ERR_INVALID_SUBSCRIPTION_MESSAGE',
    );
    await rejects(
      admission.subscribe(coreCaip(OTHER_CH), { verificationProof: `eip712v2:${good}`, message }),
      'PUSH_ERR_INVALID_SUBSCRIPTION_MESSAGE',
    );
    await rejects(
      admission.subscribe(coreCaip(CH), {
        verificationProof: 'pgpv4:-----BEGIN PGP SIGNATURE-----\nx\n-----END PGP SIGNATURE-----\n',
        message,
      }),
      'PUSH_ERR_UNSUPPORTED_PROOF',
    );
    await rejects(optIn(14, 9, clock), 'PUSH_ERR_CHANNEL_NOT_FOUND');
  });

  it('respects hidden and etime in feeds', async () => {
    await optIn(11, CH, clock - 10);
    await admission.admitPayload(
      await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: 'hidden', hidden: true }),
      { receivedAt: clock },
    );
    await admission.admitPayload(
      await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: 'expiring', etime: Math.floor(clock / 1000) + 60 }),
      { receivedAt: clock + 1 },
    );
    expect((await inbox(11)).feeds.map((f) => f.payload.data.asub)).toEqual(['expiring']);
    expect((await inbox(11, { showHidden: true })).feeds.map((f) => f.payload.data.asub)).toEqual([
      'expiring',
      'hidden',
    ]);
    expect((await inbox(11, { now: clock + 120_000 })).feeds).toEqual([]);
  });

  it('pages by page/limit and by keyset cursor', async () => {
    await optIn(11, CH, clock - 10);
    await optIn(11, OTHER_CH, clock - 10);
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) {
      const ch = i % 2 === 0 ? CH : OTHER_CH;
      const type = i % 3 === 0 ? 3 : 1;
      ids.push(
        (
          await admission.admitPayload(
            await sdkSend(ch, CORE_CHAIN_ID, addr(ch), { type, recipients: [coreCaip(11)] }),
            { receivedAt: clock + i },
          )
        ).notificationId,
      );
    }
    const newest = [...ids].reverse();
    expect((await inbox(11, { limit: 3, page: 1 })).feeds.map((f) => f.payload_id)).toEqual(
      newest.slice(0, 3),
    );
    expect((await inbox(11, { limit: 3, page: 3 })).feeds.map((f) => f.payload_id)).toEqual(newest.slice(6));
    expect((await inbox(11, { limit: 3, before: newest[2] })).feeds.map((f) => f.payload_id)).toEqual(
      newest.slice(3, 6),
    );
    expect((await inbox(11, { limit: 10, channel: addr(OTHER_CH) })).feeds.map((f) => f.payload_id)).toEqual(
      newest.filter((_, i) => (6 - i) % 2 === 1),
    );
    expect((await inbox(11, { count: true })).itemcount).toBe(7);
  });

  it('rate-limits per IP and per channel with a retry time', async () => {
    const { admission: limited } = testAdmission(store, {
      chains: [CORE_ADMISSION_CHAIN],
      limits: {
        perIp: { capacity: 2, refillPerSecond: 1 },
        perChannel: { capacity: 1, refillPerSecond: 0.5 },
      },
      now: () => clock,
    });
    await limited.admitPayload(await sdkSend(CH, CORE_CHAIN_ID, addr(CH)), { ip: '10.0.0.1' });
    const err = await limited
      .admitPayload(await sdkSend(CH, CORE_CHAIN_ID, addr(CH)), { ip: '10.0.0.2' })
      .catch((e) => e);
    expect(err.code).toBe('PUSH_ERR_RATE_LIMITED');
    expect(err.status).toBe(429);
    expect(err.details.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    await limited.admitPayload(await sdkSend(OTHER_CH, CORE_CHAIN_ID, addr(OTHER_CH)), { ip: '10.0.0.1' });
    await rejects(
      limited.admitPayload(await sdkSend(OTHER_CH, CORE_CHAIN_ID, addr(OTHER_CH)), { ip: '10.0.0.1' }),
      'PUSH_ERR_RATE_LIMITED',
    );
  });
});
