import pino from 'pino';
import { Registry } from 'prom-client';
import { toHex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../devnet/free-port.js';
import { isPushError } from '../errors.js';
import { createChainIndexer, createMultiChainIndexer } from './indexer.js';
import { createMemorySink } from './memory-sink.js';
import { startTestChain, type TestChain } from './testing/chain.js';
import { referenceIndex } from './testing/reference.js';
import type { ChainLog, ChainSpec } from './types.js';

const CH = '0x1111111111111111111111111111111111111111';
const U1 = '0x2222222222222222222222222222222222222222';
const U2 = '0x3333333333333333333333333333333333333333';
const ZERO = '0x0000000000000000000000000000000000000000';
const silent = pino({ level: 'silent' });

let tc: TestChain;

async function until(cond: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Emits every Core and Comm event once (both UpdateChannel layouts), plus events the indexer must not ask for. */
async function emitEverything(t: TestChain) {
  const e = t.emitters;
  await e.call('core', 'addChannel', [CH, 2, toHex('1+bafkreiabc')]);
  await e.call('core', 'updateChannelV1', [CH, toHex('1+QmV1')]);
  await e.call('core', 'updateChannelV2', [CH, toHex('1+QmV2'), 50n * 10n ** 18n]);
  await e.call('core', 'channelVerified', [CH, U1]);
  await e.call('core', 'channelVerificationRevoked', [CH, U1]);
  await e.call('core', 'deactivateChannel', [CH, 40n]);
  await e.call('core', 'reactivateChannel', [CH, 50n]);
  await e.call('core', 'channelBlocked', [CH]);
  await e.call('core', 'settingsAdded', [CH, 2n, '2+1-1+2-1-50-0-100-1', 'Alerts+Threshold']);
  await e.call('core', 'addSubGraph', [CH, toHex('60+org/subgraph')]);
  await e.call('core', 'timeBoundDestroyed', [CH, 7n]);
  await e.call('core', 'ownershipTransfer', [CH, U2]);
  await e.call('core', 'chatReqReceived', [U1, U2, 9n, 1n, 1_700_000_000n]);
  await e.call('core', 'chatIncentiveClaimed', [U1, 9n]);
  await e.call('core', 'paused', [U1]);
  await e.call('core', 'unpaused', [U1]);
  // Staking: declared, not indexed.
  await e.call('core', 'staked', [U1, 1n]);
  await e.call('core', 'rewardsHarvested', [U1, 1n, 2n, 3n]);
  await e.call('comm', 'sendNotification', [CH, U1, toHex('0+3+Title+Body')]);
  await e.call('comm', 'sendNotification', [ZERO, U1, '0xc3286d']); // invalid UTF-8
  await e.call('comm', 'subscribe', [CH, U1]);
  await e.call('comm', 'unsubscribe', [CH, U1]);
  await e.call('comm', 'addDelegate', [CH, U2]);
  await e.call('comm', 'removeDelegate', [CH, U2]);
  await e.call('comm', 'userSettings', [CH, U1, 2n, '2+1-1+2-1-75']);
  await e.call('comm', 'publicKey', [U1, '0x04abcdef']);
  await e.call('comm', 'channelAlias', [
    'ETH_TEST_SEPOLIA',
    80002n,
    CH,
    'eip155:80002:0x4444444444444444444444444444444444444444',
  ]);
  await e.call('comm', 'chatReqInitiated', [U1, U2, 10n, 1_700_000_001n]);
  await e.call('comm', 'removeChannelAlias', [
    'ETH_TEST_SEPOLIA',
    80002n,
    CH,
    'eip155:80002:0x4444444444444444444444444444444444444444',
  ]);
  await e.call('comm', 'upgraded', [U2]); // not a Push event
  await e.call('comm', 'bulk', [CH, 5n, 30n, 10n, toHex('3+graph:a/b+7')]); // many logs in one tx
}

async function reference(t: TestChain, toBlock?: number): Promise<ChainLog[]> {
  return referenceIndex({
    rpcUrl: t.chain.rpcUrl,
    chainId: t.chain.chainId,
    core: t.emitters.core,
    comm: t.emitters.comm,
    fromBlock: t.emitters.startBlock,
    toBlock: toBlock ?? (await t.blockNumber()),
  });
}

beforeAll(async () => {
  tc = await startTestChain();
  await emitEverything(tc);
  await tc.mine(5);
});
afterAll(async () => {
  await tc?.stop();
});

describe('chain indexer (hardhat)', () => {
  it('backfills every event type, decoded, equal to a from-scratch index', async () => {
    const sink = createMemorySink();
    const registry = new Registry();
    const ix = createChainIndexer({ spec: tc.spec(), sink, logger: silent, registry, progress: 'off' });
    await ix.start();
    await ix.whenSynced();
    const got = sink.logs(31337);
    expect(got).toEqual(await reference(tc));
    expect(sink.stats).toMatchObject({ duplicates: 0, discontinuities: 0 });

    const names = new Set(got.map((l) => `${l.contract}:${l.event}`));
    for (const n of [
      'core:AddChannel',
      'core:UpdateChannel',
      'core:ChannelVerified',
      'core:ChannelVerificationRevoked',
      'core:DeactivateChannel',
      'core:ReactivateChannel',
      'core:ChannelBlocked',
      'core:ChannelNotifcationSettingsAdded',
      'core:AddSubGraph',
      'core:TimeBoundChannelDestroyed',
      'core:ChannelOwnershipTransfer',
      'core:IncentivizeChatReqReceived',
      'core:ChatIncentiveClaimed',
      'core:Paused',
      'core:Unpaused',
      'comm:SendNotification',
      'comm:Subscribe',
      'comm:Unsubscribe',
      'comm:AddDelegate',
      'comm:RemoveDelegate',
      'comm:UserNotifcationSettingsAdded',
      'comm:PublicKeyRegistered',
      'comm:ChannelAlias',
      'comm:IncentivizeChatReqInitiated',
      'comm:RemoveChannelAlias',
    ]) {
      expect(names, n).toContain(n);
    }
    expect(names).not.toContain('core:Staked');
    expect(names).not.toContain('core:RewardsHarvested');
    expect(
      got.some((l) => l.topic0 === '0xbc7cd75a20ee27fd9adebab32041f755214dbc6bffa90cc0225b39da2e5c2d3b'),
    ).toBe(false);

    const by = (event: string) => got.filter((l) => l.event === event);
    expect(by('UpdateChannel').map((l) => l.args)).toEqual([
      { channel: CH, identity: '1+QmV1' },
      { channel: CH, identity: '1+QmV2', amountDeposited: 50n * 10n ** 18n },
    ]);
    expect(by('AddChannel')[0]?.args).toEqual({ channel: CH, channelType: 2n, identity: '1+bafkreiabc' });
    expect(by('SendNotification')[1]?.args).toMatchObject({ channel: ZERO, identity: '\uFFFD(m' });
    expect(by('ChannelNotifcationSettingsAdded')[0]?.args).toEqual({
      _channel: CH,
      totalNotifOptions: 2n,
      _notifSettings: '2+1-1+2-1-50-0-100-1',
      _notifDescription: 'Alerts+Threshold',
    });
    expect(by('PublicKeyRegistered')[0]?.args).toEqual({ owner: U1, publickey: '0x04abcdef' });
    expect(by('ChannelAlias')[0]?.args).toMatchObject({ _chainID: 80002n, _channelOwnerAddress: CH });
    const bulkTx = by('SendNotification').at(-1)!.txHash;
    expect(got.filter((l) => l.txHash === bulkTx)).toHaveLength(40);
    expect(got.every((l) => l.timestamp > 1_600_000_000)).toBe(true);

    const metrics = await registry.metrics();
    expect(metrics).toMatch(
      /push_node_chain_events_total\{chain_id="31337",contract="comm",event="Subscribe"\} 11/,
    );
    expect(metrics).toMatch(/push_node_chain_synced_block\{chain_id="31337"\} \d+/);
    expect(ix.status()).toMatchObject({ chainId: 31337, phase: 'live', healthy: true });
    expect(ix.status().error).toBeUndefined();
    await ix.stop();
    expect(ix.status().phase).toBe('stopped');
  });

  it('follows new heads over WebSocket', async () => {
    const sink = createMemorySink();
    // Slow block time and polling: only the WebSocket can make this fast.
    const ix = createChainIndexer({
      spec: tc.spec({ wsUrls: [tc.chain.wsUrl], blockTimeMs: 15_000 }),
      sink,
      logger: silent,
      pollMs: 60_000,
      progress: 'off',
    });
    await ix.start();
    await ix.whenSynced();
    await until(() => ix.status().headSource === 'websocket');
    const started = Date.now();
    await tc.emitters.call('comm', 'subscribe', [CH, U2]);
    const head = await tc.blockNumber();
    await ix.whenSynced(head);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(sink.logs(31337)).toEqual(await reference(tc, head));
    await ix.stop();
  });

  it('follows by polling without WebSocket, and reports an idle chain unhealthy', async () => {
    const sink = createMemorySink();
    const registry = new Registry();
    const ix = createChainIndexer({
      spec: tc.spec({ blockTimeMs: 200 }),
      sink,
      logger: silent,
      registry,
      staleAfterBlocks: 3,
      progress: 'off',
    });
    await ix.start();
    await ix.whenSynced();
    await tc.emitters.call('comm', 'subscribe', [CH, U1]);
    const head = await tc.blockNumber();
    await ix.whenSynced(head);
    expect(sink.logs(31337)).toEqual(await reference(tc, head));
    await until(() => ix.status().healthy);
    // No new block for more than 3 block times: unhealthy, with the metric saying so.
    await until(() => !ix.status().healthy);
    expect(await registry.getSingleMetricAsString('push_node_chain_healthy')).toContain('} 0');
    await tc.mine(1);
    await ix.whenSynced(head + 1);
    await until(() => ix.status().healthy);
    await ix.stop();
  });

  it('falls back to polling when the WebSocket URL is dead', async () => {
    const sink = createMemorySink();
    const deadWs = `ws://127.0.0.1:${await findFreePort()}`;
    const ix = createChainIndexer({
      spec: tc.spec({ wsUrls: [deadWs], blockTimeMs: 200 }),
      sink,
      logger: silent,
      pollMs: 50,
      progress: 'off',
    });
    await ix.start();
    await ix.whenSynced();
    expect(ix.status().headSource).toBe('polling');
    await tc.emitters.call('comm', 'unsubscribe', [CH, U2]);
    const head = await tc.blockNumber();
    await ix.whenSynced(head);
    expect(sink.logs(31337)).toEqual(await reference(tc, head));
    await ix.stop();
  });

  it('fails over to the second RPC URL when the first is down', async () => {
    const dead = `http://127.0.0.1:${await findFreePort()}`;
    const sink = createMemorySink();
    const ix = createChainIndexer({
      spec: tc.spec({ rpcUrls: [dead, tc.chain.rpcUrl] }),
      sink,
      logger: silent,
      rpcOptions: { backoffBaseMs: 10 },
      progress: 'off',
    });
    await ix.start();
    await ix.whenSynced();
    expect(sink.logs(31337)).toEqual(await reference(tc, ix.status().synced!));
    await ix.stop();
  });

  it('refuses to start against an RPC of another chain', async () => {
    const ix = createChainIndexer({
      spec: tc.spec({ chainId: 5 }),
      sink: createMemorySink(),
      logger: silent,
    });
    const err = await ix.start().catch((e: unknown) => e);
    expect(isPushError(err, 'PUSH_ERR_CHAIN_ID_MISMATCH')).toBe(true);
    expect(ix.status()).toMatchObject({
      phase: 'failed',
      healthy: false,
      error: { code: 'PUSH_ERR_CHAIN_ID_MISMATCH' },
    });
    await ix.stop();
  });

  it('indexes several chains into one sink', async () => {
    const other = await startTestChain({ chainId: 80002 });
    try {
      await other.emitters.call('comm', 'subscribe', [CH, U1]);
      const sink = createMemorySink();
      const specs: ChainSpec[] = [tc.spec(), other.spec({ core: undefined })];
      const multi = createMultiChainIndexer(specs, { sink, logger: silent, registry: new Registry() });
      await multi.start();
      await Promise.all([multi.chain(31337)!.whenSynced(), multi.chain(80002)!.whenSynced()]);
      expect(multi.status().map((s) => [s.chainId, s.phase])).toEqual([
        [31337, 'live'],
        [80002, 'live'],
      ]);
      const otherLogs = sink.logs(80002);
      expect(otherLogs.map((l) => [l.chainId, l.event])).toEqual([[80002, 'Subscribe']]);
      expect(sink.logs(31337).length).toBeGreaterThan(60);
      await multi.stop();
      expect(() => createMultiChainIndexer([tc.spec(), tc.spec()], { sink })).toThrow(/configured twice/);
    } finally {
      await other.stop();
    }
  });
});
