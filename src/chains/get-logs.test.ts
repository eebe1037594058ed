import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRpcProxy } from '../../test/support/rpc-proxy.js';
import { isPushError } from '../errors.js';
import { indexedTopics } from './abi.js';
import { createLogFetcher } from './get-logs.js';
import { createRpcClient } from './rpc.js';
import { startTestChain, type TestChain } from './testing/chain.js';
import type { Hex, RawLog } from './types.js';

let tc: TestChain;
let head: number;
const CHANNEL = '0x1111111111111111111111111111111111111111';

beforeAll(async () => {
  tc = await startTestChain();
  // 8 blocks of 120 logs, with empty blocks between them, then one block of 400.
  for (let i = 0; i < 8; i++) {
    await tc.emitters.call('comm', 'bulk', [CHANNEL, BigInt(i), 100n, 20n, '0x302b']);
    await tc.mine(2);
  }
  await tc.emitters.call('comm', 'bulk', [CHANNEL, 99n, 300n, 100n, '0x302b']);
  head = await tc.blockNumber();
});
afterAll(async () => {
  await tc?.stop();
});

const key = (l: RawLog) => `${l.blockHash}:${l.logIndex}`;

async function direct(from: number, to: number): Promise<string[]> {
  const logs = await tc.rpc<RawLog[]>('eth_getLogs', [
    {
      fromBlock: `0x${from.toString(16)}`,
      toBlock: `0x${to.toString(16)}`,
      address: [tc.emitters.core, tc.emitters.comm],
      topics: [indexedTopics()],
    },
  ]);
  return logs.map(key);
}

function fetcherFor(
  url: string,
  opts: { initialRange?: number; maxRange?: number; targetLogs?: number } = {},
) {
  const rpc = createRpcClient({ chainId: 31337, urls: [url], backoffBaseMs: 5 });
  return createLogFetcher({
    rpc,
    addresses: [tc.emitters.core, tc.emitters.comm] as Hex[],
    topics: indexedTopics(),
    ...opts,
  });
}

describe('adaptive eth_getLogs', () => {
  it('splits ranges refused for too many results and still returns every log in order', async () => {
    const proxy = await startRpcProxy({ target: tc.chain.rpcUrl, maxLogs: 450 });
    try {
      const f = fetcherFor(proxy.url, { initialRange: 1_000 });
      const logs = await f.getLogs(tc.emitters.startBlock, head);
      expect(logs.map(key)).toEqual(await direct(tc.emitters.startBlock, head));
      expect(logs).toHaveLength(8 * 120 + 400);
      expect(proxy.stats.cappedResults).toBeGreaterThan(0);
      expect(f.rangeSize()).toBeLessThan(1_000);
    } finally {
      await proxy.close();
    }
  });

  it('uses the range a provider suggests', async () => {
    const plain = await startRpcProxy({ target: tc.chain.rpcUrl, maxLogs: 450 });
    const suggesting = await startRpcProxy({ target: tc.chain.rpcUrl, maxLogs: 450, suggestRange: true });
    try {
      const a = await fetcherFor(plain.url, { initialRange: 1_000 }).getLogs(
        tc.emitters.startBlock,
        head - 1,
      );
      const b = await fetcherFor(suggesting.url, { initialRange: 1_000 }).getLogs(
        tc.emitters.startBlock,
        head - 1,
      );
      expect(b.map(key)).toEqual(a.map(key));
      expect(suggesting.stats.cappedResults).toBeLessThan(plain.stats.cappedResults);
    } finally {
      await Promise.all([plain.close(), suggesting.close()]);
    }
  });

  it('halves on "block range is too wide" and learns a stated block-range cap', async () => {
    const wide = await startRpcProxy({ target: tc.chain.rpcUrl, maxRange: 5 });
    const stated = await startRpcProxy({
      target: tc.chain.rpcUrl,
      maxRange: 4,
      rangeMessage: 'eth_getLogs is limited to a 4 range',
    });
    try {
      const expected = await direct(tc.emitters.startBlock, head);
      expect((await fetcherFor(wide.url).getLogs(tc.emitters.startBlock, head)).map(key)).toEqual(expected);
      const f = fetcherFor(stated.url, { initialRange: 100 });
      expect((await f.getLogs(tc.emitters.startBlock, head)).map(key)).toEqual(expected);
      expect(f.rangeSize()).toBeLessThanOrEqual(4);
      const refusedOnce = stated.stats.cappedRange;
      // Planned ranges now respect the cap: no more refusals.
      let from = tc.emitters.startBlock;
      while (from <= head) {
        const to = Math.min(head, from + f.rangeSize() - 1);
        await f.getLogs(from, to);
        from = to + 1;
      }
      expect(stated.stats.cappedRange).toBe(refusedOnce);
    } finally {
      await Promise.all([wide.close(), stated.close()]);
    }
  });

  it('grows the range while results stay small', async () => {
    const f = fetcherFor(tc.chain.rpcUrl, { initialRange: 1, targetLogs: 5_000 });
    for (let i = 0; i < 5; i++) await f.getLogs(1, f.rangeSize());
    expect(f.rangeSize()).toBeGreaterThanOrEqual(16);
  });

  it('gives up with a clear error when one block alone exceeds the cap', async () => {
    const proxy = await startRpcProxy({ target: tc.chain.rpcUrl, maxLogs: 300 });
    try {
      const err = await fetcherFor(proxy.url)
        .getLogs(head, head)
        .catch((e: unknown) => e);
      expect(isPushError(err, 'PUSH_ERR_RPC_RANGE_TOO_LARGE')).toBe(true);
      expect(isPushError(err) && err.hint).toMatch(/RPC endpoint/);
    } finally {
      await proxy.close();
    }
  });
});
