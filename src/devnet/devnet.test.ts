import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Abi, type Address, decodeEventLog, getAddress, type Hex, hexToString, type Log } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContractArtifact, loadPushArtifacts } from '../contracts/artifacts.js';
import {
  ALIAS_CHAIN_ID,
  CORE_CHAIN_ID,
  SDK_LOCAL_COMM_ADDRESSES,
  SDK_LOCAL_CORE_ADDRESS,
} from './addresses.js';
import { devnetPublicClient } from './clients.js';
import { createDevnetChannel } from './create-channel.js';
import { type Devnet, type DevnetChainInfo, devnetChain, startDevnet } from './devnet.js';
import { cidOf, createIpfsGateway, type IpfsGateway } from './ipfs-gateway.js';
import { type SeedResult, seedDevnet } from './seed.js';

const dir = mkdtempSync(join(tmpdir(), 'push-devnet-'));
let devnet: Devnet;
let ipfs: IpfsGateway;
let seed: SeedResult;
let core: ContractArtifact;
let comm: ContractArtifact;

beforeAll(async () => {
  ({ core, comm } = await loadPushArtifacts());
  ipfs = await createIpfsGateway({ dir });
  devnet = await startDevnet();
  seed = await seedDevnet(devnet, { ipfs });
});

afterAll(async () => {
  await devnet?.stop();
  await ipfs?.close();
  rmSync(dir, { recursive: true, force: true });
});

function client(chain: DevnetChainInfo) {
  return devnetPublicClient(chain.chainId, chain.rpcUrl);
}

/** Every log of a contract since the deployment, decoded with our ABI. */
async function events(chain: DevnetChainInfo, address: Address, abi: Abi) {
  const logs = await client(chain).getLogs({
    address,
    fromBlock: BigInt(chain.startBlock),
    toBlock: 'latest',
  });
  return logs.map((log: Log) => ({
    log,
    ...(decodeEventLog({ abi, data: log.data, topics: log.topics as [Hex, ...Hex[]] }) as unknown as {
      eventName: string;
      args: Record<string, unknown>;
    }),
  }));
}

function processList(): string {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
}

describe('startDevnet', () => {
  it('runs the core and alias chains with the contracts at the SDK addresses', async () => {
    const coreChain = devnetChain(devnet, 'core');
    const aliasChain = devnetChain(devnet, 'alias');
    expect(coreChain).toMatchObject({
      chainId: CORE_CHAIN_ID,
      core: SDK_LOCAL_CORE_ADDRESS,
      name: 'ETH_TEST_SEPOLIA',
    });
    expect(aliasChain).toMatchObject({
      chainId: ALIAS_CHAIN_ID,
      comm: SDK_LOCAL_COMM_ADDRESSES[ALIAS_CHAIN_ID],
    });
    expect(aliasChain.core).toBeUndefined();
    expect(devnet.admin).toBe(devnet.accounts[0]!.address);

    for (const chain of devnet.chains) {
      expect(await client(chain).getChainId()).toBe(chain.chainId);
      const read = (functionName: string) =>
        client(chain).readContract({ address: chain.comm, abi: comm.abi, functionName });
      expect(await read('name')).toBe('EPNS COMM V1');
      expect(await read('chainID')).toBe(BigInt(chain.chainId));
      expect(await read('pushChannelAdmin')).toBe(devnet.admin);
    }
    const coreAdmin = await client(coreChain).readContract({
      address: SDK_LOCAL_CORE_ADDRESS,
      abi: core.abi,
      functionName: 'epnsCommunicator',
    });
    expect(coreAdmin).toBe(getAddress(coreChain.comm));
  });
});

describe('seedDevnet', () => {
  it('creates three channels whose identities point at metadata served by the IPFS stand-in', async () => {
    const coreChain = devnetChain(devnet, 'core');
    const added = (await events(coreChain, SDK_LOCAL_CORE_ADDRESS, core.abi)).filter(
      (e) => e.eventName === 'AddChannel',
    );
    expect(added.map((e) => e.args.channel)).toEqual(seed.channels.map((c) => c.channel));
    expect(seed.channels.map((c) => c.channel)).toEqual([1, 2, 3].map((i) => devnet.accounts[i]!.address));

    for (const [i, channel] of seed.channels.entries()) {
      const identity = hexToString(added[i]!.args.identity as Hex);
      expect(identity).toBe(`1+${channel.cid}`);
      const res = await fetch(`${ipfs.gatewayUrl}${channel.cid}`);
      expect(res.status).toBe(200);
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect(await cidOf(bytes)).toBe(channel.cid);
      const metadata = JSON.parse(new TextDecoder().decode(bytes));
      expect(metadata).toMatchObject({ name: channel.metadata.name, info: channel.metadata.info });
      expect(metadata.icon).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
      expect(Array.isArray(metadata.tags)).toBe(true);
    }
    const gamma = seed.channels.find((c) => c.key === 'gamma')!;
    expect(gamma.metadata.aliasDetails).toEqual({ [`eip155:${ALIAS_CHAIN_ID}`]: gamma.alias!.address });
  });

  it('records settings, a delegate, subscribers and user settings on chain', async () => {
    const coreChain = devnetChain(devnet, 'core');
    const [alpha, beta] = seed.channels;
    const coreEvents = await events(coreChain, SDK_LOCAL_CORE_ADDRESS, core.abi);
    const settings = coreEvents.find((e) => e.eventName === 'ChannelNotifcationSettingsAdded')!;
    expect(settings.args).toMatchObject({
      _channel: alpha!.channel,
      _notifSettings: alpha!.settings!.emitted,
    });

    const commEvents = await events(coreChain, coreChain.comm, comm.abi);
    const delegate = commEvents.find((e) => e.eventName === 'AddDelegate')!;
    expect(delegate.args).toEqual({ channel: beta!.channel, delegate: beta!.delegates[0] });

    const read = (functionName: string, args: readonly unknown[]) =>
      client(coreChain).readContract({ address: coreChain.comm, abi: comm.abi, functionName, args });
    for (const s of seed.subscriptions.filter((x) => x.chainId === CORE_CHAIN_ID)) {
      expect(await read('isUserSubscribed', [s.channel, s.subscriber])).toBe(true);
    }
    const userSettings = commEvents.find((e) => e.eventName === 'UserNotifcationSettingsAdded')!;
    expect(userSettings.args._notifSettings).toBe(seed.userSettings[0]!.emitted);
    expect(seed.subscriptions.filter((s) => s.chainId === CORE_CHAIN_ID)).toHaveLength(10);
  });

  it('completes the alias handshake on both chains and sends notifications from channel, delegate and alias', async () => {
    const coreChain = devnetChain(devnet, 'core');
    const aliasChain = devnetChain(devnet, 'alias');
    const gamma = seed.channels.find((c) => c.key === 'gamma')!;

    const initiate = (await events(coreChain, coreChain.comm, comm.abi)).find(
      (e) => e.eventName === 'ChannelAlias',
    );
    expect(initiate!.args).toMatchObject({
      _chainID: BigInt(CORE_CHAIN_ID),
      _channelOwnerAddress: gamma.channel,
      _ethereumChannelAddress: `eip155:${ALIAS_CHAIN_ID}:${gamma.alias!.address}`,
    });
    const aliasEvents = await events(aliasChain, aliasChain.comm, comm.abi);
    const verify = aliasEvents.find((e) => e.eventName === 'ChannelAlias');
    expect(verify!.args).toMatchObject({
      _chainName: 'POLYGON_TEST_AMOY',
      _chainID: BigInt(ALIAS_CHAIN_ID),
      _channelOwnerAddress: gamma.alias!.address,
      _ethereumChannelAddress: `eip155:${CORE_CHAIN_ID}:${gamma.channel}`,
    });
    expect(aliasEvents.filter((e) => e.eventName === 'Subscribe')).toHaveLength(1);

    expect(seed.notifications).toHaveLength(3);
    for (const n of seed.notifications) {
      const chain = n.chainId === CORE_CHAIN_ID ? coreChain : aliasChain;
      const receipt = await client(chain).getTransactionReceipt({ hash: n.txHash });
      const decoded = decodeEventLog({
        abi: comm.abi,
        data: receipt.logs[0]!.data,
        topics: receipt.logs[0]!.topics as [Hex, ...Hex[]],
      }) as unknown as { eventName: string; args: { channel: Address; recipient: Address; identity: Hex } };
      expect(decoded.eventName).toBe('SendNotification');
      expect(decoded.args.channel).toBe(n.channel);
      expect(hexToString(decoded.args.identity)).toBe(n.identity);
      expect(n.identity).toMatch(/^0\+[13]\+[^+]+\+.+/);
    }
    expect(seed.notifications.map((n) => n.sender)).toEqual([
      seed.channels[0]!.channel,
      seed.channels[1]!.delegates[0],
      gamma.alias!.address,
    ]);
  });
});

describe('createDevnetChannel', () => {
  it('creates a channel for any key and refuses a second one for the same owner', async () => {
    const coreChain = devnetChain(devnet, 'core');
    const owner = devnet.accounts[11]!;
    const created = await createDevnetChannel({
      rpcUrl: coreChain.rpcUrl,
      privateKey: owner.privateKey,
      name: 'My dApp',
      info: 'Made with push-node devnet channel create',
      url: 'https://dapp.example',
      ipfs,
    });
    expect(created).toMatchObject({
      chainId: CORE_CHAIN_ID,
      channel: owner.address,
      identity: `1+${created.cid}`,
    });
    expect(created.caip).toBe(`eip155:${CORE_CHAIN_ID}:${owner.address}`);
    expect(JSON.parse(await (await fetch(`${ipfs.gatewayUrl}${created.cid}`)).text()).name).toBe('My dApp');

    await expect(
      createDevnetChannel({
        rpcUrl: coreChain.rpcUrl,
        privateKey: owner.privateKey,
        name: 'x',
        info: 'y',
        url: 'z',
        ipfs,
      }),
    ).rejects.toMatchObject({ code: 'PUSH_ERR_VALIDATION', field: 'privateKey' });
    // The alias chain has no Core.
    await expect(
      createDevnetChannel({
        rpcUrl: devnetChain(devnet, 'alias').rpcUrl,
        privateKey: devnet.accounts[12]!.privateKey,
        name: 'x',
        info: 'y',
        url: 'z',
        ipfs,
      }),
    ).rejects.toMatchObject({ code: 'PUSH_ERR_CHAIN_NOT_SUPPORTED' });
  });
});

describe('Devnet.stop', () => {
  it('stops both chains and leaves no hardhat process behind', async () => {
    const ports = devnet.chains.map((c) => new URL(c.rpcUrl).port);
    for (const port of ports) expect(processList()).toContain(`--port ${port} `);
    await devnet.stop();
    const after = processList();
    for (const port of ports) expect(after).not.toContain(`--port ${port} `);
  });
});
