import pino from 'pino';
import { stringToHex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIpfsClient } from '../../src/content/ipfs.js';
import { loadPushArtifacts } from '../../src/contracts/artifacts.js';
import {
  cidOf,
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
import { isPushError } from '../../src/errors.js';
import { createStoreChainSink } from '../../src/ingest/chain/sink.js';
import type { Store } from '../../src/store/index.js';
import { listUserFeed } from '../../src/store/repos/feeds.js';
import { indexToHeads } from '../support/devnet-index.js';
import { storeBackends } from '../support/store-backends.js';
import { testTempDirs } from '../support/temp-dir.js';
import { sdkPayloadJson, testAdmission } from './support.js';

const logger = pino({ level: 'silent' });
let devnet: Devnet;
let gateway: IpfsGateway;
const tempDirs = testTempDirs('push-adm-chain-ipfs-');
let seed: SeedResult;
let core: DevnetChainInfo;
let alias: DevnetChainInfo;
let batchTx: `0x${string}`;
const BATCH_IDENTITY = '0+3+Batch+one tx, two notifications';
/** Both devnet chains as admission sees them, through their RPC. */
const devnetChains = () =>
  [core, alias].map((c) => ({ chainId: c.chainId, comm: c.comm, rpcUrls: [c.rpcUrl] }));

beforeAll(async () => {
  devnet = await startDevnet({ logger });
  gateway = await createIpfsGateway({ dir: tempDirs.make() });
  core = devnetChain(devnet, 'core');
  alias = devnetChain(devnet, 'alias');
  seed = await seedDevnet(devnet, { ipfs: gateway, logger });
  const artifacts = await loadPushArtifacts();
  const beta = seed.channels[1]!;
  const receipt = await sendContractCall(core, devnet.accounts[beta.ownerIndex]!.privateKey, {
    address: core.comm,
    abi: artifacts.comm.abi,
    functionName: 'batchSendNotification',
    args: [
      beta.channel,
      [devnet.accounts[5]!.address, devnet.accounts[9]!.address],
      stringToHex(BATCH_IDENTITY),
    ],
  });
  batchTx = receipt.transactionHash;
}, 180_000);

afterAll(async () => {
  await devnet?.stop();
  await gateway?.close();
  tempDirs.removeAll();
});

describe.each(storeBackends())('on-chain notifications into $name', (backend) => {
  afterAll(() => backend.cleanup());

  async function setup(store: Store) {
    const { admission, events, sink } = testAdmission(store, {
      coreChainId: core.chainId,
      chains: devnetChains(),
    });
    await indexToHeads(sink, [core, alias], { logger });
    return { admission, events };
  }

  it('admits SendNotification events from both chains, one per log, through the same pipeline', async () => {
    const store = await backend.open();
    const { admission, events } = await setup(store);
    const [alpha, beta, gamma] = seed.channels.map((c) => c.channel.toLowerCase());
    // 3 seeded (alpha broadcast, beta's delegate targeted, gamma's alias on chain 80002) + 2 from one batch tx.
    expect(events).toHaveLength(5);
    const byChannel = (c: string) => events.filter((e) => e.notification.channel === c);
    expect(byChannel(alpha!)[0]!.recipients.inbox).toBe('subscribers');
    expect(byChannel(gamma!)[0]!.notification.sender).toBe(
      `eip155:${alias.chainId}:${gamma!.length ? seed.channels[2]!.alias!.address.toLowerCase() : ''}`,
    );
    expect(byChannel(gamma!)[0]!.feedItem.source).toBe('POLYGON_TEST_AMOY');
    const batch = byChannel(beta!).filter((e) => e.feedItem.payload.data.asub === 'Batch');
    expect(batch.map((e) => e.recipients.inbox.length + e.recipients.spam.length)).toEqual([1, 1]);
    // Subscriber #5 follows alpha (broadcast) and beta (targeted by the delegate, and one of the batch).
    const user5 = devnet.accounts[5]!.address;
    const page = await listUserFeed(store.db, { user: user5, box: 'inbox', limit: 20 });
    expect(page.feeds.map((f) => f.payload.data.asub).sort()).toEqual([
      'Batch',
      'Hello from a delegate',
      'Welcome to Devnet Alpha',
    ]);

    // The HTTP door with an eip155 proof of an already admitted log: same notification, no second event.
    const alphaTx = seed.notifications[0]!;
    const http = await admission.admitPayload({
      verificationProof: `eip155:${core.chainId}:${alphaTx.txHash}`,
      sender: `eip155:${core.chainId}:${alphaTx.channel}`,
      recipient: `eip155:${core.chainId}:${alphaTx.recipient}`,
      source: 'ETH_TEST_SEPOLIA',
      identity: alphaTx.identity,
    });
    expect(http).toMatchObject({
      status: 'admitted',
      duplicate: true,
      notificationId: byChannel(alpha!)[0]!.notification.id,
    });
    expect(events).toHaveLength(5);
  });

  it('checks eip155 proofs against the receipt: every log, right chain, right channel and identity', async () => {
    const store = await backend.open();
    const { admission } = testAdmission(store, { coreChainId: core.chainId, chains: devnetChains() });
    // Projections only (channels, delegates, aliases): index without the admission hook.
    const sink = createStoreChainSink({ store, coreChainId: core.chainId, logger });
    await indexToHeads(sink, [core, alias], { logger });
    const beta = seed.channels[1]!.channel;
    const body = (recipient: string, extra: Record<string, string> = {}) => ({
      verificationProof: `eip155:${core.chainId}:${batchTx}`,
      sender: `eip155:${core.chainId}:${beta}`,
      recipient: `eip155:${core.chainId}:${recipient}`,
      source: 'ETH_TEST_SEPOLIA',
      identity: BATCH_IDENTITY,
      ...extra,
    });
    const a = await admission.admitPayload(body(devnet.accounts[5]!.address));
    const b = await admission.admitPayload(body(devnet.accounts[9]!.address));
    expect(a.notificationId).not.toBe(b.notificationId); // the second log of the tx is its own notification
    expect((await admission.admitPayload(body(devnet.accounts[9]!.address))).duplicate).toBe(true);
    const code = async (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e) => (isPushError(e) ? e.code : e),
      );
    expect(
      await code(admission.admitPayload(body(devnet.accounts[5]!.address, { identity: '0+3+Batch+forged' }))),
    ).toBe('PUSH_ERR_TX_PROOF_INVALID');
    expect(
      await code(
        admission.admitPayload(
          body(devnet.accounts[5]!.address, { verificationProof: `eip155:${alias.chainId}:${batchTx}` }),
        ),
      ),
    ).toBe('PUSH_ERR_SOURCE_MISMATCH');
    const alpha = seed.channels[0]!.channel;
    expect(
      await code(
        admission.admitPayload(
          body(devnet.accounts[5]!.address, { sender: `eip155:${core.chainId}:${alpha}` }),
        ),
      ),
    ).toBe('PUSH_ERR_TX_PROOF_INVALID');
  });

  it('leaves an eip155 proof for a block not indexed yet to the indexer, which files its late IPFS content with its transaction', async () => {
    const store = await backend.open();
    let clock = Date.now();
    const { admission, events, sink } = testAdmission(store, {
      coreChainId: core.chainId,
      chains: devnetChains(),
      now: () => clock,
      ipfs: createIpfsClient({ gateways: [gateway.gatewayUrl], timeoutMs: 2000, maxBytes: 1 << 20 }),
    });
    await indexToHeads(sink, [core, alias], { logger });
    await admission.retryPendingContent();
    events.length = 0; // the seeded notifications
    // Sent after indexing: its block is above the indexer's cursor.
    const beta = seed.channels[1]!;
    const json = sdkPayloadJson(`eip155:${core.chainId}:${beta.channel}`, {
      type: 3,
      title: `late ${backend.name}`,
    });
    const cid = await cidOf(json);
    const receipt = await sendContractCall(core, devnet.accounts[beta.ownerIndex]!.privateKey, {
      address: core.comm,
      abi: (await loadPushArtifacts()).comm.abi,
      functionName: 'sendNotification',
      args: [beta.channel, devnet.accounts[5]!.address, stringToHex(`1+${cid}`)],
    });
    const proof = `eip155:${core.chainId}:${receipt.transactionHash}`;
    const first = await admission.admitPayload({
      verificationProof: proof,
      sender: `eip155:${core.chainId}:${beta.channel}`,
      recipient: `eip155:${core.chainId}:${devnet.accounts[5]!.address}`,
      source: 'ETH_TEST_SEPOLIA',
      identity: `1+${cid}`,
    });
    // Checked, not stored: stored now, it could outlive a reorg of a block the indexer has not seen.
    expect(first).toEqual({ notificationId: 0, status: 'indexing', duplicate: false });
    expect(
      await store.db
        .selectFrom('inputs')
        .selectAll()
        .where('tx_hash', '=', receipt.transactionHash)
        .execute(),
    ).toEqual([]);
    // The indexer reaches the block and admits the log; its content is not pinned yet.
    await indexToHeads(sink, [core], { logger });
    await admission.retryPendingContent();
    expect(events).toEqual([]);

    await gateway.add(json);
    clock += 60 * 60_000; // past any backoff
    await admission.retryPendingContent();
    expect(events).toHaveLength(1);
    expect(events[0]!.notification.verificationProof).toBe(proof);
    expect(events[0]!.feedItem.payload.data.asub).toBe(`late ${backend.name}`);
    expect(events[0]!.recipients.inbox.length + events[0]!.recipients.spam.length).toBe(1);
  });
});
