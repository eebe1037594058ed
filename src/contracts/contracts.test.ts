import {
  type Abi,
  type Address,
  decodeEventLog,
  getAddress,
  type Hex,
  hexToString,
  type Log,
  pad,
  stringToHex,
  type TransactionReceipt,
  toHex,
} from 'viem';
import { privateKeyToAccount, signTypedData } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devnetAccounts } from '../devnet/accounts.js';
import { CORE_CHAIN_ID, SDK_LOCAL_COMM_ADDRESSES, SDK_LOCAL_CORE_ADDRESS } from '../devnet/addresses.js';
import { type DevChain, startChain } from '../devnet/chain.js';
import {
  devnetPublicClient,
  devnetTestClient,
  devnetWalletClient,
  sendContractCall,
} from '../devnet/clients.js';
import { deployPush } from '../devnet/deploy.js';
import { type ContractArtifact, loadArtifact, loadPushArtifacts } from './artifacts.js';

// topic0 values exactly as listed in contracts.md §2.1, §2.2 and §2.4 (not recomputed from our ABI on purpose).
const TOPIC0 = {
  AddChannel: '0x1f97bc77a1686355f130d93883d42f2434474cf65f97b29bc451ea7f9388d36a',
  UpdateChannelV1: '0xdd0f9713dcb5498a41e3486b288bc746b035efb57770050da0ec0e800154532c',
  UpdateChannelV2: '0xd080354cc7cff21b2f3e3190c00a803ac7dce5831b8291ec60b4860392045b7a',
  ChannelVerified: '0x84899820e388057bcb96cb9aa9c946c45de73a45051bb4184391046c4438329a',
  ChannelVerificationRevoked: '0x9d0e3265e47ea38b22548ea0663e73c8f406d4b04ade46b227c1b766ffbc605e',
  DeactivateChannel: '0x2280e0164fd038143a9177af9744ff6b78c8a7b2547be0efaf673d8c2876ca17',
  ReactivateChannel: '0xbc047405ceee77073c6c9c3fcc50396bd24c9a1e36ad8c3574db1ce6674f0a87',
  ChannelBlocked: '0xfbbb06adde8edc33cf72be5516c0a7d1eca7103419494556226e58774943c176',
  ChannelNotifcationSettingsAdded: '0x87cfb53b7cc0f446465723d1075eb0d650edc90e4365956fc1419a675c867bba',
  AddSubGraph: '0x3c6f586adc28bd6371da8f4f7a15d49e8350b80e99cb596d4268805db193cc19',
  TimeBoundChannelDestroyed: '0x994ca324b9d2f7966a11b77f1853c1152783ae967ac925ddb5c42fc5b793f68a',
  SendNotification: '0xcc2b84a32bce3d060db75a4c0e59bfef192503be5c83bfa5ad79a41d384ff22c',
  Subscribe: '0x5ffe3cc8f1055f172e55be8d832143a6cffb4cb3a56a18bf780fd4112d4cecc7',
  Unsubscribe: '0x9d3d878d2fb01c43ad7ec7c20d8f5d0dbac4888df940a4edaab4540ccefdc102',
  AddDelegate: '0x2fd5b26f00131bd8ca0fc556207292b85a6bec241341df82724333227458e630',
  RemoveDelegate: '0xdccc2d936ded24d2153d2760581a7f0dcb23ec71190c9726b3584cdd700214d4',
  UserNotifcationSettingsAdded: '0x790dac2f69fa06ffde2a1ba07cccf57910606213ce442099a2ab6ebe3bedc0ad',
  PublicKeyRegistered: '0xb3ec32f104accdf61583b5b94e7b80414c5dc5845ffc42e00f5f19775a358a0a',
  ChannelAlias: '0x6bc2285dcf7383bc0c0f37cc28ca4786636941d3a6d3e09c6d6f46f7efa39268',
  RemoveChannelAlias: '0x8c4b6a23961dde2a11ffbb433538b4a405f643b57dc134dad9d236d13cbccc86',
  Upgraded: '0xbc7cd75a20ee27fd9adebab32041f755214dbc6bffa90cc0225b39da2e5c2d3b',
} as const;

const ZERO: Address = '0x0000000000000000000000000000000000000000';
const CORE = SDK_LOCAL_CORE_ADDRESS;
const COMM = SDK_LOCAL_COMM_ADDRESSES[CORE_CHAIN_ID]!;
const accounts = devnetAccounts();
const addr = (i: number): Address => accounts[i]!.address;
const ADMIN = addr(0);

let chain: DevChain;
let core: ContractArtifact;
let comm: ContractArtifact;
const seenTopics = new Set<string>();

beforeAll(async () => {
  ({ core, comm } = await loadPushArtifacts());
  chain = await startChain({ chainId: CORE_CHAIN_ID });
  await deployPush(chain, { core: CORE, comm: COMM, admin: ADMIN });
});

afterAll(async () => {
  await chain?.stop();
});

/** Sends from a hardhat account (unlocked on the node) and records every topic0 seen. */
async function tx(
  from: number,
  contract: 'core' | 'comm',
  functionName: string,
  args: readonly unknown[] = [],
) {
  const receipt = await sendContractCall(chain, addr(from), {
    address: contract === 'core' ? CORE : COMM,
    abi: contract === 'core' ? core.abi : comm.abi,
    functionName,
    args,
  });
  for (const log of receipt.logs) if (log.topics[0]) seenTopics.add(log.topics[0]);
  return receipt;
}

function read(contract: 'core' | 'comm', functionName: string, args: readonly unknown[] = []) {
  return devnetPublicClient(chain.chainId, chain.rpcUrl).readContract({
    address: contract === 'core' ? CORE : COMM,
    abi: contract === 'core' ? core.abi : comm.abi,
    functionName,
    args,
  });
}

async function expectRevert(promise: Promise<unknown>, reason: string) {
  await expect(promise).rejects.toThrow(reason);
}

type Decoded = { eventName: string; args: Record<string, unknown> };

function decode(abi: Abi, log: Log): Decoded {
  return decodeEventLog({ abi, data: log.data, topics: log.topics as [Hex, ...Hex[]] }) as unknown as Decoded;
}

const word = (a: Address) => pad(a.toLowerCase() as Hex, { size: 32 });
const lower = (logs: TransactionReceipt['logs']) => logs.map((l) => l.address.toLowerCase());

async function createChannel(owner: number, identity = '1+bafkreidemo') {
  return tx(owner, 'core', 'createChannel', [2, stringToHex(identity)]);
}

describe('PushCore', () => {
  it('createChannel emits AddChannel then, from Comm in the same tx, the three Subscribe logs', async () => {
    const ch = addr(1);
    const receipt = await createChannel(1, '1+bafkreichannelone');
    expect(receipt.logs).toHaveLength(4);
    expect(lower(receipt.logs)).toEqual([CORE, COMM, COMM, COMM].map((a) => a.toLowerCase()));
    expect(receipt.logs.map((l) => l.topics[0])).toEqual([
      TOPIC0.AddChannel,
      TOPIC0.Subscribe,
      TOPIC0.Subscribe,
      TOPIC0.Subscribe,
    ]);
    const [add, s1, s2, s3] = receipt.logs as [Log, Log, Log, Log];
    // AddChannel(address indexed channel, uint8 indexed channelType, bytes identity)
    expect(add.topics).toEqual([TOPIC0.AddChannel, word(ch), pad(toHex(2), { size: 32 })]);
    expect(decode(core.abi, add).args).toMatchObject({ channel: ch, channelType: 2 });
    expect(hexToString(decode(core.abi, add).args.identity as Hex)).toBe('1+bafkreichannelone');
    expect(s1.topics.slice(1)).toEqual([word(ch), word(ch)]);
    expect(s2.topics.slice(1)).toEqual([word(ZERO), word(ch)]);
    expect(s3.topics.slice(1)).toEqual([word(ch), word(ADMIN)]);
    expect(new Set(receipt.logs.map((l) => l.transactionHash)).size).toBe(1);

    const struct = (await read('core', 'channels', [ch])) as readonly unknown[];
    expect(struct[0]).toBe(2); // channelType
    expect(struct[1]).toBe(1); // channelState active
    expect(await read('core', 'channelsCount')).toBe(1n);
    expect(await read('comm', 'isUserSubscribed', [ch, ADMIN])).toBe(true);
    await expectRevert(createChannel(1), 'channel already exists');
  });

  it('rejects channel types a user may not create', async () => {
    await expectRevert(tx(2, 'core', 'createChannel', [0, stringToHex('1+x')]), 'invalid channel type');
  });

  it('emits both UpdateChannel layouts: V2 (3 args, amount indexed) and V1 (2 args)', async () => {
    const ch = addr(1);
    const v2 = await tx(1, 'core', 'updateChannelMeta', [stringToHex('1+bafkreiupdated2')]);
    expect(v2.logs).toHaveLength(1);
    expect(v2.logs[0]!.topics).toEqual([
      TOPIC0.UpdateChannelV2,
      word(ch),
      pad(toHex(50n * 10n ** 18n), { size: 32 }),
    ]);
    expect(decode(core.abi, v2.logs[0]!).args).toMatchObject({
      channel: ch,
      amountDeposited: 50n * 10n ** 18n,
    });

    const v1 = await tx(1, 'core', 'updateChannelMetaV1', [stringToHex('1+bafkreiupdated1')]);
    expect(v1.logs[0]!.topics).toEqual([TOPIC0.UpdateChannelV1, word(ch)]);
    const args = decode(core.abi, v1.logs[0]!).args as { identity: Hex };
    expect(hexToString(args.identity)).toBe('1+bafkreiupdated1');

    // The n-th update costs 50 PUSH x n in V2.
    const again = await tx(1, 'core', 'updateChannelMeta', [stringToHex('1+bafkreiupdated3')]);
    expect(BigInt(again.logs[0]!.topics[2]!)).toBe(150n * 10n ** 18n);
    await expectRevert(tx(9, 'core', 'updateChannelMeta', [stringToHex('1+x')]), 'channel is not active');
  });

  it('stores and emits channel settings as "<n>+<settings>", nothing indexed', async () => {
    const receipt = await tx(1, 'core', 'createChannelSettings', [
      3n,
      '1-1+2-1-50-0-100-1+3-1-10-20-0-100-1',
      'a+b+c',
    ]);
    const log = receipt.logs[0]!;
    expect(log.topics).toEqual([TOPIC0.ChannelNotifcationSettingsAdded]);
    expect(decode(core.abi, log).args).toEqual({
      _channel: addr(1),
      totalNotifOptions: 3n,
      _notifSettings: '3+1-1+2-1-50-0-100-1+3-1-10-20-0-100-1',
      _notifDescription: 'a+b+c',
    });
    expect(await read('core', 'channelNotifSettings', [addr(1)])).toBe(
      '3+1-1+2-1-50-0-100-1+3-1-10-20-0-100-1',
    );
  });

  it('emits AddSubGraph', async () => {
    const receipt = await tx(1, 'core', 'addSubGraph', [stringToHex('60+org/subgraph')]);
    expect(receipt.logs[0]!.topics).toEqual([TOPIC0.AddSubGraph, word(addr(1))]);
    expect(hexToString(decode(core.abi, receipt.logs[0]!).args._subGraphData as Hex)).toBe('60+org/subgraph');
  });

  it('verifies primarily and secondarily, and revoking a verifier silently unverifies its chain', async () => {
    await createChannel(2);
    await createChannel(3);
    const primary = await tx(0, 'core', 'verifyChannel', [addr(1)]);
    expect(primary.logs[0]!.topics).toEqual([TOPIC0.ChannelVerified, word(addr(1)), word(ADMIN)]);
    expect(await read('core', 'getChannelVerfication', [addr(1)])).toBe(1);

    await tx(1, 'core', 'verifyChannel', [addr(2)]);
    expect(await read('core', 'getChannelVerfication', [addr(2)])).toBe(2);
    await expectRevert(tx(3, 'core', 'verifyChannel', [addr(2)]), 'caller is not verified');

    const revoked = await tx(0, 'core', 'unverifyChannel', [addr(1)]);
    expect(revoked.logs[0]!.topics).toEqual([TOPIC0.ChannelVerificationRevoked, word(addr(1)), word(ADMIN)]);
    expect(await read('core', 'getChannelVerfication', [addr(1)])).toBe(0);
    expect(await read('core', 'getChannelVerfication', [addr(2)])).toBe(0); // no event for it
  });

  it('deactivates, reactivates and blocks (admin only) with the channel state bookkeeping', async () => {
    const deactivated = await tx(3, 'core', 'deactivateChannel');
    expect(deactivated.logs[0]!.topics).toEqual([
      TOPIC0.DeactivateChannel,
      word(addr(3)),
      pad(toHex(39n * 10n ** 18n), { size: 32 }),
    ]);
    expect(((await read('core', 'channels', [addr(3)])) as readonly unknown[])[1]).toBe(2);
    await expectRevert(tx(3, 'core', 'addSubGraph', [stringToHex('60+x')]), 'channel is not active');

    const reactivated = await tx(3, 'core', 'reactivateChannel');
    expect(reactivated.logs[0]!.topics).toEqual([
      TOPIC0.ReactivateChannel,
      word(addr(3)),
      pad(toHex(50n * 10n ** 18n), { size: 32 }),
    ]);
    expect(((await read('core', 'channels', [addr(3)])) as readonly unknown[])[1]).toBe(1);

    await expectRevert(tx(1, 'core', 'blockChannel', [addr(3)]), 'caller is not the admin');
    const blocked = await tx(0, 'core', 'blockChannel', [addr(3)]);
    expect(blocked.logs[0]!.topics).toEqual([TOPIC0.ChannelBlocked, word(addr(3))]);
    expect(((await read('core', 'channels', [addr(3)])) as readonly unknown[])[1]).toBe(3);
    await expectRevert(tx(0, 'core', 'blockChannel', [addr(3)]), 'cannot be blocked');
  });

  it('destroys an expired time-bound channel: three Comm Unsubscribe logs, then TimeBoundChannelDestroyed', async () => {
    const ch = addr(4);
    const client = devnetPublicClient(chain.chainId, chain.rpcUrl);
    const now = (await client.getBlock()).timestamp;
    await tx(4, 'core', 'createChannelWithPUSH', [
      4,
      stringToHex('1+bafkreitimebound'),
      60n * 10n ** 18n,
      now + 100n,
    ]);
    await expectRevert(tx(4, 'core', 'destroyTimeBoundChannel', [ch]), 'has not expired');

    const test = devnetTestClient(chain.chainId, chain.rpcUrl);
    await test.increaseTime({ seconds: 200 });
    await test.mine({ blocks: 1 });
    const receipt = await tx(4, 'core', 'destroyTimeBoundChannel', [ch]);
    expect(receipt.logs.map((l) => [l.address.toLowerCase(), l.topics[0]])).toEqual([
      [COMM.toLowerCase(), TOPIC0.Unsubscribe],
      [COMM.toLowerCase(), TOPIC0.Unsubscribe],
      [COMM.toLowerCase(), TOPIC0.Unsubscribe],
      [CORE.toLowerCase(), TOPIC0.TimeBoundChannelDestroyed],
    ]);
    expect(receipt.logs[0]!.topics.slice(1)).toEqual([word(ZERO), word(ch)]);
    expect(receipt.logs[1]!.topics.slice(1)).toEqual([word(ch), word(ch)]);
    expect(receipt.logs[2]!.topics.slice(1)).toEqual([word(ch), word(ADMIN)]);
    // 60 deposited - 10 fee = 50 in the pool; everything above the 1 PUSH minimum is refunded.
    expect(receipt.logs[3]!.topics.slice(1)).toEqual([word(ch), pad(toHex(49n * 10n ** 18n), { size: 32 })]);
    expect(((await read('core', 'channels', [ch])) as readonly unknown[])[1]).toBe(0);
    // Deleted, so the address may create a channel again.
    await createChannel(4);
  });

  it('bootstraps the protocol channels with the V1 order: Subscribe logs before each AddChannel', async () => {
    const receipt = await tx(0, 'core', 'createChannelForPushChannelAdmin');
    expect(receipt.logs.map((l) => l.topics[0])).toEqual([
      TOPIC0.Subscribe,
      TOPIC0.Subscribe,
      TOPIC0.AddChannel,
      TOPIC0.Subscribe,
      TOPIC0.AddChannel,
    ]);
    expect(receipt.logs[2]!.topics[1]).toBe(word(ADMIN));
    expect(receipt.logs[4]!.topics[1]).toBe(word(ZERO));
    await expectRevert(tx(0, 'core', 'createChannelForPushChannelAdmin'), 'admin channel exists');
  });

  it('emits the proxy Upgraded log on request (admin only)', async () => {
    const receipt = await tx(0, 'core', 'simulateUpgrade', [addr(19)]);
    expect(receipt.logs[0]!.topics).toEqual([TOPIC0.Upgraded, word(addr(19))]);
    await expectRevert(tx(1, 'comm', 'simulateUpgrade', [addr(19)]), 'caller is not the admin');
  });
});

describe('PushComm', () => {
  it('subscribes and unsubscribes idempotently (a duplicate emits nothing)', async () => {
    const first = await tx(5, 'comm', 'subscribe', [addr(1)]);
    expect(first.logs[0]!.topics).toEqual([TOPIC0.Subscribe, word(addr(1)), word(addr(5))]);
    expect((await tx(5, 'comm', 'subscribe', [addr(1)])).logs).toHaveLength(0);
    const out = await tx(5, 'comm', 'unsubscribe', [addr(1)]);
    expect(out.logs[0]!.topics).toEqual([TOPIC0.Unsubscribe, word(addr(1)), word(addr(5))]);
    expect((await tx(5, 'comm', 'unsubscribe', [addr(1)])).logs).toHaveLength(0);
    await expectRevert(tx(5, 'comm', 'subscribeViaCore', [addr(1), addr(5)]), 'caller is not Core');
  });

  it('adds and removes delegates keyed by msg.sender, with fully unindexed events', async () => {
    const added = await tx(1, 'comm', 'addDelegate', [addr(6)]);
    expect(added.logs[0]!.topics).toEqual([TOPIC0.AddDelegate]);
    expect(decode(comm.abi, added.logs[0]!).args).toEqual({ channel: addr(1), delegate: addr(6) });
    expect(await read('comm', 'delegatedNotificationSenders', [addr(1), addr(6)])).toBe(true);
    const removed = await tx(1, 'comm', 'removeDelegate', [addr(6)]);
    expect(removed.logs[0]!.topics).toEqual([TOPIC0.RemoveDelegate]);
    expect(decode(comm.abi, removed.logs[0]!).args).toEqual({ channel: addr(1), delegate: addr(6) });
  });

  it('sendNotification: the channel and its delegate emit; anyone else gets false and no log', async () => {
    const identity = stringToHex('0+3+Title+Body with + inside');
    const own = await tx(1, 'comm', 'sendNotification', [addr(1), addr(7), identity]);
    expect(own.logs[0]!.topics).toEqual([TOPIC0.SendNotification, word(addr(1)), word(addr(7))]);
    expect(hexToString(decode(comm.abi, own.logs[0]!).args.identity as Hex)).toBe(
      '0+3+Title+Body with + inside',
    );

    const client = devnetPublicClient(chain.chainId, chain.rpcUrl);
    const simulated = await client.simulateContract({
      address: COMM,
      abi: comm.abi,
      functionName: 'sendNotification',
      args: [addr(1), addr(7), identity],
      account: addr(8),
    });
    expect(simulated.result).toBe(false);
    const stranger = await tx(8, 'comm', 'sendNotification', [addr(1), addr(7), identity]);
    expect(stranger.status).toBe('success');
    expect(stranger.logs).toHaveLength(0);
    // V2 dropped self-notification: the recipient may not send to itself on the channel's behalf.
    expect((await tx(7, 'comm', 'sendNotification', [addr(1), addr(7), identity])).logs).toHaveLength(0);

    await tx(1, 'comm', 'addDelegate', [addr(8)]);
    const delegated = await tx(8, 'comm', 'sendNotification', [addr(1), addr(7), identity]);
    expect(delegated.logs).toHaveLength(1);
    await tx(1, 'comm', 'removeDelegate', [addr(8)]);
    expect((await tx(8, 'comm', 'sendNotification', [addr(1), addr(7), identity])).logs).toHaveLength(0);
  });

  it('subscribeBySig / unsubscribeBySig verify the EIP-712 "EPNS COMM V1" signature and consume the nonce', async () => {
    const signer = accounts[9]!;
    const domain = { name: 'EPNS COMM V1', chainId: CORE_CHAIN_ID, verifyingContract: COMM } as const;
    const expiry = BigInt(Math.floor(Date.now() / 1000) + 3600);
    const sign = (primaryType: 'Subscribe' | 'Unsubscribe', nonce: bigint) =>
      signTypedData({
        privateKey: signer.privateKey,
        domain,
        types: {
          [primaryType]: [
            { name: 'channel', type: 'address' },
            { name: 'subscriber', type: 'address' },
            { name: 'nonce', type: 'uint256' },
            { name: 'expiry', type: 'uint256' },
          ],
        },
        primaryType,
        message: { channel: addr(2), subscriber: signer.address, nonce, expiry },
      });
    const split = (sig: Hex) => [
      Number(`0x${sig.slice(130, 132)}`),
      `0x${sig.slice(2, 66)}`,
      `0x${sig.slice(66, 130)}`,
    ];

    const sig0 = await sign('Subscribe', 0n);
    // Relayed by someone else: the subscriber comes from the signature, not msg.sender.
    const sub = await tx(0, 'comm', 'subscribeBySig', [addr(2), signer.address, 0n, expiry, ...split(sig0)]);
    expect(sub.logs[0]!.topics).toEqual([TOPIC0.Subscribe, word(addr(2)), word(signer.address)]);
    expect(await read('comm', 'nonces', [signer.address])).toBe(1n);
    await expectRevert(
      tx(0, 'comm', 'subscribeBySig', [addr(2), signer.address, 0n, expiry, ...split(sig0)]),
      'invalid nonce',
    );
    const forged = await sign('Subscribe', 1n);
    await expectRevert(
      tx(0, 'comm', 'subscribeBySig', [addr(3), signer.address, 1n, expiry, ...split(forged)]),
      'invalid signature',
    );

    const sig1 = await sign('Unsubscribe', 1n);
    const unsub = await tx(0, 'comm', 'unsubscribeBySig', [
      addr(2),
      signer.address,
      1n,
      expiry,
      ...split(sig1),
    ]);
    expect(unsub.logs[0]!.topics).toEqual([TOPIC0.Unsubscribe, word(addr(2)), word(signer.address)]);
  });

  it('subscribeBySig for a contract wallet (TestWallet) goes through ERC-1271: its owner signs, a stranger cannot', async () => {
    const walletArtifact = await loadArtifact('TestWallet');
    const owner = accounts[10]!;
    const deployer = devnetWalletClient(chain.chainId, chain.rpcUrl, owner.privateKey);
    const hash = await deployer.deployContract({
      abi: walletArtifact.abi,
      bytecode: walletArtifact.bytecode,
      args: [owner.address],
      chain: deployer.chain,
      account: deployer.account!,
    });
    const wallet = (await devnetPublicClient(chain.chainId, chain.rpcUrl).waitForTransactionReceipt({ hash }))
      .contractAddress!;
    const domain = { name: 'EPNS COMM V1', chainId: CORE_CHAIN_ID, verifyingContract: COMM } as const;
    const expiry = BigInt(Math.floor(Date.now() / 1000) + 3600);
    const sign = (privateKey: Hex) =>
      signTypedData({
        privateKey,
        domain,
        types: {
          Subscribe: [
            { name: 'channel', type: 'address' },
            { name: 'subscriber', type: 'address' },
            { name: 'nonce', type: 'uint256' },
            { name: 'expiry', type: 'uint256' },
          ],
        },
        primaryType: 'Subscribe',
        message: { channel: addr(2), subscriber: wallet, nonce: 0n, expiry },
      });
    const split = (sig: Hex) => [
      Number(`0x${sig.slice(130, 132)}`),
      `0x${sig.slice(2, 66)}`,
      `0x${sig.slice(66, 130)}`,
    ];
    await expectRevert(
      tx(0, 'comm', 'subscribeBySig', [
        addr(2),
        wallet,
        0n,
        expiry,
        ...split(await sign(accounts[11]!.privateKey)),
      ]),
      'invalid signature',
    );
    const sub = await tx(0, 'comm', 'subscribeBySig', [
      addr(2),
      wallet,
      0n,
      expiry,
      ...split(await sign(owner.privateKey)),
    ]);
    expect(sub.logs[0]!.topics).toEqual([TOPIC0.Subscribe, word(addr(2)), word(wallet)]);
    expect(await read('comm', 'isUserSubscribed', [addr(2), wallet])).toBe(true);
  });

  it('changeUserChannelSettings requires a subscription and emits "<notifID>+<settings>"', async () => {
    await expectRevert(
      tx(6, 'comm', 'changeUserChannelSettings', [addr(1), 2n, '1-1+2-1-75+3-0-10-20']),
      'not subscribed',
    );
    await tx(6, 'comm', 'subscribe', [addr(1)]);
    const receipt = await tx(6, 'comm', 'changeUserChannelSettings', [addr(1), 2n, '1-1+2-1-75+3-0-10-20']);
    expect(receipt.logs[0]!.topics).toEqual([TOPIC0.UserNotifcationSettingsAdded]);
    expect(decode(comm.abi, receipt.logs[0]!).args).toEqual({
      _channel: addr(1),
      _user: addr(6),
      _notifID: 2n,
      _notifSettings: '2+1-1+2-1-75+3-0-10-20',
    });
  });

  it('emits ChannelAlias and RemoveChannelAlias with the chain name and id stored at initialisation', async () => {
    const alias = 'eip155:80002:0x00000000000000000000000000000000000000a1';
    const receipt = await tx(1, 'comm', 'verifyChannelAlias', [alias]);
    expect(receipt.logs[0]!.topics).toEqual([
      TOPIC0.ChannelAlias,
      pad(toHex(CORE_CHAIN_ID), { size: 32 }),
      word(addr(1)),
    ]);
    expect(decode(comm.abi, receipt.logs[0]!).args).toEqual({
      _chainName: 'ETH_TEST_SEPOLIA',
      _chainID: BigInt(CORE_CHAIN_ID),
      _channelOwnerAddress: addr(1),
      _ethereumChannelAddress: alias,
    });
    const removed = await tx(1, 'comm', 'removeChannelAlias', [alias]);
    expect(removed.logs[0]!.topics[0]).toBe(TOPIC0.RemoveChannelAlias);
    expect(decode(comm.abi, removed.logs[0]!).args).toMatchObject({ _baseChannelAddress: alias });
  });

  it('broadcastUserPublicKey registers the caller key once', async () => {
    const publicKey = `0x${privateKeyToAccount(accounts[7]!.privateKey).publicKey.slice(4)}` as Hex;
    await expectRevert(tx(6, 'comm', 'broadcastUserPublicKey', [publicKey]), 'key does not match caller');
    const receipt = await tx(7, 'comm', 'broadcastUserPublicKey', [publicKey]);
    expect(receipt.logs[0]!.topics).toEqual([TOPIC0.PublicKeyRegistered, word(addr(7))]);
    expect((await tx(7, 'comm', 'broadcastUserPublicKey', [publicKey])).logs).toHaveLength(0);
  });

  it('batchSendNotification puts 500 SendNotification logs in one block', async () => {
    const recipients = Array.from({ length: 500 }, (_, i) => getAddress(pad(toHex(i + 1), { size: 20 })));
    const receipt = await tx(1, 'comm', 'batchSendNotification', [
      addr(1),
      recipients,
      stringToHex('0+1+Bulk+Hi'),
    ]);
    expect(receipt.logs).toHaveLength(500);
    expect(receipt.logs.every((l) => l.topics[0] === TOPIC0.SendNotification)).toBe(true);
    expect(receipt.logs[499]!.topics[2]).toBe(word(recipients[499]!));
    const client = devnetPublicClient(chain.chainId, chain.rpcUrl);
    const inBlock = await client.getLogs({ address: COMM, blockHash: receipt.blockHash });
    expect(inBlock).toHaveLength(500);
    await expectRevert(
      tx(8, 'comm', 'batchSendNotification', [addr(1), recipients.slice(0, 2), stringToHex('0+1+x+y')]),
      'not the channel or its delegate',
    );
  });

  it('migrateSubscribeData (admin only) puts 500 Subscribe logs in one block', async () => {
    const users = Array.from({ length: 500 }, (_, i) => getAddress(pad(toHex(0x1000 + i), { size: 20 })));
    const channels = users.map(() => addr(2));
    await expectRevert(tx(1, 'comm', 'migrateSubscribeData', [channels, users]), 'caller is not the admin');
    const receipt = await tx(0, 'comm', 'migrateSubscribeData', [channels, users]);
    expect(receipt.logs).toHaveLength(500);
    expect(receipt.logs.every((l) => l.topics[0] === TOPIC0.Subscribe && l.topics[1] === word(addr(2)))).toBe(
      true,
    );
    expect(await read('comm', 'isUserSubscribed', [addr(2), users[123]!])).toBe(true);
  });

  it('exposes the EIP-712 domain and chain metadata the SDK relies on', async () => {
    expect(await read('comm', 'name')).toBe('EPNS COMM V1');
    expect(await read('comm', 'chainID')).toBe(BigInt(CORE_CHAIN_ID));
    expect(await read('comm', 'EPNSCoreAddress')).toBe(getAddress(CORE));
    expect(await read('core', 'epnsCommunicator')).toBe(getAddress(COMM));
    expect(await read('core', 'pushChannelAdmin')).toBe(ADMIN);
    await expectRevert(tx(1, 'core', 'initialize', [addr(1), addr(1)]), 'already initialized');
    // Placing code again would keep the old storage: deployPush refuses.
    await expect(deployPush(chain, { core: CORE, comm: COMM, admin: ADMIN })).rejects.toMatchObject({
      code: 'PUSH_ERR_DEVNET_START',
    });
  });

  it('covered every Core and Comm event topic0 of contracts.md', () => {
    expect([...Object.values(TOPIC0)].filter((t) => !seenTopics.has(t))).toEqual([]);
  });
});
