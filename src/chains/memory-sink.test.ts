import { describe, expect, it } from 'vitest';
import { createMemorySink } from './memory-sink.js';
import type { BlockRef, ChainLog, Hex } from './types.js';

const h = (n: number, fork = 0) => `0x${(n * 16 + fork).toString(16).padStart(64, '0')}` as Hex;
const block = (n: number, fork = 0): BlockRef => ({
  number: n,
  hash: h(n, fork),
  parentHash: h(n - 1, fork),
  timestamp: n,
});
const log = (n: number, i: number, fork = 0): ChainLog => ({
  chainId: 1,
  blockNumber: n,
  blockHash: h(n, fork),
  logIndex: i,
  txHash: h(1000 + n),
  txIndex: 0,
  address: '0x00000000000000000000000000000000000000c1',
  contract: 'comm',
  event: 'Subscribe',
  args: {},
  timestamp: n,
  topic0: '0x5ffe3cc8f1055f172e55be8d832143a6cffb4cb3a56a18bf780fd4112d4cecc7',
});

describe('memory sink', () => {
  it('keeps the cursor contract: recent = blocks in [finalized, toBlock]', async () => {
    const sink = createMemorySink();
    expect(await sink.getCursor(1)).toBeNull();
    await sink.apply(1, {
      fromBlock: 1,
      toBlock: 5,
      logs: [log(2, 0), log(5, 1)],
      blocks: [block(4), block(5)],
      finalizedBlock: 4,
    });
    await sink.apply(1, {
      fromBlock: 6,
      toBlock: 7,
      logs: [log(7, 0)],
      blocks: [block(6), block(7)],
      finalizedBlock: 5,
    });
    expect(sink.cursor(1)).toEqual({ block: 7, recent: [block(5), block(6), block(7)] });
    expect(sink.logs(1).map((l) => l.blockNumber)).toEqual([2, 5, 7]);
    expect(sink.stats).toMatchObject({ duplicates: 0, discontinuities: 0 });
  });

  it('rolls back logs and remembered blocks above the ancestor', async () => {
    const sink = createMemorySink();
    await sink.apply(1, {
      fromBlock: 1,
      toBlock: 4,
      logs: [log(2, 0), log(3, 0), log(4, 0)],
      blocks: [block(2), block(3), block(4)],
      finalizedBlock: 2,
    });
    await sink.rollback(1, 2);
    expect(sink.cursor(1)).toEqual({ block: 2, recent: [block(2)] });
    await sink.apply(1, {
      fromBlock: 3,
      toBlock: 3,
      logs: [log(3, 0, 1)],
      blocks: [block(3, 1)],
      finalizedBlock: 2,
    });
    expect(sink.logs(1).map((l) => l.blockHash)).toEqual([h(2), h(3, 1)]);
  });

  it('counts what a correct indexer never does: duplicates and gaps', async () => {
    const sink = createMemorySink();
    await sink.apply(1, { fromBlock: 1, toBlock: 2, logs: [log(2, 0)], blocks: [], finalizedBlock: 2 });
    await sink.apply(1, { fromBlock: 2, toBlock: 2, logs: [log(2, 0)], blocks: [], finalizedBlock: 2 });
    await sink.apply(1, { fromBlock: 9, toBlock: 9, logs: [], blocks: [], finalizedBlock: 9 });
    expect(sink.stats).toMatchObject({ duplicates: 1, discontinuities: 2 });
    expect(sink.logs(1)).toHaveLength(1);
  });

  it('refuses a log outside its batch', async () => {
    const sink = createMemorySink();
    await expect(
      sink.apply(1, { fromBlock: 1, toBlock: 2, logs: [log(3, 0)], blocks: [], finalizedBlock: 2 }),
    ).rejects.toMatchObject({
      code: 'PUSH_ERR_INTERNAL',
    });
    expect(await sink.getCursor(1)).toBeNull();
  });
});
