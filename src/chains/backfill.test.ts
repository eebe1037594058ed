import pino from 'pino';
import { toHex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexedTopics } from './abi.js';
import { runBackfill } from './backfill.js';
import { type BlockCache, createBlockCache } from './block-cache.js';
import { createLogDecoder } from './decode.js';
import { createLogFetcher, type LogFetcher } from './get-logs.js';
import { createMemorySink } from './memory-sink.js';
import { createRpcClient } from './rpc.js';
import { startTestChain, type TestChain } from './testing/chain.js';
import type { ChainBatch, ChainSink, Hex } from './types.js';

const CH = '0x1111111111111111111111111111111111111111';
const silent = pino({ level: 'silent' });

let tc: TestChain;
let head: number;

beforeAll(async () => {
  tc = await startTestChain({ logger: silent });
  // 12 blocks with 10 logs each (5 notifications + 5 opt-ins), one transaction per block.
  for (let i = 0; i < 12; i++) {
    await tc.emitters.call('comm', 'bulk', [CH, BigInt(i), 5n, 5n, toHex('0+3+T+B')], 2_000_000);
  }
  head = Number(BigInt(await tc.rpc<string>('eth_blockNumber')));
}, 60_000);

afterAll(async () => {
  await tc?.stop();
});

/** The real fetcher over the test chain, with a fixed range of `rangeBlocks`. */
function fetcherOf(rangeBlocks: number): LogFetcher {
  const rpc = createRpcClient({ chainId: 31337, urls: [tc.chain.rpcUrl], logger: silent });
  const real = createLogFetcher({
    rpc,
    addresses: [tc.emitters.core, tc.emitters.comm].map((a) => a.toLowerCase() as Hex),
    topics: indexedTopics(),
    maxRange: rangeBlocks,
    initialRange: rangeBlocks,
  });
  return { ...real, rangeSize: () => rangeBlocks };
}

/** A backfill of the whole chain in 2-block ranges, all in flight at once, with the first apply held back. */
async function backfill(maxLogsPerApply: number) {
  const fetcher = fetcherOf(2);
  const from = tc.emitters.startBlock;
  const ranges = Math.ceil((head - from + 1) / 2);
  const memory = createMemorySink();
  const applied: ChainBatch[] = [];
  const sink: ChainSink = {
    getCursor: (c) => memory.getCursor(c),
    rollback: (c, b) => memory.rollback(c, b),
    async apply(c, batch) {
      // The store is slow on the first batch: every other range is fetched meanwhile.
      while (applied.length === 0 && fetched < ranges) await new Promise((r) => setTimeout(r, 5));
      applied.push(batch);
      await memory.apply(c, batch);
    },
  };
  // Each range's fetch ends with one header lookup: counting those tells when every range has been fetched.
  const rpc = createRpcClient({ chainId: 31337, urls: [tc.chain.rpcUrl], logger: silent });
  const headers = createBlockCache({ rpc });
  let fetched = 0;
  const blocks: BlockCache = {
    ...headers,
    async get(numbers, opts) {
      const r = await headers.get(numbers, opts);
      fetched++;
      return r;
    },
  };
  const result = await runBackfill(
    {
      chainId: 31337,
      fetcher,
      decoder: createLogDecoder({ chainId: 31337, core: tc.emitters.core, comm: tc.emitters.comm }),
      blocks,
      sink,
      logger: silent,
      concurrency: ranges,
      maxLogsPerApply,
    },
    { from, to: head },
    new AbortController().signal,
  );
  return { applied, memory, result, from };
}

describe('runBackfill', () => {
  it('applies ranges that are already fetched together, in order, up to maxLogsPerApply logs', async () => {
    const { applied, memory, result, from } = await backfill(60);

    // Contiguous, ascending, and covering the whole range exactly once.
    expect(applied[0]!.fromBlock).toBe(from);
    for (let i = 1; i < applied.length; i++) expect(applied[i]!.fromBlock).toBe(applied[i - 1]!.toBlock + 1);
    expect(applied.at(-1)!.toBlock).toBe(head);
    // The held first batch is the probe range alone; the ranges fetched meanwhile went in threes (3 × 20 logs).
    expect(applied.map((b) => b.logs.length)).toEqual([20, 60, 40]);
    expect(result.events).toBe(120);
    const order = memory.logs(31337).map((l) => [l.blockNumber, l.logIndex]);
    expect(order).toEqual([...order].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!));
    expect(result.anchor.number).toBe(head);
  }, 30_000);

  it('applies range by range when joining is off (maxLogsPerApply below one range)', async () => {
    const { applied } = await backfill(1);
    expect(applied.map((b) => b.logs.length)).toEqual([20, 20, 20, 20, 20, 20]);
  }, 30_000);
});
