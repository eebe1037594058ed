import type { FastifyInstance } from 'fastify';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerReadRoutes } from '../../src/api/routes/read.js';
import { iconDataUri } from '../../src/devnet/channel-metadata.js';
import type { Store } from '../../src/store/index.js';
import { storeBackends } from '../support/store-backends.js';
import { ALIAS, addr, CORE, putChannel, putSubscription, testConfig, testServer } from './fixtures.js';

const CH = addr(0xc1);
const CH2 = addr(0xc2);
const OFF = addr(0xc3);
const ALIAS_ADDR = addr(0xa1);
const U1 = addr(0x11);
const U2 = addr(0x12);
const U3 = addr(0x13);
const DELEGATE = addr(0xd1);
const caip = (a: string, chain = CORE) => `eip155:${chain}:${getAddress(a)}`;

describe.each(storeBackends())('read routes on $name', (backend) => {
  let store: Store;
  let app: FastifyInstance;

  beforeAll(async () => {
    store = await backend.open();
    // CH: verified, two settings (boolean default on, slider), 3 subscribers; CH2: 1 subscriber; OFF: deactivated.
    await putChannel(store, CH, {
      name: 'Alpha News',
      verified_by: addr(0x99),
      settings_raw: '2+1-1+2-1-10-0-20-1',
      settings_description: 'Breaking+Volume',
      tags: JSON.stringify(['news', 'defi']),
      icon: iconDataUri('alpha'),
    });
    await putChannel(store, CH2, { name: 'beta_100% prices', tags: JSON.stringify(['defi']) });
    await putChannel(store, OFF, { name: 'Alpha off', state: 2 });
    await putSubscription(store, CH, U1, { ts: 1 });
    await putSubscription(store, CH, U2, { ts: 2, settingsRaw: '1+1-0+2-1-15' });
    await putSubscription(store, CH, U3, { ts: 3, subscribed: false });
    await putSubscription(store, CH2, U1, { ts: 4 });
    await store.db
      .insertInto('aliases')
      .values({
        alias_chain_id: ALIAS,
        alias_address: ALIAS_ADDR,
        channel: CH,
        declared: 1,
        confirmed: 1,
        declare_proof: 'eip155:11155111:0xd',
        confirm_proof: 'eip155:80002:0xc',
        updated_at: 1,
      })
      .execute();
    await store.db
      .insertInto('delegates')
      .values([
        { chain_id: CORE, channel: CH, delegate: DELEGATE, added_at: 1 },
        { chain_id: ALIAS, channel: ALIAS_ADDR, delegate: U3, added_at: 1 },
      ])
      .execute();
    app = testServer();
    registerReadRoutes(app, { store, config: testConfig });
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    await backend.cleanup();
  });

  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, res };
  };

  it('GET /v1/channels/:caip returns the record with channel_settings as a STRING (pitfall 2)', async () => {
    const { status, body } = await get(`/apis/v1/channels/${caip(CH)}`);
    expect(status).toBe(200);
    expect(body.channel).toBe(getAddress(CH));
    expect(typeof body.channel_settings).toBe('string');
    const settings = JSON.parse(body.channel_settings);
    expect(settings).toEqual([
      { type: 1, default: 1, description: 'Breaking', index: 1 },
      {
        type: 2,
        default: 10,
        enabled: true,
        lowerLimit: 0,
        upperLimit: 20,
        ticker: 1,
        index: 2,
        description: 'Volume',
      },
    ]);
    expect(body.minimal_channel_settings).toBe('2+1-1+2-1-10-0-20-1');
    expect(body.subscriber_count).toBe(2);
    expect(body.verified_status).toBe(1);
    expect(body.activation_status).toBe(1);
    expect(body.tags).toEqual(['news', 'defi']);
    expect(body.aliases).toHaveLength(1);
    expect(body.alias_address).toBe(getAddress(ALIAS_ADDR));
    expect(body.is_alias_verified).toBe(1);
    // Data-URI icons are linked, not inlined.
    expect(body.icon).toBe(`http://node.test/apis/v1/channels/icon/${getAddress(CH)}`);
  });

  it('channel_settings is null for a channel without settings', async () => {
    const { body } = await get(`/apis/v1/channels/${caip(CH2)}`);
    expect(body.channel_settings).toBeNull();
  });

  it('accepts the channel by alias CAIP, lower case and bare address', async () => {
    for (const c of [caip(ALIAS_ADDR, ALIAS), `eip155:${CORE}:${CH}`, CH]) {
      const { status, body } = await get(`/apis/v1/channels/${c}`);
      expect(status).toBe(200);
      expect(body.channel).toBe(getAddress(CH));
    }
  });

  it('404 for an unknown channel, 400 naming the field for a malformed CAIP', async () => {
    const unknown = await get(`/apis/v1/channels/${caip(addr(0xeeee))}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('PUSH_ERR_CHANNEL_NOT_FOUND');
    const bad = await get('/apis/v1/channels/eip155:11155111:0x12');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'PUSH_ERR_INVALID_CAIP', field: 'params.caip' });
  });

  it('a partial CAIP mangled by the SDK is refused with a hint (pitfall 7)', async () => {
    const mangled = `eip155:${CORE}:eip155:${getAddress(CH)}`;
    const { status, body } = await get(`/apis/v1/users/${mangled}/subscriptions`);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'PUSH_ERR_INVALID_CAIP', field: 'params.caip' });
    expect(body.error.hint).toContain('eip155:<chainId>:0x<address>');
  });

  it('an eip155:1 channel is not this (local, Sepolia-core) node’s (pitfall 6)', async () => {
    const { status, body } = await get(`/apis/v1/channels/eip155:1:${getAddress(CH)}`);
    expect(status).toBe(404);
    expect(body.error.code).toBe('PUSH_ERR_CHANNEL_NOT_FOUND');
  });

  it('lists active channels, verified first, with itemcount; limit is capped at api.maxPageSize', async () => {
    const { body } = await get('/apis/v1/channels?page=1&limit=10&sort=subscribers&order=desc');
    expect(body.itemcount).toBe(2);
    expect(body.channels.map((c: { channel: string }) => c.channel)).toEqual([
      getAddress(CH),
      getAddress(CH2),
    ]);
    const capped = await get('/apis/v1/channels?limit=100000');
    expect(capped.status).toBe(200);
    const page2 = await get('/apis/v1/channels?page=2&limit=1');
    expect(page2.body.channels.map((c: { channel: string }) => c.channel)).toEqual([getAddress(CH2)]);
    for (const page of ['0', '1000001', '9007199254740993']) {
      const bad = await get(`/apis/v1/channels?page=${page}`);
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ code: 'PUSH_ERR_VALIDATION', field: 'querystring.page' });
    }
  });

  it('search returns itemCount in camel case (pitfall 10) and escapes LIKE wildcards', async () => {
    const { status, body } = await get('/apis/v1/channels/search/?page=1&limit=10&query=alpha');
    expect(status).toBe(200);
    expect(body.itemCount).toBe(1); // the deactivated "Alpha off" is not listed
    expect(body.channels[0].channel).toBe(getAddress(CH));
    expect((await get('/apis/v1/channels/search?query=100%25')).body.itemCount).toBe(1);
    expect((await get('/apis/v1/channels/search?query=_')).body.itemCount).toBe(1);
    expect((await get('/apis/v1/channels/search?query=%25')).body.itemCount).toBe(1);
    const missing = await get('/apis/v1/channels/search?page=1');
    expect(missing.status).toBe(400);
    expect(missing.body.error.field).toContain('query');
  });

  it('subscribers: plain list, with settings, and filtered by category', async () => {
    const plain = await get(`/apis/v1/channels/${caip(CH)}/subscribers?page=1&limit=10`);
    expect(plain.body).toEqual({ itemcount: 2, subscribers: [U1, U2] });
    const withSettings = await get(`/apis/v1/channels/${caip(CH)}/subscribers?page=1&limit=10&setting=true`);
    expect(withSettings.body.subscribers[0]).toEqual({ subscriber: U1, settings: null });
    const u2 = JSON.parse(withSettings.body.subscribers[1].settings);
    expect(u2[0]).toMatchObject({ type: 1, user: false, enabled: false });
    expect(u2[1]).toMatchObject({ type: 2, user: 15, enabled: true });
    // Category 1: U1 keeps the default (on), U2 switched it off.
    const cat = await get(`/apis/v1/channels/${caip(CH)}/subscribers?page=1&limit=10&category=1`);
    expect(cat.body).toEqual({ itemcount: 1, subscribers: [U1] });
  });

  it('POST /apis/channels/_get_subscribers (no version segment, pitfall 9)', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/apis/channels/_get_subscribers',
      payload: { channel: getAddress(CH), blockchain: '11155111', op: 'read' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: 1, subscribers: [U1, U2] });
    // Older callers send the chain id as a number: the same answer.
    const numeric = await app.inject({
      method: 'POST',
      url: '/apis/channels/_get_subscribers',
      payload: { channel: getAddress(CH), blockchain: 11155111, op: 'read' },
    });
    expect(numeric.json()).toEqual({ success: 1, subscribers: [U1, U2] });
    const v1 = await app.inject({ method: 'POST', url: '/apis/v1/channels/_get_subscribers', payload: {} });
    expect(v1.statusCode).not.toBe(200);
  });

  it('delegates are per chain; delegations per user and chain', async () => {
    expect((await get(`/apis/v1/channels/${caip(CH)}/delegates`)).body).toEqual({
      delegates: [getAddress(DELEGATE)],
    });
    expect((await get(`/apis/v1/channels/${caip(ALIAS_ADDR, ALIAS)}/delegates`)).body).toEqual({
      delegates: [getAddress(U3)],
    });
    expect((await get(`/apis/v1/users/${caip(DELEGATE)}/delegations`)).body).toEqual({
      delegations: [{ channel: getAddress(CH), chainId: CORE }],
    });
    expect((await get(`/apis/v1/users/${caip(DELEGATE, ALIAS)}/delegations`)).body).toEqual({
      delegations: [],
    });
  });

  it('subscriptions of a user, with user_settings as a string, and the channel filter', async () => {
    const all = await get(`/apis/v1/users/${caip(U2)}/subscriptions?`);
    expect(all.body.subscriptions).toHaveLength(1);
    expect(all.body.subscriptions[0].channel).toBe(getAddress(CH));
    expect(typeof all.body.subscriptions[0].user_settings).toBe('string');
    const u1 = await get(`/apis/v1/users/${caip(U1)}/subscriptions?channel=${encodeURIComponent(caip(CH2))}`);
    expect(u1.body).toEqual({ subscriptions: [{ channel: getAddress(CH2), user_settings: null }] });
    expect((await get(`/apis/v1/users/${caip(U3)}/subscriptions`)).body).toEqual({ subscriptions: [] });
  });

  it('alias → channel, {} for unknown', async () => {
    const { body } = await get(`/apis/v1/alias/${caip(ALIAS_ADDR, ALIAS)}/channel`);
    expect(body).toMatchObject({
      channel: getAddress(CH),
      alias_address: getAddress(ALIAS_ADDR),
      is_alias_verified: 1,
      activation_status: 1,
      blocked: 0,
    });
    expect((await get(`/apis/v1/alias/${caip(addr(0xbeef), ALIAS)}/channel`)).body).toEqual({});
  });

  it('tags: of a channel, search by tag, all tags with counts', async () => {
    expect((await get(`/apis/v1/channels/${caip(CH)}/tags`)).body).toEqual({ tags: ['news', 'defi'] });
    const byTag = await get('/apis/v1/channels/search/tags?page=1&limit=10&query=defi');
    expect(byTag.body.channels).toHaveLength(2);
    const all = await get('/apis/v1/channels/tags/all?page=1&limit=10&order=desc&filter=*');
    expect(all.body.tags).toEqual([
      { tag: 'defi', channels: 2 },
      { tag: 'news', channels: 1 },
    ]);
  });

  it('icon: a data-URI icon is served as an image', async () => {
    const res = await app.inject({ method: 'GET', url: `/apis/v1/channels/icon/${getAddress(CH)}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    const url = await app.inject({ method: 'GET', url: `/apis/v1/channels/icon/${CH2}` });
    expect(url.statusCode).toBe(302);
    expect(url.headers.location).toBe('https://example.org/icon.png');
  });

  it('GET /v2/users/?caip10= answers JSON null with 200 (pitfall 1); POST is refused cleanly', async () => {
    const res = await app.inject({ method: 'GET', url: `/apis/v2/users/?caip10=eip155:${getAddress(U1)}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('null');
    expect(res.headers['content-type']).toContain('application/json');
    const post = await app.inject({ method: 'POST', url: '/apis/v2/users/', payload: { caip10: 'x' } });
    expect(post.statusCode).toBe(501);
    expect(post.json().error.code).toBe('PUSH_ERR_UNSUPPORTED');
  });

  it('CORS preflight allows the SDK header (pitfall 11)', async () => {
    const res = await app.inject({
      method: 'OPTIONS',
      url: `/apis/v1/channels/${caip(CH)}`,
      headers: {
        origin: 'https://dapp.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'x-js-sdk-version,content-type',
      },
    });
    expect(res.statusCode).toBe(204);
    expect(String(res.headers['access-control-allow-headers']).toLowerCase()).toContain('x-js-sdk-version');
    expect(res.headers['access-control-allow-origin']).toBe('https://dapp.example');
  });
});
