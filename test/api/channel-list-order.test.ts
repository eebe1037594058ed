/**
 * GET /apis/v1/channels honours `order` (asc/desc), which the SDK always sends (sdk-api-contract.md §2.6:
 * `channel.list({order})` → `…&sort=subscribers&order=desc`); the reference sorts
 * `verified_status ${order}, subscriber_count ${order}` (push-node-reference.md §3.3).
 */
import type { FastifyInstance } from 'fastify';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenApiCollector, type OpenApiCollector } from '../../src/api/openapi.js';
import { registerReadRoutes } from '../../src/api/routes/read.js';
import type { Store } from '../../src/store/index.js';
import { storeBackends } from '../support/store-backends.js';
import { addr, putChannel, putSubscription, testConfig, testServer } from './fixtures.js';

// Verified: V_MANY (3 subscribers), V_ONE (1). Unverified: P_TWO (2), P_NONE (0). OFF (deactivated) never listed.
const V_MANY = addr(0xc1);
const V_ONE = addr(0xc2);
const P_TWO = addr(0xc3);
const P_NONE = addr(0xc4);
const OFF = addr(0xc5);
const DESC = [V_MANY, V_ONE, P_TWO, P_NONE].map((a) => getAddress(a));
const ASC = [...DESC].reverse();

describe.each(storeBackends())('GET /apis/v1/channels order on $name', (backend) => {
  let store: Store;
  let app: FastifyInstance;
  let openapi: OpenApiCollector;

  beforeAll(async () => {
    store = await backend.open();
    await putChannel(store, V_MANY, { verified_by: addr(0x99), tags: JSON.stringify(['defi']) });
    await putChannel(store, V_ONE, { verified_by: addr(0x99) });
    await putChannel(store, P_TWO, { tags: JSON.stringify(['defi']) });
    await putChannel(store, P_NONE);
    await putChannel(store, OFF, { state: 2 });
    let user = 0x10;
    for (const [channel, n] of [
      [V_MANY, 3],
      [V_ONE, 1],
      [P_TWO, 2],
      [OFF, 5],
    ] as const) {
      for (let i = 0; i < n; i++) await putSubscription(store, channel, addr(user++));
    }
    // Unsubscribed rows do not count.
    await putSubscription(store, P_NONE, addr(user++), { subscribed: false });
    await putSubscription(store, P_NONE, addr(user++), { subscribed: false });
    app = testServer();
    openapi = createOpenApiCollector(app);
    registerReadRoutes(app, { store, config: testConfig });
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    await backend.cleanup();
  });

  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
  };
  const channels = (body: { channels: { channel: string }[] }) => body.channels.map((c) => c.channel);

  it('order=desc: verified first, then most subscribed; order=asc: the reverse', async () => {
    const desc = await get('/apis/v1/channels?page=1&limit=10&sort=subscribers&order=desc');
    expect(desc.status).toBe(200);
    expect(channels(desc.body)).toEqual(DESC);
    expect(desc.body.channels.map((c: { subscriber_count: number }) => c.subscriber_count)).toEqual([
      3, 1, 2, 0,
    ]);
    expect(desc.body.itemcount).toBe(4);
    const asc = await get('/apis/v1/channels?page=1&limit=10&sort=subscribers&order=asc');
    expect(asc.status).toBe(200);
    expect(channels(asc.body)).toEqual(ASC);
    expect(asc.body.channels.map((c: { verified_status: number }) => c.verified_status)).toEqual([
      0, 0, 1, 1,
    ]);
    expect(asc.body.itemcount).toBe(4);
  });

  it('without order the list is descending (the SDK default and the reference default)', async () => {
    expect(channels((await get('/apis/v1/channels?page=1&limit=10')).body)).toEqual(DESC);
  });

  it('pages follow the order', async () => {
    const pages = [];
    for (const page of [1, 2]) {
      pages.push(...channels((await get(`/apis/v1/channels?page=${page}&limit=2&order=asc`)).body));
    }
    expect(pages).toEqual(ASC);
    expect(channels((await get('/apis/v1/channels?page=2&limit=3&order=desc')).body)).toEqual([DESC[3]]);
  });

  it('order applies with the tag filter', async () => {
    const asc = await get('/apis/v1/channels?page=1&limit=10&order=asc&tag=defi');
    expect(channels(asc.body)).toEqual([P_TWO, V_MANY].map((a) => getAddress(a)));
    const desc = await get('/apis/v1/channels?page=1&limit=10&order=desc&tag=defi');
    expect(channels(desc.body)).toEqual([V_MANY, P_TWO].map((a) => getAddress(a)));
  });

  it('400 PUSH_ERR_VALIDATION naming querystring.order for anything but asc/desc', async () => {
    for (const order of ['ASC', 'up', '', '1']) {
      const bad = await get(`/apis/v1/channels?page=1&limit=10&order=${order}`);
      expect({ order, status: bad.status }).toEqual({ order, status: 400 });
      expect(bad.body.error).toMatchObject({ code: 'PUSH_ERR_VALIDATION', field: 'querystring.order' });
    }
  });

  it('the OpenAPI document lists order with its values and default', () => {
    const doc = openapi.document() as {
      paths: Record<string, { get?: { parameters?: { name: string; schema: unknown }[] } }>;
    };
    const order = doc.paths['/apis/v1/channels']?.get?.parameters?.find((p) => p.name === 'order');
    expect(order?.schema).toEqual({ type: 'string', enum: ['asc', 'desc'], default: 'desc' });
  });
});
