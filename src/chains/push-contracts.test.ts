import pino from 'pino';
import { type Address, stringToHex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPushArtifacts } from '../contracts/artifacts.js';
import { type DevChain, deployPush, devnetAccounts, sendContractCall, startChain } from '../devnet/index.js';
import { createChainIndexer } from './indexer.js';
import { createMemorySink } from './memory-sink.js';
import { referenceIndex } from './testing/reference.js';

// The devnet's own contracts (src/contracts) at the SDK's local addresses: the indexer reads what the node will read.
const CORE: Address = '0x5ab1520e2bd519bdab2e1347eee81c00a77f4946';
const COMM: Address = '0x9dDCD7ed7151afab43044E4D694FA064742C428c';
const accounts = devnetAccounts();
const admin = accounts[0]!;
const channel = accounts[1]!;
let chain: DevChain;
let startBlock: number;

beforeAll(async () => {
  chain = await startChain({ chainId: 11155111 });
  ({ startBlock } = await deployPush(chain, { core: CORE, comm: COMM, admin: admin.address }));
  const { core, comm } = await loadPushArtifacts();
  await sendContractCall(chain, channel.privateKey, {
    address: CORE,
    abi: core.abi,
    functionName: 'createChannel',
    args: [2, stringToHex('1+bafkreichannel')],
  });
  await sendContractCall(chain, channel.privateKey, {
    address: CORE,
    abi: core.abi,
    functionName: 'updateChannelMetaV1',
    args: [stringToHex('1+bafkreiv1')],
  });
  await sendContractCall(chain, channel.privateKey, {
    address: CORE,
    abi: core.abi,
    functionName: 'updateChannelMeta',
    args: [stringToHex('1+bafkreiv2')],
  });
  await sendContractCall(chain, channel.privateKey, {
    address: COMM,
    abi: comm.abi,
    functionName: 'sendNotification',
    args: [channel.address, accounts[5]!.address, stringToHex('0+3+Hello+World')],
  });
}, 120_000);
afterAll(async () => {
  await chain?.stop();
});

describe('indexing the devnet Push contracts', () => {
  it('keeps AddChannel and the Comm Subscribe logs of one transaction in log order', async () => {
    const sink = createMemorySink();
    const ix = createChainIndexer({
      spec: {
        chainId: 11155111,
        name: 'sepolia-devnet',
        rpcUrls: [chain.rpcUrl],
        wsUrls: [],
        core: CORE,
        comm: COMM,
        startBlock,
        finalityDepth: 2,
        blockTimeMs: 1_000,
      },
      sink,
      logger: pino({ level: 'silent' }),
      progress: 'off',
    });
    await ix.start();
    await ix.whenSynced();
    await ix.stop();
    const logs = sink.logs(11155111);
    const head = ix.status().synced!;
    expect(logs).toEqual(
      await referenceIndex({
        rpcUrl: chain.rpcUrl,
        chainId: 11155111,
        core: CORE,
        comm: COMM,
        fromBlock: startBlock,
        toBlock: head,
      }),
    );
    const ch = channel.address.toLowerCase();
    const createTx = logs.find((l) => l.event === 'AddChannel')!.txHash;
    const inTx = logs.filter((l) => l.txHash === createTx);
    expect(inTx.map((l) => `${l.contract}:${l.event}`)).toEqual([
      'core:AddChannel',
      'comm:Subscribe',
      'comm:Subscribe',
      'comm:Subscribe',
    ]);
    expect(inTx.map((l) => l.args)).toEqual([
      { channel: ch, channelType: 2n, identity: '1+bafkreichannel' },
      { channel: ch, user: ch },
      { channel: '0x0000000000000000000000000000000000000000', user: ch },
      { channel: ch, user: admin.address.toLowerCase() },
    ]);
    const updates = logs.filter((l) => l.event === 'UpdateChannel');
    expect(updates.map((l) => l.args.identity)).toEqual(['1+bafkreiv1', '1+bafkreiv2']);
    expect(updates[0]!.args).not.toHaveProperty('amountDeposited');
    expect(typeof updates[1]!.args.amountDeposited).toBe('bigint');
    expect(logs.find((l) => l.event === 'SendNotification')?.args).toEqual({
      channel: ch,
      recipient: accounts[5]!.address.toLowerCase(),
      identity: '0+3+Hello+World',
    });
  });
});
