import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRpcProxy } from '../../test/support/rpc-proxy.js';
import { type DevChain, startChain } from '../devnet/chain.js';
import { findFreePort } from '../devnet/free-port.js';
import { isPushError } from '../errors.js';
import { chainMetrics } from './metrics.js';
import { createRpcClient } from './rpc.js';
import { deployTestEmitters, type TestEmitters } from './testing/emitters.js';
import { captureLogs } from './testing/log-capture.js';

const CHAIN_ID = 31337;
let chain: DevChain;
let emitters: TestEmitters;

beforeAll(async () => {
  chain = await startChain({ chainId: CHAIN_ID });
  emitters = await deployTestEmitters(chain.rpcUrl);
  // A block with a log, so eth_getLogs has something to say.
  await emitters.call('comm', 'subscribe', [emitters.core, emitters.comm]);
});
afterAll(async () => {
  await chain?.stop();
});

const fast = { backoffBaseMs: 5, backoffMaxMs: 20, random: () => 0.5 };

async function expectCode(p: Promise<unknown>, code: string) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isPushError(err) ? err.code : err).toBe(code);
  return err;
}

describe('createRpcClient', () => {
  it('answers through a healthy endpoint and checks the chain id once', async () => {
    const proxy = await startRpcProxy({ target: chain.rpcUrl });
    try {
      const rpc = createRpcClient({ chainId: CHAIN_ID, urls: [proxy.url] });
      expect(await rpc.blockNumber()).toBeGreaterThanOrEqual(3);
      const b = await rpc.getBlock(1);
      expect(b).toMatchObject({ number: 1 });
      expect(b?.hash).toMatch(/^0x[0-9a-f]{64}$/);
      expect(await rpc.getBlock(10_000)).toBeNull();
      expect(proxy.stats.byMethod.eth_chainId).toBe(1);
      expect(rpc.endpoints()[0]).toMatchObject({ chainIdVerified: true, healthy: true });
    } finally {
      await proxy.close();
    }
  });

  it('fails over to the second URL when the first is down, and counts it', async () => {
    const deadPort = await findFreePort();
    const registry = new Registry();
    const metrics = chainMetrics(registry);
    const rpc = createRpcClient({
      chainId: CHAIN_ID,
      urls: [`http://127.0.0.1:${deadPort}`, chain.rpcUrl],
      metrics,
      ...fast,
    });
    for (let i = 0; i < 5; i++) expect(await rpc.blockNumber()).toBeGreaterThanOrEqual(3);
    const failovers = await registry.getSingleMetricAsString('push_node_rpc_failovers_total');
    expect(failovers).toMatch(/push_node_rpc_failovers_total\{chain_id="31337"\} [1-9]/);
    const [dead, live] = rpc.endpoints();
    expect(dead?.consecutiveFailures).toBeGreaterThan(0);
    expect(live?.chainIdVerified).toBe(true);
  });

  it('retries 5xx and connection resets until an answer comes', async () => {
    const proxy = await startRpcProxy({ target: chain.rpcUrl, failRate: 0.5, seed: 7 });
    try {
      const rpc = createRpcClient({ chainId: CHAIN_ID, urls: [proxy.url], maxAttempts: 20, ...fast });
      for (let i = 0; i < 20; i++) expect(await rpc.blockNumber()).toBeGreaterThanOrEqual(3);
      expect(proxy.stats.failed5xx + proxy.stats.resets).toBeGreaterThan(5);
    } finally {
      await proxy.close();
    }
  });

  it('waits as long as Retry-After says after a 429', async () => {
    const proxy = await startRpcProxy({ target: chain.rpcUrl, rateLimitRate: 1, retryAfterSeconds: 1 });
    try {
      const rpc = createRpcClient({ chainId: CHAIN_ID, urls: [proxy.url], ...fast });
      const started = Date.now();
      const p = rpc.blockNumber();
      setTimeout(() => proxy.set({ rateLimitRate: 0 }), 100);
      expect(await p).toBeGreaterThanOrEqual(3);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(proxy.stats.rateLimited).toBeGreaterThanOrEqual(1);
    } finally {
      await proxy.close();
    }
  });

  it('maps exhausted retries to stable codes', async () => {
    const limited = await startRpcProxy({ target: chain.rpcUrl, rateLimitRate: 1, retryAfterSeconds: 0 });
    const slow = await startRpcProxy({ target: chain.rpcUrl, latencyMs: 1_000 });
    const down = await startRpcProxy({ target: chain.rpcUrl, down: true });
    try {
      const opts = { chainId: CHAIN_ID, maxAttempts: 3, ...fast };
      await expectCode(
        createRpcClient({ ...opts, urls: [limited.url] }).blockNumber(),
        'PUSH_ERR_RPC_RATE_LIMITED',
      );
      await expectCode(
        createRpcClient({ ...opts, urls: [slow.url], timeoutMs: 100 }).blockNumber(),
        'PUSH_ERR_RPC_TIMEOUT',
      );
      const err = await expectCode(
        createRpcClient({ ...opts, urls: [down.url] }).blockNumber(),
        'PUSH_ERR_RPC_UNAVAILABLE',
      );
      // Details name hosts, never full URLs (which may hold API keys).
      expect(JSON.stringify(isPushError(err) && err.details)).not.toContain('http://');
      await expectCode(
        createRpcClient({ ...opts, urls: [chain.rpcUrl] }).request('eth_noSuchMethod'),
        'PUSH_ERR_RPC_ERROR',
      );
    } finally {
      await Promise.all([limited.close(), slow.close(), down.close()]);
    }
  });

  it('reads block headers in JSON-RPC batches, one by one where batches are refused', async () => {
    const batching = await startRpcProxy({ target: chain.rpcUrl });
    const refusing = await startRpcProxy({ target: chain.rpcUrl, noBatch: true });
    try {
      const a = createRpcClient({ chainId: CHAIN_ID, urls: [batching.url], maxBatchSize: 2, ...fast });
      const b = createRpcClient({ chainId: CHAIN_ID, urls: [refusing.url], ...fast });
      const numbers = [0, 1, 2, 99_999];
      const viaBatch = await a.getBlocks(numbers);
      expect(viaBatch.map((r) => r?.number ?? null)).toEqual([0, 1, 2, null]);
      expect(batching.stats.byMethod.eth_getBlockByNumber).toBe(4);
      expect(batching.stats.requests).toBe(3); // eth_chainId + two batches of two
      expect(await b.getBlocks(numbers)).toEqual(viaBatch);
      expect(await b.getBlocks(numbers)).toEqual(viaBatch);
      // One refused batch, then single calls only.
      expect(refusing.stats.requests).toBe(1 + 1 + 4 + 4);
    } finally {
      await Promise.all([batching.close(), refusing.close()]);
    }
  });

  it('refuses an endpoint that serves another chain', async () => {
    const proxy = await startRpcProxy({ target: chain.rpcUrl, fakeChainId: 1 });
    try {
      const rpc = createRpcClient({ chainId: CHAIN_ID, urls: [proxy.url], ...fast });
      const err = await expectCode(rpc.blockNumber(), 'PUSH_ERR_CHAIN_ID_MISMATCH');
      expect(isPushError(err) && err.details).toMatchObject({
        expected: CHAIN_ID,
        served: [{ chainId: 1 }],
      });
    } finally {
      await proxy.close();
    }
  });

  it('skips for good a URL that serves another chain when another one serves ours', async () => {
    const wrong = await startRpcProxy({ target: chain.rpcUrl, fakeChainId: 1 });
    const right = await startRpcProxy({ target: chain.rpcUrl });
    try {
      const rpc = createRpcClient({ chainId: CHAIN_ID, urls: [wrong.url, right.url], ...fast });
      expect(await rpc.blockNumber()).toBeGreaterThanOrEqual(0);
      expect(await rpc.blockNumber()).toBeGreaterThanOrEqual(0);
      expect(rpc.endpoints().map((e) => e.healthy)).toEqual([false, true]);
      // Asked once (its chain id), never again.
      expect(wrong.stats.requests).toBe(1);
    } finally {
      await Promise.all([wrong.close(), right.close()]);
    }
  });

  it('turns provider range errors and oversized responses into PUSH_ERR_RPC_RANGE_TOO_LARGE', async () => {
    const proxy = await startRpcProxy({ target: chain.rpcUrl, maxRange: 2 });
    try {
      const rpc = createRpcClient({ chainId: CHAIN_ID, urls: [proxy.url], ...fast });
      const filter = { address: [], topics: [] };
      const err = await expectCode(
        rpc.getLogs({ ...filter, fromBlock: 0, toBlock: 3 }),
        'PUSH_ERR_RPC_RANGE_TOO_LARGE',
      );
      expect(proxy.stats.byMethod.eth_getLogs).toBe(1); // not retried
      expect(isPushError(err) && err.message).toBe('block range is too wide');
      expect(await rpc.getLogs({ ...filter, fromBlock: 0, toBlock: 1 })).toEqual([]);
      // A response cap that eth_chainId fits under and one log does not.
      const tiny = createRpcClient({
        chainId: CHAIN_ID,
        urls: [chain.rpcUrl],
        maxResponseBytes: 100,
        ...fast,
      });
      const head = await tiny.blockNumber();
      const big = await expectCode(
        tiny.getLogs({ address: [emitters.comm], topics: [], fromBlock: 0, toBlock: head }),
        'PUSH_ERR_RPC_RANGE_TOO_LARGE',
      );
      expect(isPushError(big) && big.details).toMatchObject({ responseTooLarge: true });
    } finally {
      await proxy.close();
    }
  });
});

describe('RPC endpoint state in logs and metrics', () => {
  it('logs one warn (origin only, never the API key) when a URL among several is dead, and labels the metric by origin', async () => {
    const deadPort = await findFreePort();
    const registry = new Registry();
    const logs = captureLogs('debug');
    // Providers put API keys in the path or the query.
    const dead = `http://127.0.0.1:${deadPort}/v3/SECRETKEY123?apikey=SECRETQUERY456`;
    const rpc = createRpcClient({
      chainId: CHAIN_ID,
      urls: [dead, `${chain.rpcUrl}/v2/LIVEKEY789`],
      metrics: chainMetrics(registry),
      logger: logs.logger,
      ...fast,
    });
    for (let i = 0; i < 10; i++) {
      expect(await rpc.blockNumber()).toBeGreaterThanOrEqual(3);
      await new Promise((r) => setTimeout(r, 25));
    }
    const lines = logs.lines();
    // Before the fix: the dead URL was only ever reported at debug ('rpc retry').
    const warns = lines.filter((l) => l.level >= 40);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({
      endpoint: `http://127.0.0.1:${deadPort}`,
      kind: 'unavailable',
      otherEndpoints: 1,
    });
    const all = logs.raw.join('\n');
    expect(all).not.toMatch(/SECRETKEY123|SECRETQUERY456|LIVEKEY789/);
    const metric = await registry.getSingleMetricAsString('push_node_rpc_requests_total');
    expect(metric).toContain(`endpoint="http://127.0.0.1:${deadPort}"`);
    expect(metric).toContain(`endpoint="${new URL(chain.rpcUrl).origin}"`);
    expect(metric).toMatch(new RegExp(`endpoint="http://127.0.0.1:${deadPort}",?[^}]*\\} [1-9]`));
    expect(metric).not.toMatch(/SECRETKEY123|SECRETQUERY456|LIVEKEY789/);
  });

  it('logs recovery once at info, and at most one line per period for a flapping URL', async () => {
    const proxy = await startRpcProxy({ target: chain.rpcUrl });
    try {
      const logs = captureLogs('info');
      const rpc = createRpcClient({
        chainId: CHAIN_ID,
        urls: [`${proxy.url}/key/SECRETKEY123`],
        logger: logs.logger,
        maxAttempts: 2,
        endpointLogIntervalMs: 400,
        ...fast,
      });
      const flap = async () => {
        proxy.set({ down: true });
        await rpc.blockNumber().catch(() => {});
        proxy.set({ down: false });
        await new Promise((r) => setTimeout(r, 30));
        expect(await rpc.blockNumber()).toBeGreaterThanOrEqual(3);
      };
      expect(await rpc.blockNumber()).toBeGreaterThanOrEqual(3);
      // Five spells of failure within the period: one warn when it starts failing, one info when it recovers.
      for (let i = 0; i < 5; i++) await flap();
      const first = logs.lines().filter((l) => l.msg !== 'rpc request failed after retries');
      expect(first.map((l) => [l.level, l.msg])).toEqual([
        [40, 'RPC endpoint failing; retrying'],
        [30, 'RPC endpoint answers again'],
      ]);
      expect(first[0]).toMatchObject({ endpoint: proxy.url });
      // After the period, the next spell is logged again, with the count of the spells that went unlogged.
      await new Promise((r) => setTimeout(r, 450));
      await flap();
      const next = logs
        .lines()
        .filter((l) => l.msg !== 'rpc request failed after retries')
        .slice(2);
      expect(next.map((l) => [l.level, l.msg])).toEqual([
        [40, 'RPC endpoint failing; retrying'],
        [30, 'RPC endpoint answers again'],
      ]);
      expect(next[0]).toMatchObject({ unloggedFlaps: 4 });
      expect(logs.raw.join('\n')).not.toContain('SECRETKEY123');
    } finally {
      await proxy.close();
    }
  });

  it('reports an endpoint still failing after an unlogged flap once the period has passed', async () => {
    const proxy = await startRpcProxy({ target: chain.rpcUrl });
    try {
      const logs = captureLogs('info');
      const rpc = createRpcClient({
        chainId: CHAIN_ID,
        urls: [proxy.url],
        logger: logs.logger,
        maxAttempts: 2,
        endpointLogIntervalMs: 300,
        ...fast,
      });
      expect(await rpc.blockNumber()).toBeGreaterThanOrEqual(3);
      proxy.set({ down: true });
      await rpc.blockNumber().catch(() => {});
      proxy.set({ down: false });
      await new Promise((r) => setTimeout(r, 30));
      await rpc.blockNumber();
      // Down again within the period (unlogged), and it stays down: a later failure says so; no "answers again" last.
      proxy.set({ down: true });
      await rpc.blockNumber().catch(() => {});
      await new Promise((r) => setTimeout(r, 350));
      await rpc.blockNumber().catch(() => {});
      const lines = logs.lines().filter((l) => l.msg !== 'rpc request failed after retries');
      expect(lines.map((l) => l.msg)).toEqual([
        'RPC endpoint failing; retrying',
        'RPC endpoint answers again',
        'RPC endpoint failing; retrying',
      ]);
    } finally {
      await proxy.close();
    }
  });
});
