import { type Address, type Hash, type Hex, isHex, stringToHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { loadArtifact } from '../contracts/artifacts.js';
import { pushError } from '../errors.js';
import { CORE_CHAIN_ID, caip10, SDK_LOCAL_CORE_ADDRESS } from './addresses.js';
import { type ChannelMetadata, iconDataUri, serializeChannelMetadata } from './channel-metadata.js';
import { devnetPublicClient, sendContractCall } from './clients.js';
import type { IpfsAdder } from './ipfs-gateway.js';

export interface CreateDevnetChannelOptions {
  rpcUrl: string;
  /** The channel owner's key; the channel address is its address. */
  privateKey: Hex;
  name: string;
  info: string;
  url: string;
  ipfs: IpfsAdder;
  /** A data URI; a generated PNG by default. */
  icon?: string;
  tags?: string[];
  aliasDetails?: Record<string, string>;
  /** 2 (InterestBearingOpen, the SDK's GENERAL) by default. TimeBound (4) is not offered here: it needs an expiry. */
  channelType?: 2 | 3 | 5;
  /** PushCore address; the SDK's local address by default. */
  core?: Address;
}

export interface DevnetChannel {
  chainId: number;
  channel: Address;
  /** `eip155:<chainId>:<channel>` */
  caip: string;
  cid: string;
  /** `1+<cid>`, as emitted in AddChannel. */
  identity: string;
  metadata: ChannelMetadata;
  txHash: Hash;
  blockNumber: number;
}

/**
 * Creates a channel on a devnet core chain the way a dApp does: metadata JSON to IPFS, then
 * `PushCore.createChannel(type, "1+<cid>")` from the owner's key. Backs `push-node devnet channel create`.
 */
export async function createDevnetChannel(options: CreateDevnetChannelOptions): Promise<DevnetChannel> {
  if (!isHex(options.privateKey) || options.privateKey.length !== 66) {
    throw pushError('PUSH_ERR_VALIDATION', 'The private key must be 32 bytes of 0x-prefixed hex', {
      field: 'privateKey',
    });
  }
  for (const field of ['name', 'info', 'url'] as const) {
    if (options[field].trim() === '') {
      throw pushError('PUSH_ERR_VALIDATION', `The channel ${field} must not be empty`, { field });
    }
  }
  const tags = options.tags ?? [];
  if (tags.length > 5 || tags.join('').length > 512) {
    throw pushError('PUSH_ERR_VALIDATION', 'At most 5 tags, 512 characters in all', { field: 'tags' });
  }

  const owner = privateKeyToAccount(options.privateKey).address;
  const core = options.core ?? SDK_LOCAL_CORE_ADDRESS;
  const probe = devnetPublicClient(CORE_CHAIN_ID, options.rpcUrl);
  const chainId = await probe.getChainId().catch((err: unknown) => {
    throw pushError('PUSH_ERR_RPC_UNAVAILABLE', `No JSON-RPC answer from ${options.rpcUrl}`, {
      field: 'rpcUrl',
      hint: 'is the devnet running?',
      cause: err,
    });
  });
  const client = devnetPublicClient(chainId, options.rpcUrl);
  const coreArtifact = await loadArtifact('PushCore');
  const code = await client.getCode({ address: core });
  if (!code || code === '0x') {
    throw pushError('PUSH_ERR_CHAIN_NOT_SUPPORTED', `No Push Core at ${core} on chain ${chainId}`, {
      field: 'rpcUrl',
      hint: `point at the devnet's core chain (${CORE_CHAIN_ID})`,
    });
  }
  const existing = (await client.readContract({
    address: core,
    abi: coreArtifact.abi,
    functionName: 'channels',
    args: [owner],
  })) as readonly unknown[];
  if (Number(existing[1]) !== 0) {
    throw pushError('PUSH_ERR_VALIDATION', `${owner} already has a channel`, {
      field: 'privateKey',
      hint: 'use another account; one address owns at most one channel',
      details: { channel: owner, state: Number(existing[1]) },
    });
  }

  const metadata: ChannelMetadata = {
    name: options.name,
    info: options.info,
    url: options.url,
    icon: options.icon ?? iconDataUri(options.name),
    ...(options.aliasDetails ? { aliasDetails: options.aliasDetails } : {}),
    tags,
  };
  const cid = await options.ipfs.add(serializeChannelMetadata(metadata));
  const identity = `1+${cid}`;
  const receipt = await sendContractCall({ chainId, rpcUrl: options.rpcUrl }, options.privateKey, {
    address: core,
    abi: coreArtifact.abi,
    functionName: 'createChannel',
    args: [options.channelType ?? 2, stringToHex(identity)],
  });
  return {
    chainId,
    channel: owner,
    caip: caip10(chainId, owner),
    cid,
    identity,
    metadata,
    txHash: receipt.transactionHash,
    blockNumber: Number(receipt.blockNumber),
  };
}
