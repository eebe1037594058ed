import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestChain, type TestChain } from '../../src/chains/testing/chain.js';
import { startRpcProxy } from './rpc-proxy.js';
import { seededRandom } from './seeded-random.js';

let tc: TestChain;
beforeAll(async () => {
  tc = await startTestChain();
  await tc.emitters.call('comm', 'bulk', ['0x1111111111111111111111111111111111111111', 1n, 20n, 5n, '0x30']);
  await tc.mine(3);
});
afterAll(async () => {
  await tc?.stop();
});

async function post(
  url: string,
  body: unknown,
): Promise<{ status: number; headers: Headers; json: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
}

const call = (method: string, params: unknown[] = []) => ({ jsonrpc: '2.0', id: 1, method, params });
const allLogs = () =>
  call('eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', address: [tc.emitters.comm] }]);

describe('rpc proxy', () => {
  it('forwards single and batch requests unchanged when told to behave', async () => {
    const proxy = await startRpcProxy({ target: tc.chain.rpcUrl });
    try {
      expect((await post(proxy.url, call('eth_chainId'))).json).toMatchObject({ result: '0x7a69' });
      const batch = await post(proxy.url, [call('eth_chainId'), { ...call('eth_blockNumber'), id: 2 }]);
      expect(Array.isArray(batch.json) && batch.json).toHaveLength(2);
      expect(((await post(proxy.url, allLogs())).json as { result: unknown[] }).result).toHaveLength(25);
      expect(proxy.stats).toMatchObject({ requests: 3, forwarded: 3 });
    } finally {
      await proxy.close();
    }
  });

  it('caps eth_getLogs like providers do, with an optional suggested range', async () => {
    const proxy = await startRpcProxy({ target: tc.chain.rpcUrl, maxLogs: 10, maxRange: 1_000 });
    try {
      const capped = await post(proxy.url, allLogs());
      expect(capped.json).toMatchObject({
        error: { code: -32005, message: 'query returned more than 10 results' },
      });
      const wide = await post(proxy.url, call('eth_getLogs', [{ fromBlock: '0x0', toBlock: '0x7d0' }]));
      expect(wide.json).toMatchObject({ error: { message: 'block range is too wide' } });
      proxy.set({ suggestRange: true });
      const from = tc.emitters.startBlock;
      const suggested = await post(
        proxy.url,
        call('eth_getLogs', [
          { fromBlock: `0x${from.toString(16)}`, toBlock: 'latest', address: [tc.emitters.comm] },
        ]),
      );
      // All 25 logs sit in one block: the longest whole-block prefix under the cap is that block alone.
      expect((suggested.json as { error: { message: string } }).error.message).toBe(
        `query returned more than 10 results. Try with this block range [0x${from.toString(16)}, 0x${from.toString(16)}].`,
      );
      expect(proxy.stats).toMatchObject({ cappedResults: 2, cappedRange: 1 });
    } finally {
      await proxy.close();
    }
  });

  it('injects seeded failures, 429s with Retry-After, latency and outages', async () => {
    const outcomes = async (seed: number) => {
      const proxy = await startRpcProxy({
        target: tc.chain.rpcUrl,
        seed,
        failRate: 0.3,
        rateLimitRate: 0.2,
        retryAfterSeconds: 3,
      });
      const seen: string[] = [];
      try {
        for (let i = 0; i < 30; i++) {
          const r = await post(proxy.url, call('eth_blockNumber')).catch(() => null);
          if (!r) seen.push('reset');
          else if (r.status === 429) {
            expect(r.headers.get('retry-after')).toBe('3');
            seen.push('429');
          } else seen.push(String(r.status));
        }
        return { seen, stats: { ...proxy.stats } };
      } finally {
        await proxy.close();
      }
    };
    const a = await outcomes(5);
    const b = await outcomes(5);
    expect(a.seen).toEqual(b.seen);
    for (const o of a.seen) expect(['200', '429', 'reset', '502', '503']).toContain(o);
    expect(a.seen).toContain('200');
    expect(a.stats.rateLimited).toBeGreaterThan(0);
    expect(a.stats.failed5xx + a.stats.resets).toBeGreaterThan(0);

    const slow = await startRpcProxy({ target: tc.chain.rpcUrl, latencyMs: 150 });
    try {
      const t = Date.now();
      await post(slow.url, call('eth_chainId'));
      expect(Date.now() - t).toBeGreaterThanOrEqual(140);
      slow.set({ down: true });
      await expect(post(slow.url, call('eth_chainId'))).rejects.toThrow();
    } finally {
      await slow.close();
    }
  });

  it('seededRandom is deterministic and uniform enough', () => {
    const r1 = seededRandom(1);
    const r2 = seededRandom(1);
    const xs = Array.from({ length: 1000 }, () => r1());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => r2()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });
});
