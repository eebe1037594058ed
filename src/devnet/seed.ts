import pino, { type Logger } from 'pino';
import { type Address, type Hash, stringToHex } from 'viem';
import { loadPushArtifacts } from '../contracts/artifacts.js';
import { pushError } from '../errors.js';
import type { DevnetAccount } from './accounts.js';
import { caip10 } from './addresses.js';
import { sendContractCall } from './clients.js';
import { createDevnetChannel, type DevnetChannel } from './create-channel.js';
import { type Devnet, type DevnetChainInfo, devnetChain } from './devnet.js';
import type { IpfsAdder } from './ipfs-gateway.js';

export interface SeededChannel extends DevnetChannel {
  key: 'alpha' | 'beta' | 'gamma';
  ownerIndex: number;
  /** Channel settings as emitted (`<count>+<options>`), if any. */
  settings?: { emitted: string; description: string };
  delegates: Address[];
  alias?: { chainId: number; address: Address; caip: string };
  /** Core-chain subscribers (besides the automatic ones made at creation: the channel itself and the admin). */
  subscribers: Address[];
}

export interface SeededNotification {
  chainId: number;
  channel: Address;
  /** Who sent the tx: the channel, its delegate or its alias. */
  sender: Address;
  recipient: Address;
  identity: string;
  txHash: Hash;
}

export interface SeedResult {
  channels: SeededChannel[];
  /** Every opt-in made by the seeder (core and alias chain), in order. */
  subscriptions: { chainId: number; channel: Address; subscriber: Address }[];
  userSettings: { chainId: number; channel: Address; user: Address; emitted: string }[];
  notifications: SeededNotification[];
}

export interface SeedDevnetOptions {
  ipfs: IpfsAdder;
  logger?: Logger;
}

// Account roles (hardhat's default accounts): #0 admin, #1..#3 channel owners, #4 delegate, #5..#9 subscribers,
// #10 the alias of channel gamma on the alias chain.
const DELEGATE = 4;
const SUBSCRIBERS = [5, 6, 7, 8, 9];
const ALIAS = 10;

const CHANNEL_SETTINGS = {
  count: 3,
  options: '1-1+2-1-50-0-100-1+3-1-10-20-0-100-1',
  description: 'Breaking news+Price threshold+Price range',
};

/**
 * Fills a fresh devnet with demo data a wallet or dApp developer can look at: three channels (metadata on the local
 * IPFS stand-in), settings on one, a delegate on one, a verified alias on the alias chain for one, subscribers, one
 * user's settings, and a few minimal (`0+…`) on-chain notifications.
 */
export async function seedDevnet(devnet: Devnet, options: SeedDevnetOptions): Promise<SeedResult> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const core = devnetChain(devnet, 'core');
  const alias = devnetChain(devnet, 'alias');
  if (!core.core) throw pushError('PUSH_ERR_DEVNET_START', 'The core chain has no PushCore address');
  const { core: coreArtifact, comm: commArtifact } = await loadPushArtifacts();
  const account = (index: number): DevnetAccount => {
    const found = devnet.accounts[index];
    if (!found) throw pushError('PUSH_ERR_DEVNET_START', `The devnet has no account #${index}`);
    return found;
  };
  const comm = (chain: DevnetChainInfo, signer: number, functionName: string, args: readonly unknown[]) =>
    sendContractCall(chain, account(signer).privateKey, {
      address: chain.comm,
      abi: commArtifact.abi,
      functionName,
      args,
    });

  const result: SeedResult = { channels: [], subscriptions: [], userSettings: [], notifications: [] };
  const aliasAccount = account(ALIAS).address;

  const specs = [
    {
      key: 'alpha' as const,
      ownerIndex: 1,
      name: 'Devnet Alpha',
      info: 'Market news with notification settings: a toggle, a slider and a range.',
      url: 'https://alpha.devnet.push.local',
      tags: ['devnet', 'defi'],
    },
    {
      key: 'beta' as const,
      ownerIndex: 2,
      name: 'Devnet Beta',
      info: 'A channel that also sends through a delegate.',
      url: 'https://beta.devnet.push.local',
      tags: ['devnet'],
    },
    {
      key: 'gamma' as const,
      ownerIndex: 3,
      name: 'Devnet Gamma',
      info: 'A channel with a verified alias on the alias chain (80002).',
      url: 'https://gamma.devnet.push.local',
      tags: ['devnet', 'multichain'],
      aliasDetails: { [`eip155:${alias.chainId}`]: aliasAccount },
    },
  ];

  for (const spec of specs) {
    const { key, ownerIndex, ...meta } = spec;
    const created = await createDevnetChannel({
      rpcUrl: core.rpcUrl,
      privateKey: account(ownerIndex).privateKey,
      core: core.core,
      ipfs: options.ipfs,
      ...meta,
    });
    result.channels.push({ ...created, key, ownerIndex, delegates: [], subscribers: [] });
    logger.debug({ channel: created.channel, cid: created.cid }, `devnet seed: channel ${meta.name}`);
  }
  const [alpha, beta, gamma] = result.channels as [SeededChannel, SeededChannel, SeededChannel];

  // Settings on alpha (the contract prepends the count).
  await sendContractCall(core, account(alpha.ownerIndex).privateKey, {
    address: core.core,
    abi: coreArtifact.abi,
    functionName: 'createChannelSettings',
    args: [BigInt(CHANNEL_SETTINGS.count), CHANNEL_SETTINGS.options, CHANNEL_SETTINGS.description],
  });
  alpha.settings = {
    emitted: `${CHANNEL_SETTINGS.count}+${CHANNEL_SETTINGS.options}`,
    description: CHANNEL_SETTINGS.description,
  };

  // A delegate on beta.
  await comm(core, beta.ownerIndex, 'addDelegate', [account(DELEGATE).address]);
  beta.delegates.push(account(DELEGATE).address);

  // Alias handshake for gamma: the channel names its alias on the core chain, the alias confirms on its chain.
  await comm(core, gamma.ownerIndex, 'verifyChannelAlias', [caip10(alias.chainId, aliasAccount)]);
  await comm(alias, ALIAS, 'verifyChannelAlias', [caip10(core.chainId, gamma.channel)]);
  gamma.alias = { chainId: alias.chainId, address: aliasAccount, caip: caip10(alias.chainId, aliasAccount) };

  // Subscribers: everyone on alpha, three on beta, two on gamma, and one opt-in through gamma's alias chain.
  const optIns: [SeededChannel, number][] = [
    ...SUBSCRIBERS.map((s) => [alpha, s] as [SeededChannel, number]),
    ...SUBSCRIBERS.slice(0, 3).map((s) => [beta, s] as [SeededChannel, number]),
    ...SUBSCRIBERS.slice(3).map((s) => [gamma, s] as [SeededChannel, number]),
  ];
  for (const [channel, subscriber] of optIns) {
    await comm(core, subscriber, 'subscribe', [channel.channel]);
    channel.subscribers.push(account(subscriber).address);
    result.subscriptions.push({
      chainId: core.chainId,
      channel: channel.channel,
      subscriber: account(subscriber).address,
    });
  }
  const aliasSubscriber = SUBSCRIBERS[0]!;
  await comm(alias, aliasSubscriber, 'subscribe', [aliasAccount]);
  result.subscriptions.push({
    chainId: alias.chainId,
    channel: aliasAccount,
    subscriber: account(aliasSubscriber).address,
  });

  // One user's settings on alpha, one entry per channel option in order (the contract prepends the notifID).
  const settingsUser = SUBSCRIBERS[0]!;
  const userOptions = '1-1+2-1-75+3-0-10-20';
  await comm(core, settingsUser, 'changeUserChannelSettings', [alpha.channel, 2n, userOptions]);
  result.userSettings.push({
    chainId: core.chainId,
    channel: alpha.channel,
    user: account(settingsUser).address,
    emitted: `2+${userOptions}`,
  });

  // Notifications: a broadcast by alpha, a targeted one by beta's delegate, a targeted one from gamma's alias.
  const notify = async (
    chain: DevnetChainInfo,
    senderIndex: number,
    channel: Address,
    recipient: Address,
    identity: string,
  ) => {
    const receipt = await comm(chain, senderIndex, 'sendNotification', [
      channel,
      recipient,
      stringToHex(identity),
    ]);
    if (receipt.logs.length !== 1) {
      throw pushError('PUSH_ERR_DEVNET_START', `sendNotification on ${channel} emitted no SendNotification`, {
        details: { chainId: chain.chainId, sender: account(senderIndex).address },
      });
    }
    result.notifications.push({
      chainId: chain.chainId,
      channel,
      sender: account(senderIndex).address,
      recipient,
      identity,
      txHash: receipt.transactionHash,
    });
  };
  await notify(
    core,
    alpha.ownerIndex,
    alpha.channel,
    alpha.channel,
    '0+1+Welcome to Devnet Alpha+The devnet is up.',
  );
  await notify(
    core,
    DELEGATE,
    beta.channel,
    account(SUBSCRIBERS[0]!).address,
    '0+3+Hello from a delegate+Sent by the delegate of Devnet Beta.',
  );
  await notify(
    alias,
    ALIAS,
    aliasAccount,
    account(SUBSCRIBERS[3]!).address,
    '0+3+Hello from the alias chain+Sent by Devnet Gamma through its alias.',
  );

  logger.info(
    {
      channels: result.channels.map((c) => c.channel),
      subscriptions: result.subscriptions.length,
      notifications: result.notifications.length,
    },
    'devnet seeded',
  );
  return result;
}
