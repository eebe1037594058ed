/**
 * Chain-reset detection (indexer.ts checkReset / follow.ts contradictedBy) on a healthy chain: a reorg to a SHORTER
 * branch (fewer blocks, the new tip mined later: a PoS fork that skipped slots, a hardhat evm_revert + evm_mine) has a
 * head below `synced` that is newer than the orphaned blocks above it. It is a reorg, handled as one — not "the chain
 * was reset under the store", which would report the chain unhealthy and advise wiping the data dir.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChainIndexer } from './indexer.js';
import { createMemorySink } from './memory-sink.js';
import { startTestChain, type TestChain } from './testing/chain.js';
import { captureLogs } from './testing/log-capture.js';

let chain: TestChain;
beforeAll(async () => {
  chain = await startTestChain();
  await chain.mine(10);
}, 60_000);
afterAll(async () => {
  await chain?.stop();
});

describe('chain-reset detection on a healthy chain', () => {
  it('a 2-block reorg to a shorter branch is a reorg, not a "chain reset under the store"', async () => {
    const logs = captureLogs('info');
    const sink = createMemorySink();
    const ix = createChainIndexer({
      spec: chain.spec({ finalityDepth: 5, blockTimeMs: 1_000 }),
      sink,
      logger: logs.logger,
      registry: new Registry(),
      progress: 'off',
      pollMs: 25,
      retryBaseMs: 20,
    });
    await ix.start();
    try {
      const snap = await chain.rpc<string>('evm_snapshot');
      const fork = await chain.blockNumber();
      await chain.mine(3);
      const synced = await chain.blockNumber();
      await ix.whenSynced(synced);
      const tip = await chain.rpc<{ timestamp: string }>('eth_getBlockByNumber', ['latest', false]);
      // The canonical branch becomes one block on top of the fork point, mined later (fewer, later blocks).
      await chain.rpc('evm_revert', [snap]);
      await chain.rpc('evm_mine', [Number.parseInt(tip.timestamp, 16) + 12]);
      expect(await chain.blockNumber()).toBe(fork + 1);
      const seen: { healthy: boolean; code?: string }[] = [];
      for (let i = 0; i < 60; i++) {
        const s = ix.status();
        seen.push({ healthy: s.healthy, ...(s.error ? { code: s.error.code } : {}) });
        await new Promise((r) => setTimeout(r, 25));
      }
      // The reorg itself is handled (rolled back to the fork point, new block applied).
      expect(sink.stats.rollbacks).toBeGreaterThan(0);
      const resetLines = logs.lines().filter((l) => /reset under the store/.test(l.msg));
      expect(resetLines, 'a routine reorg was logged as a chain reset').toEqual([]);
      expect(seen.filter((s) => s.code === 'PUSH_ERR_REORG_TOO_DEEP')).toEqual([]);
    } finally {
      await ix.stop();
    }
  }, 60_000);
});
