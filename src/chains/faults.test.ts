import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRpcProxy } from '../../test/support/rpc-proxy.js';
import { seededRandom } from '../../test/support/seeded-random.js';
import { pushError } from '../errors.js';
import { createChainIndexer } from './indexer.js';
import { createMemorySink } from './memory-sink.js';
import { startTestChain, type TestChain } from './testing/chain.js';
import { referenceIndex } from './testing/reference.js';
import type { ChainBatch, ChainLog, ChainSink } from './types.js';

const CH = '0x1111111111111111111111111111111111111111';
const silent = pino({ level: 'silent' });
let tc: TestChain;
let expected: ChainLog[];
let head: number;

beforeAll(async () => {
  tc = await startTestChain();
  // 60 blocks with a seeded mix: empty blocks, small ones and dense ones (up to 600 logs).
  const random = seededRandom(2024);
  for (let i = 0; i < 60; i++) {
    const r = random();
    if (r < 0.3) await tc.mine(1);
    else if (r < 0.85)
      await tc.emitters.call('comm', 'bulk', [
        CH,
        BigInt(i),
        BigInt(Math.floor(random() * 20)),
        2n,
        '0x302b',
      ]);
    else await tc.emitters.call('comm', 'bulk', [CH, BigInt(i), 450n, 150n, '0x302b332b542b42']);
  }
  await tc.emitters.call('core', 'updateChannelV2', [CH, '0x312b516d42', 1n]);
  await tc.mine(3);
  head = await tc.blockNumber();
  expected = await referenceIndex({
    rpcUrl: tc.chain.rpcUrl,
    chainId: 31337,
    core: tc.emitters.core,
    comm: tc.emitters.comm,
    fromBlock: tc.emitters.startBlock,
    toBlock: head,
  });
});
afterAll(async () => {
  await tc?.stop();
});

/**
 * A sink that dies at its k-th apply, like a process killed mid-backfill: either before the transaction commits or
 * right after it (the commit happened, the process never learnt it). From then on every call fails.
 */
function crashingSink(inner: ChainSink, crashAt: number, afterCommit: boolean) {
  let applies = 0;
  let dead = false;
  const crashed = () => pushError('PUSH_ERR_DB_UNREACHABLE', 'process killed');
  const sink: ChainSink = {
    async getCursor(chainId) {
      if (dead) throw crashed();
      return inner.getCursor(chainId);
    },
    async apply(chainId, batch: ChainBatch) {
      if (dead) throw crashed();
      if (++applies === crashAt) {
        dead = true;
        if (afterCommit) await inner.apply(chainId, batch);
        throw crashed();
      }
      return inner.apply(chainId, batch);
    },
    async rollback(chainId, toBlock) {
      if (dead) throw crashed();
      return inner.rollback(chainId, toBlock);
    },
  };
  return { sink, isDead: () => dead };
}

describe('faults', () => {
  it('loses and duplicates nothing when killed mid-backfill at a random batch and restarted', {
    timeout: 60_000,
  }, async () => {
    const random = seededRandom(7);
    for (const afterCommit of [false, true]) {
      const inner = createMemorySink();
      const crashAt = 2 + Math.floor(random() * 12);
      const { sink, isDead } = crashingSink(inner, crashAt, afterCommit);
      const spec = tc.spec({ maxBlockRange: 4, finalityDepth: 2 });
      const first = createChainIndexer({
        spec,
        sink,
        logger: silent,
        retryBaseMs: 10,
        initialRange: 4,
        progress: 'off',
      });
      await first.start();
      for (let i = 0; i < 400 && !isDead(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(isDead()).toBe(true);
      await first.stop();
      const cursorAfterCrash = inner.cursor(31337)?.block ?? -1;
      expect(cursorAfterCrash).toBeLessThan(head);

      const second = createChainIndexer({
        spec,
        sink: inner,
        logger: silent,
        initialRange: 4,
        progress: 'off',
      });
      await second.start();
      await second.whenSynced(head);
      await second.stop();
      expect(inner.logs(31337)).toEqual(expected);
      expect(inner.stats).toMatchObject({ duplicates: 0, discontinuities: 0 });
    }
  });

  it('stays exact through 5% failures, 429s with Retry-After and a 1,000-log cap', {
    timeout: 90_000,
  }, async () => {
    const proxy = await startRpcProxy({
      target: tc.chain.rpcUrl,
      seed: 99,
      failRate: 0.05,
      rateLimitRate: 0.03,
      // The seeded draws depend on request timing; these make sure each kind of fault happens in every run.
      failSchedule: { first: 3, every: 20 },
      rateLimitSchedule: { first: 5, every: 33 },
      retryAfterSeconds: 1,
      maxLogs: 1_000,
      latencyMs: 1,
      latencyJitterMs: 4,
    });
    try {
      const sink = createMemorySink();
      const registry = new Registry();
      const ix = createChainIndexer({
        spec: tc.spec({ rpcUrls: [proxy.url], finalityDepth: 2 }),
        sink,
        logger: silent,
        registry,
        rpcOptions: { backoffBaseMs: 20, maxAttempts: 12 },
        retryBaseMs: 50,
        initialRange: 64,
        progress: 'off',
      });
      await ix.start();
      await ix.whenSynced(head);
      await ix.stop();
      expect(sink.logs(31337)).toEqual(expected);
      expect(sink.stats).toMatchObject({ duplicates: 0, discontinuities: 0 });
      expect(proxy.stats.cappedResults).toBeGreaterThan(0);
      expect(proxy.stats.failed5xx + proxy.stats.resets).toBeGreaterThan(0);
      expect(proxy.stats.rateLimited).toBeGreaterThan(0);
      const rpcMetrics = await registry.getSingleMetricAsString('push_node_rpc_requests_total');
      expect(rpcMetrics).toContain('outcome="rate-limited"');
    } finally {
      await proxy.close();
    }
  });
});
