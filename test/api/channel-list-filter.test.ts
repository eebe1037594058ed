/**
 * GET /apis/v1/channels and /apis/v1/channels/search honour `filter` and `user_subscribed`, which the unmodified SDK
 * forwards from `channel.list` / `channel.search` (sdk-api-contract.md §2.5, §2.6; restapi 1.7.32 getChannels.js builds
 * `&filter=${filter}` and `&user_subscribed=${user_subscribed}` unencoded, search.js encodes them).
 *
 * What they mean, from the sources (none is in the 2024 reference node, whose Joi schema knows neither):
 * - `filter` is a chain id: the SDK types it `number`; the Push dApp's network picker (push-protocol/push-dapp
 *   src/modules/channels/Channels.tsx, queries/services/channels/{getChannelsList,channelSearch}.ts) sends the
 *   selected chain id as `filter`, and omits it for Ethereum, the core chain.
 * - `user_subscribed` narrows the list to the channels a user is subscribed to (pushchain/push-notifications-dapp
 *   #1871, "subscribed channel filter … for channel listing and search api"); the SDK types it `string`, and these
 *   reads carry no identity, so its value is the user's account.
 */
import type { AddressInfo } from 'node:net';
import { CONSTANTS, channels as lowChannels } from '@pushprotocol/restapi';
import type { FastifyInstance } from 'fastify';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenApiCollector, type OpenApiCollector } from '../../src/api/openapi.js';
import { registerReadRoutes } from '../../src/api/routes/read.js';
import type { Store } from '../../src/store/index.js';
import { pointSdkAt } from '../sdk/fixture.js';
import { storeBackends } from '../support/store-backends.js';
import { ALIAS, addr, CORE, putChannel, putSubscription, testConfig, testServer } from './fixtures.js';

const OTHER_ALIAS = 97;
// A verified (alias on ALIAS, confirmed); B alias on ALIAS declared but not confirmed; C alias on OTHER_ALIAS;
// D no alias; E alias on ALIAS with tag defi; OFF deactivated with a confirmed ALIAS alias (never listed).
const [A, B, C, D, E, OFF] = [0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6].map(addr) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const USER = addr(0x51);
const OTHER_USER = addr(0x52);
const NOBODY = addr(0x53);
const checksummed = (...list: string[]) => list.map((a) => getAddress(a));
const caip = (a: string, chain = CORE) => `eip155:${chain}:${getAddress(a)}`;

async function putAlias(store: Store, channel: string, chainId: number, confirmed: boolean) {
  await store.db
    .insertInto('aliases')
    .values({
      alias_chain_id: chainId,
      alias_address: channel,
      channel,
      declared: 1,
      confirmed: confirmed ? 1 : 0,
      declare_proof: `d-${channel}`,
      confirm_proof: confirmed ? `c-${channel}` : null,
      updated_at: 1_700_000_000_000,
    })
    .execute();
}

describe.each(storeBackends())('channel list filter and user_subscribed on $name', (backend) => {
  let store: Store;
  let app: FastifyInstance;
  let openapi: OpenApiCollector;

  beforeAll(async () => {
    store = await backend.open();
    await putChannel(store, A, { name: 'Filter A', verified_by: addr(0x99) });
    await putChannel(store, B, { name: 'Filter B' });
    await putChannel(store, C, { name: 'Filter C' });
    await putChannel(store, D, { name: 'Filter D' });
    await putChannel(store, E, { name: 'Filter E', tags: JSON.stringify(['defi']) });
    await putChannel(store, OFF, { name: 'Filter OFF', state: 2 });
    await putAlias(store, A, ALIAS, true);
    await putAlias(store, B, ALIAS, false);
    await putAlias(store, C, OTHER_ALIAS, true);
    await putAlias(store, E, ALIAS, true);
    await putAlias(store, OFF, ALIAS, true);
    await putSubscription(store, A, USER);
    await putSubscription(store, C, USER);
    await putSubscription(store, OFF, USER);
    await putSubscription(store, D, USER, { subscribed: false });
    await putSubscription(store, B, OTHER_USER);
    app = testServer();
    openapi = createOpenApiCollector(app);
    registerReadRoutes(app, { store, config: testConfig });
    await app.listen({ host: '127.0.0.1', port: 0 });
    pointSdkAt(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
  });

  afterAll(async () => {
    await app.close();
    await backend.cleanup();
  });

  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
  };
  const list = async (qs: string) => {
    const { status, body } = await get(`/apis/v1/channels?page=1&limit=10&sort=subscribers&order=desc${qs}`);
    expect(status).toBe(200);
    return { channels: body.channels.map((c: { channel: string }) => c.channel), itemcount: body.itemcount };
  };
  const search = async (qs: string) => {
    const { status, body } = await get(`/apis/v1/channels/search/?page=1&limit=10&query=Filter${qs}`);
    expect(status).toBe(200);
    return { channels: body.channels.map((c: { channel: string }) => c.channel), itemCount: body.itemCount };
  };

  it('without filters every active channel is listed (verified, then subscribers, then address)', async () => {
    expect(await list('')).toEqual({ channels: checksummed(A, B, C, D, E), itemcount: 5 });
  });

  it('filter=<alias chain> keeps channels with a confirmed alias there; filter=<core chain> keeps all', async () => {
    expect(await list(`&filter=${ALIAS}`)).toEqual({ channels: checksummed(A, E), itemcount: 2 });
    expect(await list(`&filter=${OTHER_ALIAS}`)).toEqual({ channels: checksummed(C), itemcount: 1 });
    expect(await list(`&filter=${CORE}`)).toEqual({ channels: checksummed(A, B, C, D, E), itemcount: 5 });
    // A chain no channel has an alias on: nothing, not everything.
    expect(await list('&filter=1')).toEqual({ channels: [], itemcount: 0 });
  });

  it('user_subscribed keeps the channels that account is subscribed to now, whatever form the account takes', async () => {
    const expected = { channels: checksummed(A, C), itemcount: 2 };
    for (const account of [caip(USER), caip(USER, ALIAS), USER, getAddress(USER), `eip155:${USER}`]) {
      expect({ account, ...(await list(`&user_subscribed=${account}`)) }).toEqual({ account, ...expected });
    }
    expect(await list(`&user_subscribed=${caip(OTHER_USER)}`)).toEqual({
      channels: checksummed(B),
      itemcount: 1,
    });
    expect(await list(`&user_subscribed=${caip(NOBODY)}`)).toEqual({ channels: [], itemcount: 0 });
  });

  it('filters combine with each other, with tag and with paging; itemcount counts what they keep', async () => {
    const u = `&user_subscribed=${caip(USER)}`;
    expect(await list(`&filter=${ALIAS}${u}`)).toEqual({ channels: checksummed(A), itemcount: 1 });
    expect(await list(`&filter=${ALIAS}&tag=defi`)).toEqual({ channels: checksummed(E), itemcount: 1 });
    expect(await list(`&filter=${ALIAS}&tag=defi${u}`)).toEqual({ channels: [], itemcount: 0 });
    const page2 = await get(`/apis/v1/channels?page=2&limit=1&filter=${ALIAS}`);
    expect(page2.body.channels.map((c: { channel: string }) => c.channel)).toEqual(checksummed(E));
    expect(page2.body.itemcount).toBe(2);
  });

  it('search honours filter and user_subscribed the same way (count as itemCount)', async () => {
    expect(await search('')).toEqual({ channels: checksummed(A, B, C, D, E), itemCount: 5 });
    expect(await search(`&filter=${ALIAS}`)).toEqual({ channels: checksummed(A, E), itemCount: 2 });
    expect(await search(`&filter=${CORE}`)).toEqual({ channels: checksummed(A, B, C, D, E), itemCount: 5 });
    expect(await search(`&user_subscribed=${encodeURIComponent(caip(USER))}`)).toEqual({
      channels: checksummed(A, C),
      itemCount: 2,
    });
    expect(await search(`&filter=${OTHER_ALIAS}&user_subscribed=${USER}`)).toEqual({
      channels: checksummed(C),
      itemCount: 1,
    });
  });

  it('400 PUSH_ERR_VALIDATION naming querystring.filter for anything but a positive integer chain id', async () => {
    for (const path of ['/apis/v1/channels?page=1', '/apis/v1/channels/search?query=Filter']) {
      for (const filter of ['abc', '1.5', '0', '-1', 'eip155:80002', '9007199254740992']) {
        const bad = await get(`${path}&filter=${encodeURIComponent(filter)}`);
        expect({ path, filter, status: bad.status }).toEqual({ path, filter, status: 400 });
        expect(bad.body.error).toMatchObject({ code: 'PUSH_ERR_VALIDATION', field: 'querystring.filter' });
      }
    }
  });

  it('400 naming querystring.user_subscribed when it is not an account', async () => {
    for (const path of ['/apis/v1/channels?page=1', '/apis/v1/channels/search?query=Filter']) {
      for (const value of ['true', '1', '0x1234', 'eip155:1:0xnothex', 'nft:eip155:1:0xab:1']) {
        const bad = await get(`${path}&user_subscribed=${encodeURIComponent(value)}`);
        expect({ path, value, status: bad.status }).toEqual({ path, value, status: 400 });
        expect(bad.body.error).toMatchObject({
          code: 'PUSH_ERR_INVALID_CAIP',
          field: 'querystring.user_subscribed',
        });
      }
      const empty = await get(`${path}&user_subscribed=`);
      expect(empty.status).toBe(400);
      expect(empty.body.error).toMatchObject({
        code: 'PUSH_ERR_VALIDATION',
        field: 'querystring.user_subscribed',
      });
    }
  });

  it('the unmodified SDK (channels.getChannels, channels.search) gets the filtered lists', async () => {
    const env = CONSTANTS.ENV.LOCAL;
    const listed = await lowChannels.getChannels({ env, filter: ALIAS, user_subscribed: caip(USER) });
    expect(listed.channels.map((c: { channel: string }) => c.channel)).toEqual(checksummed(A));
    expect(listed.itemcount).toBe(1);
    const byChain = await lowChannels.getChannels({ env, page: 1, limit: 10, filter: ALIAS });
    expect(byChain.channels.map((c: { channel: string }) => c.channel)).toEqual(checksummed(A, E));
    const found = await lowChannels.search({
      env,
      query: 'Filter',
      filter: OTHER_ALIAS,
      user_subscribed: caip(USER),
      oldFormat: false,
    });
    expect(found.itemCount).toBe(1);
    expect(found.result.map((c: { channel: string }) => c.channel)).toEqual(checksummed(C));
  });

  it('the OpenAPI document describes filter as a chain id and user_subscribed as an account', () => {
    const doc = openapi.document() as {
      paths: Record<string, { get?: { parameters?: { name: string; schema: { type?: string } }[] } }>;
    };
    for (const path of ['/apis/v1/channels', '/apis/v1/channels/search']) {
      const params = doc.paths[path]?.get?.parameters ?? [];
      expect(params.find((p) => p.name === 'filter')?.schema.type).toBe('integer');
      expect(params.find((p) => p.name === 'user_subscribed')?.schema.type).toBe('string');
    }
  });
});
