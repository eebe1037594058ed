import pino from 'pino';
import { Registry } from 'prom-client';
import { stringToHex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChainIndexer } from '../../src/chains/indexer.js';
import { loadPushArtifacts } from '../../src/contracts/artifacts.js';
import {
  createIpfsGateway,
  type Devnet,
  type DevnetChainInfo,
  devnetChain,
  type IpfsGateway,
  type SeedResult,
  seedDevnet,
  sendContractCall,
  startDevnet,
} from '../../src/devnet/index.js';
import { createStoreChainSink } from '../../src/ingest/chain/sink.js';
import type { Store } from '../../src/store/index.js';
import { devnetChainSpec, indexToHeads } from '../support/devnet-index.js';
import { projectionSnapshot } from '../support/projections.js';
import { storeBackends } from '../support/store-backends.js';
import { testTempDirs } from '../support/temp-dir.js';

const logger = pino({ level: 'silent' });
let devnet: Devnet;
let gateway: IpfsGateway;
const tempDirs = testTempDirs('push-index-ipfs-');
let seed: SeedResult;
let core: DevnetChainInfo;
let alias: DevnetChainInfo;
let artifacts: Awaited<ReturnType<typeof loadPushArtifacts>>;

const key = (i: number) => devnet.accounts[i]!.privateKey;
const addr = (i: number) => devnet.accounts[i]!.address.toLowerCase();
const coreCall = (signer: number, functionName: string, args: readonly unknown[] = []) =>
  sendContractCall(core, key(signer), { address: core.core!, abi: artifacts.core.abi, functionName, args });
const commCall = (
  chain: DevnetChainInfo,
  signer: number,
  functionName: string,
  args: readonly unknown[] = [],
) =>
  sendContractCall(chain, key(signer), { address: chain.comm, abi: artifacts.comm.abi, functionName, args });

async function rpc(chain: DevnetChainInfo, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(chain.rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return ((await res.json()) as { result: unknown }).result;
}

/** Indexes both devnet chains into `store` up to their current heads, then stops. */
async function indexOnce(store: Store) {
  await indexToHeads(createStoreChainSink({ store, coreChainId: core.chainId, logger }), [core, alias], {
    logger,
  });
}

beforeAll(async () => {
  devnet = await startDevnet({ logger });
  gateway = await createIpfsGateway({ dir: tempDirs.make() });
  artifacts = await loadPushArtifacts();
  core = devnetChain(devnet, 'core');
  alias = devnetChain(devnet, 'alias');
  seed = await seedDevnet(devnet, { ipfs: gateway, logger });
  // Everything else the projections must reflect, on top of the seed.
  const [alpha, beta, gamma] = seed.channels;
  await coreCall(1, 'updateChannelMeta', [
    stringToHex('1+bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a'),
  ]);
  await coreCall(2, 'updateChannelMetaV1', [
    stringToHex('1+bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4'),
  ]);
  await coreCall(2, 'deactivateChannel');
  await coreCall(2, 'reactivateChannel');
  await coreCall(0, 'verifyChannel', [alpha!.channel]);
  await coreCall(0, 'verifyChannel', [beta!.channel]);
  await coreCall(0, 'unverifyChannel', [beta!.channel]);
  await coreCall(3, 'addSubGraph', [stringToHex('60+org/subgraph')]);
  await commCall(core, 6, 'unsubscribe', [alpha!.channel]);
  await commCall(core, 2, 'addDelegate', [devnet.accounts[11]!.address]);
  await commCall(core, 2, 'removeDelegate', [devnet.accounts[4]!.address]);
  await commCall(alias, 11, 'subscribe', [devnet.accounts[10]!.address]);
  await coreCall(0, 'blockChannel', [gamma!.channel]);
}, 120_000);

afterAll(async () => {
  await devnet?.stop();
  await gateway?.close();
  tempDirs.removeAll();
});

describe.each(storeBackends())('indexing the devnet into $name', (backend) => {
  afterAll(() => backend.cleanup());

  it('lands every event type in the right projection', async () => {
    const store = await backend.open();
    await indexOnce(store);
    const snap = await projectionSnapshot(store.db);
    const [alpha, beta, gamma] = seed.channels.map((c) => c.channel.toLowerCase());

    const channel = (c: string) => snap.channels.find((r) => r.channel === c);
    expect(snap.channels).toHaveLength(3);
    expect(channel(alpha!)).toMatchObject({
      identity: '1+bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a', // V2 (3-arg) UpdateChannel
      state: 1,
      verified_by: addr(0),
      settings_raw: '3+1-1+2-1-50-0-100-1+3-1-10-20-0-100-1',
    });
    expect(channel(beta!)).toMatchObject({
      identity: '1+bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4', // V1 (2-arg) UpdateChannel
      state: 1, // deactivated, then reactivated
      verified_by: null, // verified, then revoked
    });
    expect(channel(gamma!)).toMatchObject({ state: 3, subgraph: '60+org/subgraph' });
    expect(snap.aliases).toEqual([
      { alias_chain_id: 80002, alias_address: addr(10), channel: gamma, declared: 1, confirmed: 1 },
    ]);
    expect(snap.delegates).toEqual([{ chain_id: core.chainId, channel: beta, delegate: addr(11) }]);

    const sub = (channel: string, subscriber: string) =>
      snap.subscriptions.find((s) => s.channel === channel && s.subscriber === subscriber);
    expect(sub(alpha!, addr(5))).toMatchObject({ subscribed: 1, settings_raw: '2+1-1+2-1-75+3-0-10-20' });
    expect(sub(alpha!, addr(6))).toMatchObject({ subscribed: 0, settings_raw: null });
    expect(sub(alpha!, addr(0))).toMatchObject({ subscribed: 1 }); // the admin, subscribed at creation
    // An opt-in on the alias chain counts for the core channel.
    expect(sub(gamma!, addr(11))).toMatchObject({ subscribed: 1 });
    // The 0x0 "alerter" subscriptions made at channel creation are not opt-ins.
    expect(
      snap.subscriptions.some((s) => /^0x0{40}$/.test(s.channel) || /^0x0{40}$/.test(s.subscriber)),
    ).toBe(false);
    // SendNotification events are kept as verified inputs for admission.
    const notifications = await store.db
      .selectFrom('inputs')
      .select('key')
      .where('event', '=', 'SendNotification')
      .execute();
    expect(notifications).toHaveLength(seed.notifications.length);
  });

  it('replays idempotently: indexing the same chain again into the same store changes nothing', async () => {
    const store = await backend.open();
    await indexOnce(store);
    const first = await projectionSnapshot(store.db);
    await store.db.deleteFrom('chain_cursors').execute(); // forget the cursor: everything is seen again
    await indexOnce(store);
    expect(await projectionSnapshot(store.db)).toEqual(first);
  });
});

describe.each(storeBackends())('a reorg on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it('leaves the store equal to a from-scratch index of the final chain', async () => {
    const store = await backend.open();
    const sink = createStoreChainSink({ store, coreChainId: core.chainId, logger });
    const indexer = createChainIndexer({
      spec: devnetChainSpec(core, 20),
      sink,
      logger,
      registry: new Registry(),
      progress: 'off',
      pollMs: 50,
    });
    await indexer.start();
    try {
      await indexer.whenSynced();
      const alpha = seed.channels[0]!.channel;
      const snapshot = (await rpc(core, 'evm_snapshot')) as string;
      // The branch that will be orphaned: an opt-out, a delegate, a new opt-in.
      await commCall(core, 7, 'unsubscribe', [alpha]);
      await commCall(core, 1, 'addDelegate', [devnet.accounts[12]!.address]);
      await commCall(core, 12, 'subscribe', [alpha]);
      await indexer.whenSynced();
      const orphaned = await projectionSnapshot(store.db);
      expect(orphaned.delegates.some((d) => d.delegate === addr(12))).toBe(true);

      await rpc(core, 'evm_revert', [snapshot]);
      // The winning branch is longer, and different.
      await commCall(core, 8, 'unsubscribe', [alpha]);
      await commCall(core, 13, 'subscribe', [alpha]);
      await rpc(core, 'hardhat_mine', ['0x5']);
      await indexer.whenSynced();

      const fresh = await backend.open();
      const freshIndexer = createChainIndexer({
        spec: devnetChainSpec(core, 20),
        sink: createStoreChainSink({ store: fresh, coreChainId: core.chainId, logger }),
        logger,
        registry: new Registry(),
        progress: 'off',
      });
      await freshIndexer.start();
      await freshIndexer.whenSynced();
      await freshIndexer.stop();

      const after = await projectionSnapshot(store.db);
      expect(after).toEqual(await projectionSnapshot(fresh.db));
      expect(after.delegates.some((d) => d.delegate === addr(12))).toBe(false);
      expect(
        after.subscriptions.find((s) => s.subscriber === addr(8) && s.channel === alpha.toLowerCase())
          ?.subscribed,
      ).toBe(0);
    } finally {
      await indexer.stop();
    }
  });
});
