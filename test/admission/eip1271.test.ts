import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { type Address, encodeFunctionData, getAddress, type Hex, hashTypedData, stringToHex } from 'viem';
import { signTypedData } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../../src/api/errors.js';
import { registerWriteRoutes } from '../../src/api/routes/write.js';
import { createChainIndexer } from '../../src/chains/indexer.js';
import { type ContractArtifact, loadArtifact, loadPushArtifacts } from '../../src/contracts/artifacts.js';
import {
  CORE_CHAIN_ID,
  type DevChain,
  type DevnetAccount,
  deployPush,
  devnetAccounts,
  devnetPublicClient,
  devnetWalletClient,
  SDK_LOCAL_COMM_ADDRESSES,
  SDK_LOCAL_CORE_ADDRESS,
  sendContractCall,
  startChain,
} from '../../src/devnet/index.js';
import { createChainClient } from '../../src/ingest/admission/chain-client.js';
import type { Admission } from '../../src/ingest/admission/index.js';
import type { AdmittedNotification } from '../../src/ingest/bus.js';
import { createStoreChainSink } from '../../src/ingest/chain/sink.js';
import type { Store } from '../../src/store/index.js';
import { listUserFeed } from '../../src/store/repos/feeds.js';
import { type RpcProxy, startRpcProxy } from '../support/rpc-proxy.js';
import { storeBackends } from '../support/store-backends.js';
import { sdkPayloadJson, testAdmission } from './support.js';

// ERC-1271 end to end: a contract wallet (src/contracts/TestWallet.sol, one owner EOA) is a channel and a subscriber
// on the devnet core chain; the node sees it through the indexer, and signed requests reach it over HTTP.

const logger = pino({ level: 'silent' });
const COMM = SDK_LOCAL_COMM_ADDRESSES[CORE_CHAIN_ID]!;
const accounts = devnetAccounts();
const ADMIN = accounts[0]!;
const CHANNEL_OWNER = accounts[1]!; // owns the wallet that is a channel
const SUBSCRIBER_OWNER = accounts[2]!; // owns the wallet that subscribes
const STRANGER = accounts[3]!;
const EOA_CHANNEL = accounts[4]!; // a plain channel, for contrast
const DELEGATE = accounts[5]!; // an EOA delegate of the wallet channel
const CO_OWNER = accounts[6]!; // with CHANNEL_OWNER, the two owners of a 2-of-2 wallet channel

let chain: DevChain;
let proxy: RpcProxy;
let startBlock: number;
let channelWallet: Address;
let multisigChannel: Address;
let multisigSubscriber: Address;
let subscriberWallet: Address;

const DOMAIN = { name: 'EPNS COMM V1', chainId: CORE_CHAIN_ID, verifyingContract: COMM } as const;

/** The SDK's eip712v2 recipe, signed by an EOA key (for a wallet: its owner's). */
function signData(by: DevnetAccount, data: string): Promise<Hex> {
  return signTypedData({
    privateKey: by.privateKey,
    domain: DOMAIN,
    types: { Data: [{ name: 'data', type: 'string' }] },
    primaryType: 'Data',
    message: { data },
  });
}

function signUnsubscribeV1(by: DevnetAccount, channel: Address, unsubscriber: Address): Promise<Hex> {
  return signTypedData({
    privateKey: by.privateKey,
    domain: DOMAIN,
    types: {
      Unsubscribe: [
        { name: 'channel', type: 'address' },
        { name: 'unsubscriber', type: 'address' },
        { name: 'action', type: 'string' },
      ],
    },
    primaryType: 'Unsubscribe',
    message: { channel, unsubscriber, action: 'Unsubscribe' },
  });
}

async function deployWallet(artifact: ContractArtifact, owner: DevnetAccount): Promise<Address> {
  const wallet = devnetWalletClient(chain.chainId, chain.rpcUrl, owner.privateKey);
  const hash = await wallet.deployContract({
    abi: artifact.abi,
    bytecode: artifact.bytecode,
    args: [owner.address],
    chain: wallet.chain,
    account: wallet.account!,
  });
  const receipt = await devnetPublicClient(chain.chainId, chain.rpcUrl).waitForTransactionReceipt({
    hash,
    pollingInterval: 50,
  });
  return getAddress(receipt.contractAddress!);
}

/** `owner` makes `wallet` call `target` (the wallet is msg.sender there). */
async function asWallet(
  walletArtifact: ContractArtifact,
  wallet: Address,
  owner: DevnetAccount,
  target: { address: Address; abi: ContractArtifact['abi'] },
  functionName: string,
  args: readonly unknown[],
) {
  const data = encodeFunctionData({ abi: target.abi, functionName, args });
  return sendContractCall(chain, owner.privateKey, {
    address: wallet,
    abi: walletArtifact.abi,
    functionName: 'execute',
    args: [target.address, data],
  });
}

beforeAll(async () => {
  chain = await startChain({ chainId: CORE_CHAIN_ID, logger });
  ({ startBlock } = await deployPush(chain, {
    core: SDK_LOCAL_CORE_ADDRESS,
    comm: COMM,
    admin: ADMIN.address,
  }));
  const [{ core, comm }, walletArtifact] = await Promise.all([
    loadPushArtifacts(),
    loadArtifact('TestWallet'),
  ]);
  const coreTarget = { address: SDK_LOCAL_CORE_ADDRESS, abi: core.abi };
  channelWallet = await deployWallet(walletArtifact, CHANNEL_OWNER);
  subscriberWallet = await deployWallet(walletArtifact, SUBSCRIBER_OWNER);
  const identity = stringToHex('1+bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a');
  await asWallet(walletArtifact, channelWallet, CHANNEL_OWNER, coreTarget, 'createChannel', [2, identity]);
  await asWallet(
    walletArtifact,
    channelWallet,
    CHANNEL_OWNER,
    { address: COMM, abi: comm.abi },
    'addDelegate',
    [DELEGATE.address],
  );
  // A 2-of-2 wallet channel: it signs 130 bytes, both owners' signatures in ascending address order (as a Safe does).
  multisigChannel = await deployWallet(walletArtifact, CHANNEL_OWNER);
  await sendContractCall(chain, CHANNEL_OWNER.privateKey, {
    address: multisigChannel,
    abi: walletArtifact.abi,
    functionName: 'addOwner',
    args: [CO_OWNER.address, 2n],
  });
  await asWallet(walletArtifact, multisigChannel, CHANNEL_OWNER, coreTarget, 'createChannel', [2, identity]);
  // A 2-of-2 wallet subscriber (SUBSCRIBER_OWNER and CO_OWNER).
  multisigSubscriber = await deployWallet(walletArtifact, SUBSCRIBER_OWNER);
  await sendContractCall(chain, SUBSCRIBER_OWNER.privateKey, {
    address: multisigSubscriber,
    abi: walletArtifact.abi,
    functionName: 'addOwner',
    args: [CO_OWNER.address, 2n],
  });
  await sendContractCall(chain, EOA_CHANNEL.privateKey, {
    ...coreTarget,
    functionName: 'createChannel',
    args: [2, identity],
  });
  proxy = await startRpcProxy({ target: chain.rpcUrl });
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  await chain?.stop();
});

describe('the chain client', () => {
  it('asks only contracts: true for the owner, false for others, EOAs and contracts without ERC-1271', async () => {
    const client = createChainClient({ chainId: CORE_CHAIN_ID, comm: COMM, rpcUrls: [chain.rpcUrl] });
    const message = { data: 'hello' };
    const digest = hashTypedData({
      domain: DOMAIN,
      types: { Data: [{ name: 'data', type: 'string' }] },
      primaryType: 'Data',
      message,
    });
    const [byOwner, byStranger] = await Promise.all([
      signData(CHANNEL_OWNER, message.data),
      signData(STRANGER, message.data),
    ]);
    expect(await client.isValidSignature(channelWallet, digest, byOwner)).toBe(true);
    expect(await client.isValidSignature(channelWallet, digest, byStranger)).toBe(false);
    // Owned by someone else.
    expect(await client.isValidSignature(subscriberWallet, digest, byOwner)).toBe(false);
    // An EOA has no code to ask, even when it is the signer.
    expect(await client.isValidSignature(CHANNEL_OWNER.address, digest, byOwner)).toBe(false);
    // PushComm has no isValidSignature (and no fallback): the call reverts, which is a "no", not an RPC failure.
    expect(await client.isValidSignature(COMM, digest, byOwner)).toBe(false);
  });
});

describe.each(storeBackends())('ERC-1271 contract wallets on $name', (backend) => {
  let store: Store;
  let admission: Admission;
  let app: FastifyInstance;
  let events: AdmittedNotification[];
  let clock = 1_700_000_000_000;

  afterAll(async () => {
    await app?.close();
    await backend.cleanup();
  });

  beforeAll(async () => {
    store = await backend.open();
    // Channels and delegates come from the chain, as in production.
    const indexer = createChainIndexer({
      spec: {
        chainId: chain.chainId,
        name: 'ETH_TEST_SEPOLIA',
        rpcUrls: [chain.rpcUrl],
        wsUrls: [],
        core: SDK_LOCAL_CORE_ADDRESS,
        comm: COMM,
        startBlock,
        finalityDepth: 2,
        blockTimeMs: 200,
      },
      sink: createStoreChainSink({ store, coreChainId: chain.chainId, logger }),
      logger,
      registry: new Registry(),
      progress: 'off',
      pollMs: 100,
    });
    await indexer.start();
    await indexer.whenSynced();
    await indexer.stop();

    ({ admission, events } = testAdmission(store, {
      coreChainId: chain.chainId,
      // Through the proxy, so a test can take the RPC down.
      chains: [{ chainId: chain.chainId, comm: COMM, rpcUrls: [proxy.url] }],
      // Strictly increasing receipt times: last-writer-wins must not depend on two requests' millisecond.
      now: () => (clock += 1000),
    }));
    app = Fastify();
    app.setErrorHandler(errorHandler(logger));
    registerWriteRoutes(app, { admission });
    await app.ready();
  }, 60_000);

  async function post(url: string, payload: unknown) {
    const res = await app.inject({ method: 'POST', url, payload: payload as object });
    return { status: res.statusCode, code: res.statusCode === 204 ? null : res.json().error?.code };
  }

  const caip = (a: Address) => `eip155:${CORE_CHAIN_ID}:${a}`;

  /** A `POST /v1/payloads` body exactly as the SDK builds it, with the signature of `signer`. */
  async function payload(sender: Address, signer: DevnetAccount, title: string, signedIdentity?: string) {
    const identity = `2+${sdkPayloadJson(caip(sender), { title })}`;
    const sig = await signData(signer, signedIdentity ?? identity);
    return {
      verificationProof: `eip712v2:${sig}::uid::${randomUUID()}`,
      identity,
      sender: caip(sender),
      source: 'ETH_TEST_SEPOLIA',
      recipient: caip(sender),
    };
  }

  async function stored(channel: Address): Promise<number> {
    const row = await store.db
      .selectFrom('notifications')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('channel', '=', channel.toLowerCase())
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function subscribed(channel: Address, user: Address): Promise<boolean | undefined> {
    const row = await store.db
      .selectFrom('subscriptions')
      .select('subscribed')
      .where('channel', '=', channel.toLowerCase())
      .where('subscriber', '=', user.toLowerCase())
      .executeTakeFirst();
    return row === undefined ? undefined : row.subscribed === 1;
  }

  it('admits a payload from a contract-wallet channel signed by its owner (ERC-1271 over the EIP-712 digest)', async () => {
    const before = events.length;
    const body = await payload(channelWallet, CHANNEL_OWNER, 'from a contract wallet');
    expect(await post('/apis/v1/payloads', body)).toEqual({ status: 204, code: null });
    expect(events).toHaveLength(before + 1);
    expect(events.at(-1)!.notification).toMatchObject({
      channel: channelWallet.toLowerCase(),
      sender: caip(channelWallet).toLowerCase(),
      // The wallet itself signed (through its owner), not a delegate.
      delegate: null,
    });
    expect(await stored(channelWallet)).toBe(1);
    // Idempotent like any other proof: no second notification, no second event.
    expect(await post('/apis/v1/payloads', body)).toEqual({ status: 204, code: null });
    expect(events).toHaveLength(before + 1);
    expect(await stored(channelWallet)).toBe(1);
  });

  it('admits a payload from a 2-of-2 wallet channel: a 130-byte signature, checked through ERC-1271 only', async () => {
    const identity = `2+${sdkPayloadJson(caip(multisigChannel), { title: 'signed by both owners' })}`;
    const [a, b] = [CHANNEL_OWNER, CO_OWNER].sort((x, y) =>
      x.address.toLowerCase() < y.address.toLowerCase() ? -1 : 1,
    );
    const both = `${await signData(a!, identity)}${(await signData(b!, identity)).slice(2)}`;
    const body = (sig: string) => ({
      verificationProof: `eip712v2:${sig}::uid::${randomUUID()}`,
      identity,
      sender: caip(multisigChannel),
      source: 'ETH_TEST_SEPOLIA',
      recipient: caip(multisigChannel),
    });
    // One owner is not enough: recovered, that key is not the channel, and the wallet wants two signatures.
    expect(await post('/apis/v1/payloads', body(await signData(CHANNEL_OWNER, identity)))).toEqual({
      status: 403,
      code: 'PUSH_ERR_SIGNER_NOT_AUTHORIZED',
    });
    expect(await stored(multisigChannel)).toBe(0);
    expect(await post('/apis/v1/payloads', body(both))).toEqual({ status: 204, code: null });
    expect(await stored(multisigChannel)).toBe(1);
    expect(events.at(-1)!.notification).toMatchObject({
      channel: multisigChannel.toLowerCase(),
      delegate: null,
    });
  });

  it('still admits an EOA delegate of a contract-wallet channel, recorded as the delegate', async () => {
    const before = events.length;
    const n = await stored(channelWallet);
    const body = await payload(channelWallet, DELEGATE, 'from the delegate');
    expect(await post('/apis/v1/payloads', body)).toEqual({ status: 204, code: null });
    expect(events).toHaveLength(before + 1);
    expect(events.at(-1)!.notification.delegate).toBe(DELEGATE.address.toLowerCase());
    expect(await stored(channelWallet)).toBe(n + 1);
  });

  it('refuses what the wallet does not accept, with its own code, and stores nothing', async () => {
    const before = events.length;
    const n = await stored(channelWallet);
    // Another key; the owner's key over another identity (a signature moved to new content); the owner's own
    // address as sender (an EOA that is no channel).
    const stranger = await payload(channelWallet, STRANGER, 'forged');
    const moved = await payload(channelWallet, CHANNEL_OWNER, 'moved', '2+{"something":"else"}');
    expect(await post('/apis/v1/payloads', stranger)).toEqual({
      status: 403,
      code: 'PUSH_ERR_SIGNER_NOT_AUTHORIZED',
    });
    expect(await post('/apis/v1/payloads', moved)).toEqual({
      status: 403,
      code: 'PUSH_ERR_SIGNER_NOT_AUTHORIZED',
    });
    // 65 bytes that recover to no key: the wallet refuses them too, so the recovery error stands.
    const garbage = { ...stranger, verificationProof: `eip712v2:0x${'00'.repeat(64)}1b` };
    expect(await post('/apis/v1/payloads', garbage)).toEqual({
      status: 403,
      code: 'PUSH_ERR_SIGNATURE_INVALID',
    });
    const ownerAsSender = await payload(CHANNEL_OWNER.address, CHANNEL_OWNER, 'not a channel');
    expect((await post('/apis/v1/payloads', ownerAsSender)).code).toBe('PUSH_ERR_CHANNEL_NOT_FOUND');
    expect(events).toHaveLength(before);
    expect(await stored(channelWallet)).toBe(n);
  });

  it('answers PUSH_ERR_RPC_UNAVAILABLE (503) when the chain cannot be asked, and admits the same request later', async () => {
    const before = events.length;
    const n = await stored(channelWallet);
    const body = await payload(channelWallet, CHANNEL_OWNER, 'while the RPC is down');
    proxy.set({ down: true });
    try {
      expect(await post('/apis/v1/payloads', body)).toEqual({
        status: 503,
        code: 'PUSH_ERR_RPC_UNAVAILABLE',
      });
      // An EOA channel's own signature needs no chain call: admitted regardless.
      const eoa = await payload(EOA_CHANNEL.address, EOA_CHANNEL, 'EOA while the RPC is down');
      expect(await post('/apis/v1/payloads', eoa)).toEqual({ status: 204, code: null });
    } finally {
      proxy.set({ down: false });
    }
    // eth_getCode answers, then every request (eth_call and its retry) fails: still the RPC's fault, not a 403.
    proxy.set({ failSchedule: { first: proxy.stats.requests + 2, every: 1 } });
    try {
      expect(await post('/apis/v1/payloads', body)).toEqual({
        status: 503,
        code: 'PUSH_ERR_RPC_UNAVAILABLE',
      });
    } finally {
      proxy.set({ failSchedule: { first: Number.MAX_SAFE_INTEGER, every: 1 } });
    }
    expect(await stored(channelWallet)).toBe(n);
    expect(events).toHaveLength(before + 1); // the EOA channel's
    // Nothing of the failed attempts was kept: the retry is admitted normally.
    expect(await post('/apis/v1/payloads', body)).toEqual({ status: 204, code: null });
    expect(await stored(channelWallet)).toBe(n + 1);
  });

  it('opts a contract-wallet subscriber in and out on its owner signature, and refuses anyone else', async () => {
    const channelCaip = caip(channelWallet);
    const url = (action: string) => `/apis/v1/channels/${channelCaip}/${action}`;
    const message = JSON.stringify(
      { channel: channelWallet, subscriber: subscriberWallet, action: 'Subscribe', userSetting: '' },
      null,
      4,
    );
    const forged = { verificationProof: `eip712v2:${await signData(STRANGER, message)}`, message };
    expect(await post(url('subscribe'), forged)).toEqual({
      status: 403,
      code: 'PUSH_ERR_SIGNER_NOT_AUTHORIZED',
    });
    expect(await subscribed(channelWallet, subscriberWallet)).toBeUndefined();

    const signed = { verificationProof: `eip712v2:${await signData(SUBSCRIBER_OWNER, message)}`, message };
    expect(await post(url('subscribe'), signed)).toEqual({ status: 204, code: null });
    expect(await subscribed(channelWallet, subscriberWallet)).toBe(true);

    // A broadcast from the wallet channel reaches the wallet subscriber's inbox.
    const body = await payload(channelWallet, CHANNEL_OWNER, 'to my wallet subscribers');
    expect(await post('/apis/v1/payloads', body)).toEqual({ status: 204, code: null });
    const inbox = await listUserFeed(store.db, {
      user: subscriberWallet,
      box: 'inbox',
      limit: 10,
      now: clock,
    });
    expect(inbox.feeds.map((f) => f.payload.data.asub)).toEqual(['to my wallet subscribers']);

    // The V1 opt-out (bare eip712 proof): a stranger's is refused, the owner's applies.
    const v1 = (sig: Hex) => ({
      verificationProof: sig,
      message: { channel: channelWallet, unsubscriber: subscriberWallet, action: 'Unsubscribe' },
    });
    const strangerOut = v1(await signUnsubscribeV1(STRANGER, channelWallet, subscriberWallet));
    expect(await post(url('unsubscribe'), strangerOut)).toEqual({
      status: 403,
      code: 'PUSH_ERR_SIGNER_NOT_AUTHORIZED',
    });
    expect(await subscribed(channelWallet, subscriberWallet)).toBe(true);
    const ownerOut = v1(await signUnsubscribeV1(SUBSCRIBER_OWNER, channelWallet, subscriberWallet));
    expect(await post(url('unsubscribe'), ownerOut)).toEqual({ status: 204, code: null });
    expect(await subscribed(channelWallet, subscriberWallet)).toBe(false);
  });

  it('opts a 2-of-2 wallet subscriber in on a 130-byte signature of both owners, and not on one', async () => {
    const url = `/apis/v1/channels/${caip(channelWallet)}/subscribe`;
    const message = JSON.stringify(
      { channel: channelWallet, subscriber: multisigSubscriber, action: 'Subscribe', userSetting: '' },
      null,
      4,
    );
    const one = { verificationProof: `eip712v2:${await signData(SUBSCRIBER_OWNER, message)}`, message };
    expect(await post(url, one)).toEqual({ status: 403, code: 'PUSH_ERR_SIGNER_NOT_AUTHORIZED' });
    expect(await subscribed(channelWallet, multisigSubscriber)).toBeUndefined();
    const [a, b] = [SUBSCRIBER_OWNER, CO_OWNER].sort((x, y) =>
      x.address.toLowerCase() < y.address.toLowerCase() ? -1 : 1,
    );
    const both = `${await signData(a!, message)}${(await signData(b!, message)).slice(2)}`;
    expect(await post(url, { verificationProof: `eip712v2:${both}`, message })).toEqual({
      status: 204,
      code: null,
    });
    expect(await subscribed(channelWallet, multisigSubscriber)).toBe(true);
    // The same request again changes nothing.
    expect(await post(url, { verificationProof: `eip712v2:${both}`, message })).toEqual({
      status: 204,
      code: null,
    });
    expect(await subscribed(channelWallet, multisigSubscriber)).toBe(true);
  });
});
