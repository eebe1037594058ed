import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBlockHash, testChainLog } from '../../test/support/chain-log.js';
import { testChannelRow } from '../../test/support/channel-row.js';
import { storeBackends } from '../../test/support/store-backends.js';
import { testTempDirs } from '../../test/support/temp-dir.js';
import type { ChainLog } from '../chains/types.js';
import { createIpfsClient, type IpfsClient } from '../content/ipfs.js';
import { createIpfsGateway, type IpfsGateway } from '../devnet/ipfs-gateway.js';
import type { Store } from '../store/index.js';
import { createStoreChainSink } from './chain/sink.js';
import { createChannelMetadataWorker } from './channel-metadata.js';

let gateway: IpfsGateway;
const tempDirs = testTempDirs('push-meta-');
beforeAll(async () => {
  gateway = await createIpfsGateway({ dir: tempDirs.make() });
});
afterAll(async () => {
  await gateway?.close();
  tempDirs.removeAll();
});

async function addChannel(store: Store, channel: string, cid: string) {
  await store.db
    .insertInto('channels')
    .values(testChannelRow(channel, { identity: `1+${cid}`, ipfs_hash: cid, metadata_status: 'pending' }))
    .execute();
}

const CH = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const ALIAS = '0xbcd4042de499d14e55001ccbb24a551f3b954096';

describe.each(storeBackends())('channel metadata worker on $name', (backend) => {
  afterAll(() => backend.cleanup());

  function worker(store: Store, now = () => 1_000) {
    const ipfs = createIpfsClient({ gateways: [gateway.gatewayUrl], timeoutMs: 2_000, maxBytes: 1 << 20 });
    return createChannelMetadataWorker({
      store,
      ipfs,
      logger: pino({ level: 'silent' }),
      now,
      backoff: { baseMs: 1_000, maxMs: 8_000, jitter: 'none' },
      maxAttempts: 3,
    });
  }

  it('fills name, info, url, icon and tags, and declares aliases from aliasDetails', async () => {
    const store = await backend.open();
    const cid = await gateway.add(
      JSON.stringify({
        name: 'Alpha',
        info: 'News',
        url: 'https://alpha.example',
        icon: 'data:image/png;base64,iVBORw0KGgo=',
        aliasDetails: { 'eip155:80002': ALIAS },
        tags: ['defi'],
      }),
    );
    await addChannel(store, CH, cid);
    expect(await worker(store).runOnce()).toBe(1);
    const row = await store.db.selectFrom('channels').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      name: 'Alpha',
      info: 'News',
      url: 'https://alpha.example',
      metadata_status: 'ok',
    });
    expect(JSON.parse(row.tags!)).toEqual(['defi']);
    expect(await store.db.selectFrom('aliases').selectAll().execute()).toEqual([
      expect.objectContaining({
        alias_chain_id: 80002,
        alias_address: ALIAS,
        channel: CH,
        declared: 1,
        confirmed: 0,
      }),
    ]);
  });

  it('retries unavailable content with backoff, then gives up; invalid metadata fails at once', async () => {
    const store = await backend.open();
    let t = 1_000;
    const w = worker(store, () => t);
    const missing = 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4';
    await addChannel(store, CH, missing);
    await w.runOnce();
    let row = await store.db.selectFrom('channels').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ metadata_status: 'pending', metadata_attempts: 1, metadata_next_at: 2_000 });
    expect(await w.runOnce()).toBe(0); // not due yet
    t = 2_000;
    await w.runOnce();
    t = 10_000;
    await w.runOnce();
    row = await store.db.selectFrom('channels').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ metadata_status: 'failed', metadata_attempts: 3 });

    const other = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc';
    await addChannel(store, other, await gateway.add('{"name": 42}'));
    await w.runOnce();
    const bad = await store.db
      .selectFrom('channels')
      .selectAll()
      .where('channel', '=', other)
      .executeTakeFirstOrThrow();
    expect(bad).toMatchObject({ metadata_status: 'failed', metadata_attempts: 1, name: null });
  });
});

/**
 * Metadata arrives after the chain batch that named it, maybe after that block was reorged away: what the worker
 * writes must be undone with the block (the undo journal), and nothing is written for metadata no longer named.
 * (The end-to-end case on a real chain is test/chains/metadata-reorg.test.ts.)
 */
describe.each(storeBackends())('channel metadata and reorgs on $name', (backend) => {
  afterAll(() => backend.cleanup());

  const CORE = 11155111;
  const CID1 = 'bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a';
  const CID2 = 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4';
  const ALIAS2 = '0x6666666666666666666666666666666666666666';
  const OTHER = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc';
  const docs: Record<string, unknown> = {
    [CID1]: {
      name: 'One',
      info: 'first',
      url: 'https://one',
      icon: 'https://one/i.png',
      aliasDetails: { 'eip155:80002': ALIAS },
    },
    [CID2]: {
      name: 'Two',
      info: 'second',
      url: 'https://two',
      icon: 'https://two/i.png',
      aliasDetails: { 'eip155:80002': ALIAS2 },
    },
  };

  async function setup(opts: { gate?: Promise<void> } = {}) {
    const store = await backend.open();
    const logger = pino({ level: 'silent' });
    const sink = createStoreChainSink({ store, coreChainId: CORE, logger });
    const ipfs: IpfsClient = {
      fetch: async () => new Uint8Array(),
      fetchJson: async (cid) => {
        await opts.gate;
        return docs[cid];
      },
    };
    const worker = createChannelMetadataWorker({ store, ipfs, logger, now: () => 1_000 });
    /** Applies `logs` as block `n` on top of block n-1, with `finalized` as the finalised height. */
    const block = (n: number, logs: ChainLog[], finalized = 0) =>
      sink.apply(CORE, {
        fromBlock: n,
        toBlock: n,
        logs,
        blocks: [n - 1, n].map((b) => ({ number: b, hash: hash(b), parentHash: hash(b - 1), timestamp: b })),
        finalizedBlock: finalized,
      });
    const channels = () => store.db.selectFrom('channels').selectAll().execute();
    const aliases = () =>
      store.db
        .selectFrom('aliases')
        .select(['alias_chain_id', 'alias_address', 'channel', 'declared', 'confirmed'])
        .orderBy('alias_address')
        .execute();
    return { store, sink, worker, block, channels, aliases };
  }
  const hash = (n: number) => testBlockHash(CORE, n);
  const addChannel = (cid: string) => ({ channel: CH, channelType: 2n, identity: `1+${cid}` });

  it('an orphaned UpdateChannel takes back its metadata and the alias it declared; the earlier ones stay', async () => {
    const t = await setup();
    await t.block(10, [testChainLog('AddChannel', addChannel(CID1), { blockNumber: 10 })], 10); // final
    expect(await t.worker.runOnce()).toBe(1);
    await t.block(
      11,
      [testChainLog('UpdateChannel', { channel: CH, identity: `1+${CID2}` }, { blockNumber: 11 })],
      10,
    );
    expect(await t.worker.runOnce()).toBe(1);
    expect(await t.channels()).toEqual([expect.objectContaining({ name: 'Two', ipfs_hash: CID2 })]);
    // One alias per chain per channel: the new declaration replaces the old one.
    expect(await t.aliases()).toEqual([
      { alias_chain_id: 80002, alias_address: ALIAS2, channel: CH, declared: 1, confirmed: 0 },
      { alias_chain_id: 80002, alias_address: ALIAS, channel: CH, declared: 0, confirmed: 0 },
    ]);

    await t.sink.rollback(CORE, 10);
    expect(await t.channels()).toEqual([
      expect.objectContaining({
        name: 'One',
        info: 'first',
        url: 'https://one',
        icon: 'https://one/i.png',
        ipfs_hash: CID1,
        metadata_status: 'ok',
      }),
    ]);
    expect(await t.aliases()).toEqual([
      { alias_chain_id: 80002, alias_address: ALIAS, channel: CH, declared: 1, confirmed: 0 },
    ]);
    expect(await t.worker.runOnce()).toBe(0);
  });

  it('metadata that arrives after its AddChannel was reorged away writes nothing', async () => {
    let open!: () => void;
    const t = await setup({ gate: new Promise<void>((r) => (open = r)) });
    await t.block(10, [testChainLog('AddChannel', addChannel(CID1), { blockNumber: 10 })]);
    const run = t.worker.runOnce(); // fetching…
    await new Promise((r) => setTimeout(r, 20));
    await t.sink.rollback(CORE, 9);
    open();
    await run;
    expect(await t.channels()).toEqual([]);
    expect(await t.aliases()).toEqual([]);
    expect(await t.store.db.selectFrom('journal').selectAll().execute()).toEqual([]);
  });

  it('a reorg of a later block that touched the channel undoes the resolution, which is then done again', async () => {
    const t = await setup();
    await t.block(10, [testChainLog('AddChannel', addChannel(CID1), { blockNumber: 10 })]);
    await t.block(11, [
      testChainLog('ChannelVerified', { channel: CH, verifier: OTHER }, { blockNumber: 11 }),
    ]);
    expect(await t.worker.runOnce()).toBe(1);
    await t.sink.rollback(CORE, 10);
    expect(await t.channels()).toEqual([
      expect.objectContaining({ name: null, verified_by: null, metadata_status: 'pending' }),
    ]);
    expect(await t.aliases()).toEqual([]);
    expect(await t.worker.runOnce()).toBe(1);
    expect(await t.channels()).toEqual([
      expect.objectContaining({ name: 'One', verified_by: null, metadata_status: 'ok' }),
    ]);
    expect(await t.aliases()).toEqual([
      { alias_chain_id: 80002, alias_address: ALIAS, channel: CH, declared: 1, confirmed: 0 },
    ]);
    // And a reorg below the AddChannel leaves nothing.
    await t.sink.rollback(CORE, 9);
    expect(await t.channels()).toEqual([]);
    expect(await t.aliases()).toEqual([]);
  });

  it('metadata of a final block is written final (no journal)', async () => {
    const t = await setup();
    await t.block(10, [testChainLog('AddChannel', addChannel(CID1), { blockNumber: 10 })], 10);
    expect(await t.worker.runOnce()).toBe(1);
    expect(await t.store.db.selectFrom('journal').selectAll().execute()).toEqual([]);
    expect(await t.aliases()).toHaveLength(1);
  });

  it('a confirmation another channel received does not count for the channel whose metadata declares the alias', async () => {
    const t = await setup();
    await t.store.db
      .insertInto('aliases')
      .values({
        alias_chain_id: 80002,
        alias_address: ALIAS,
        channel: OTHER,
        declared: 0,
        confirmed: 1,
        declare_proof: null,
        confirm_proof: 'eip155:80002:0xabc',
        updated_at: 0,
      })
      .execute();
    await t.block(10, [testChainLog('AddChannel', addChannel(CID1), { blockNumber: 10 })], 10);
    expect(await t.worker.runOnce()).toBe(1);
    expect(await t.aliases()).toEqual([
      { alias_chain_id: 80002, alias_address: ALIAS, channel: CH, declared: 1, confirmed: 0 },
    ]);
  });
});

describe.each(storeBackends())('an alias handshake completed by channel metadata on $name', (backend) => {
  afterAll(() => backend.cleanup());
  const CORE = 11155111;
  const USER = '0x00000000000000000000000000000000000000aa';

  it('applies the alias chain opt-ins recorded before the metadata declared the alias', async () => {
    const store = await backend.open();
    const logger = pino({ level: 'silent' });
    // The alias chain is indexed first: the alias confirms, a user opts in to it (set aside: not verified yet).
    const sink = createStoreChainSink({ store, coreChainId: CORE, logger });
    await sink.apply(80002, {
      fromBlock: 7,
      toBlock: 7,
      blocks: [],
      finalizedBlock: 7,
      logs: [
        testChainLog(
          'ChannelAlias',
          {
            _chainName: 'POLYGON_TEST_AMOY',
            _chainID: 80002n,
            _channelOwnerAddress: ALIAS,
            _ethereumChannelAddress: CH,
          },
          { chainId: 80002, blockNumber: 7 },
        ),
        testChainLog(
          'Subscribe',
          { channel: ALIAS, user: USER },
          { chainId: 80002, blockNumber: 7, logIndex: 1 },
        ),
      ],
    });
    expect(await store.db.selectFrom('subscriptions').selectAll().execute()).toEqual([]);

    // Then the core channel's metadata declares it: the handshake completes, the opt-in counts.
    const cid = await gateway.add(
      JSON.stringify({
        name: 'Gamma',
        info: 'i',
        url: 'https://g.example',
        icon: 'data:image/png;base64,iVBORw0KGgo=',
        aliasDetails: { 'eip155:80002': ALIAS },
        tags: [],
      }),
    );
    await addChannel(store, CH, cid);
    const announced: string[] = [];
    const ipfs = createIpfsClient({ gateways: [gateway.gatewayUrl], timeoutMs: 2_000, maxBytes: 1 << 20 });
    const w = createChannelMetadataWorker({
      store,
      ipfs,
      logger,
      now: () => 1_000,
      coreChainId: CORE,
      onSubscriptions: (rows) => {
        for (const r of rows) announced.push(`${r.channel}|${r.subscriber}|${r.subscribed}`);
      },
    });
    expect(await w.runOnce()).toBe(1);
    const subs = await store.db
      .selectFrom('subscriptions')
      .select(['channel', 'subscriber', 'subscribed'])
      .execute();
    expect(subs.map((s) => ({ ...s, subscribed: Number(s.subscribed) }))).toEqual([
      { channel: CH, subscriber: USER, subscribed: 1 },
    ]);
    expect(announced).toEqual([`${CH}|${USER}|true`]);
  });
});
