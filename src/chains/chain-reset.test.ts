import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPushError } from '../errors.js';
import { createChainIndexer } from './indexer.js';
import { createMemorySink } from './memory-sink.js';
import { createRpcClient, type RpcClient } from './rpc.js';
import { startTestChain, type TestChain } from './testing/chain.js';
import { captureLogs } from './testing/log-capture.js';

/**
 * A chain reset under the store (a devnet restarted while the node kept its data dir): the RPC now serves a chain of
 * the same id whose head is far below the last indexed block. The follower took that for an endpoint that is behind
 * (a lagging endpoint looks the same by block numbers) and the chain stayed healthy until the new chain grew into the
 * unfinalised window and stopped it with PUSH_ERR_REORG_TOO_DEEP. A block above the head that is older than the head
 * proves another chain: an endpoint merely behind never has a head newer than an indexed block above it.
 */

let old: TestChain;
let fresh: TestChain;

beforeAll(async () => {
  old = await startTestChain();
  await old.mine(40);
});
afterAll(async () => {
  await Promise.all([old?.stop(), fresh?.stop()]);
});

/** An RPC client whose requests go to `target` (switchable): the node's URL now points at a restarted devnet. */
function switchable(first: RpcClient) {
  let target = first;
  const rpc: RpcClient = {
    chainId: first.chainId,
    request: (m, p, o) => target.request(m, p, o),
    blockNumber: (o) => target.blockNumber(o),
    requestBatch: (c, o) => target.requestBatch(c, o),
    getBlock: (t, o) => target.getBlock(t, o),
    getBlocks: (n, o) => target.getBlocks(n, o),
    getLogs: (f, o) => target.getLogs(f, o),
    endpoints: () => target.endpoints(),
  };
  return {
    rpc,
    point(next: RpcClient) {
      target = next;
    },
  };
}

describe('a chain reset under the store (devnet restarted, data dir kept)', () => {
  it('is unhealthy at once, says why once, and the later PUSH_ERR_REORG_TOO_DEEP says how to recover', async () => {
    const fast = { backoffBaseMs: 5, backoffMaxMs: 20 };
    const url = switchable(createRpcClient({ chainId: 31337, urls: [old.chain.rpcUrl], ...fast }));
    const logs = captureLogs('info');
    const registry = new Registry();
    const sink = createMemorySink();
    // blockTimeMs 1 s: a head that stops advancing is unhealthy after 10 s, far later than this test looks.
    const ix = createChainIndexer({
      spec: old.spec({ finalityDepth: 3, blockTimeMs: 1_000 }),
      sink,
      rpc: url.rpc,
      logger: logs.logger,
      registry,
      progress: 'off',
      pollMs: 25,
      retryBaseMs: 20,
    });
    await ix.start();
    const synced = await old.blockNumber();
    await ix.whenSynced(synced);
    expect(ix.status()).toMatchObject({ healthy: true, synced });

    // The devnet restarts: same chain id, a few blocks, mined after the old chain's (hardhat runs its clock ahead of
    // the wall clock when it mines fast, so the new chain's first block is given a later time explicitly).
    fresh = await startTestChain();
    const oldTip = await old.rpc<{ timestamp: string }>('eth_getBlockByNumber', ['latest', false]);
    await fresh.rpc('evm_mine', [Number.parseInt(oldTip.timestamp, 16) + 60]);
    expect(await fresh.blockNumber()).toBeLessThan(synced - 3);
    url.point(createRpcClient({ chainId: 31337, urls: [fresh.chain.rpcUrl], ...fast }));
    // Its head advances (a devnet mining on an interval): the head-age check alone stays satisfied.
    const miner = setInterval(() => void fresh.mine(1).catch(() => {}), 300);
    try {
      let status = ix.status();
      for (let i = 0; i < 60 && status.healthy; i++) {
        await new Promise((r) => setTimeout(r, 25));
        status = ix.status();
      }
      await new Promise((r) => setTimeout(r, 1_000));
      status = ix.status();
      // Before the fix: healthy, no error, for as long as the new chain stayed below the indexed window.
      expect(status).toMatchObject({ phase: 'live', healthy: false, synced });
      expect(status.error?.code).toBe('PUSH_ERR_REORG_TOO_DEEP');
      expect(status.error?.message).toMatch(/reset/);
      expect(await registry.getSingleMetricAsString('push_node_chain_healthy')).toMatch(
        /push_node_chain_healthy\{chain_id="31337"\} 0/,
      );
      const warns = logs.lines().filter((l) => l.level >= 40);
      expect(warns).toHaveLength(1);
      expect(warns[0]!.msg).toMatch(/reset under the store/);
      expect(warns[0]).toMatchObject({ synced, code: 'PUSH_ERR_REORG_TOO_DEEP' });
      expect(String(warns[0]!.hint)).toMatch(/fresh data dir/);
      expect(sink.stats.rollbacks).toBe(0);
    } finally {
      clearInterval(miner);
    }

    // The new chain grows into the indexed window: the chain stops, and the error says how to recover.
    await fresh.mine(synced - (await fresh.blockNumber()) + 1);
    const err = await ix.whenSynced(await fresh.blockNumber()).catch((e: unknown) => e);
    expect(isPushError(err, 'PUSH_ERR_REORG_TOO_DEEP')).toBe(true);
    // Before the fix: "Raise finalityDepth for this chain, …" only, which does not help after a devnet restart.
    expect(isPushError(err) && err.hint).toMatch(/fresh data dir \(dataDir\) or an empty database/);
    expect(isPushError(err) && err.hint).toMatch(/raise finalityDepth/);
    expect(ix.status()).toMatchObject({ phase: 'failed', healthy: false });
    await ix.stop();
  }, 120_000);

  it('is not confused with an endpoint that is behind the indexed block on the same chain', async () => {
    const inner = createRpcClient({ chainId: 31337, urls: [old.chain.rpcUrl] });
    let lagTop: number | null = null;
    // A node `lag` blocks behind: its head is a real block of the same chain, and it has nothing above it.
    const rpc: RpcClient = {
      ...inner,
      async getBlock(tag, opts) {
        if (lagTop !== null) {
          if (tag === 'latest' || tag === 'finalized') return inner.getBlock(lagTop, opts);
          if (tag > lagTop) return null;
        }
        return inner.getBlock(tag, opts);
      },
      async getBlocks(numbers, opts) {
        const out = await inner.getBlocks(numbers, opts);
        return out.map((b, i) => (lagTop !== null && numbers[i]! > lagTop ? null : b));
      },
    };
    const logs = captureLogs('info');
    const ix = createChainIndexer({
      spec: old.spec({ finalityDepth: 3, blockTimeMs: 1_000 }),
      sink: createMemorySink(),
      rpc,
      logger: logs.logger,
      registry: new Registry(),
      progress: 'off',
      pollMs: 25,
      retryBaseMs: 20,
    });
    await ix.start();
    await old.mine(2);
    const synced = await old.blockNumber();
    await ix.whenSynced(synced);
    // Far below the unfinalised window, like a restarted devnet by numbers, but older than everything indexed above.
    lagTop = synced - 20;
    await new Promise((r) => setTimeout(r, 1_000));
    const status = ix.status();
    lagTop = null;
    await ix.stop();
    expect(status).toMatchObject({ phase: 'live', healthy: true, head: synced - 20, synced });
    expect(status.error).toBeUndefined();
    expect(logs.lines().filter((l) => l.level >= 40)).toEqual([]);
  }, 60_000);
});
