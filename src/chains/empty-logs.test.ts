import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexedTopics } from './abi.js';
import { createBloomFilter } from './bloom.js';
import { createChainIndexer } from './indexer.js';
import { createMemorySink } from './memory-sink.js';
import { createRpcClient, type RpcClient } from './rpc.js';
import { startTestChain, type TestChain } from './testing/chain.js';
import { referenceIndex } from './testing/reference.js';
import type { Hex } from './types.js';

/**
 * An endpoint (or one backend of a load-balanced provider) that has the headers of the newest blocks but has not
 * indexed their logs yet answers eth_getLogs with `[]`, a well-formed, empty answer. The live follower read the
 * headers, then the logs, and applied the range: the cursor moved past logs that exist, for good. Now a block whose
 * logsBloom may hold our logs but that got none is asked again by hash before the range is applied.
 */

const CH = '0x1111111111111111111111111111111111111111';
const silent = pino({ level: 'silent' });
let tc: TestChain;

beforeAll(async () => {
  tc = await startTestChain();
  await tc.emitters.call('core', 'addChannel', [CH, 2, '0x312b516d41']);
  await tc.mine(3);
});
afterAll(async () => {
  await tc?.stop();
});

function indexer(rpc: RpcClient) {
  const sink = createMemorySink();
  const ix = createChainIndexer({
    spec: tc.spec({ finalityDepth: 3, blockTimeMs: 200 }),
    sink,
    rpc,
    logger: silent,
    registry: new Registry(),
    progress: 'off',
    pollMs: 25,
    retryBaseMs: 20,
  });
  return { ix, sink };
}

async function expectEqualToChain(logs: unknown[]) {
  const expected = await referenceIndex({
    rpcUrl: tc.chain.rpcUrl,
    chainId: 31337,
    core: tc.emitters.core,
    comm: tc.emitters.comm,
    fromBlock: tc.emitters.startBlock,
    toBlock: await tc.blockNumber(),
  });
  expect(logs.length).toBe(expected.length);
  expect(logs).toEqual(expected);
}

describe('an eth_getLogs answer that is empty because the provider is still indexing the range', () => {
  it('does not move the cursor past logs that exist', async () => {
    const inner = createRpcClient({ chainId: 31337, urls: [tc.chain.rpcUrl] });
    // From `notYetIndexed` on, the first eth_getLogs covering it answers [] (the logs arrive at the provider later).
    let notYetIndexed: number | null = null;
    const rpc: RpcClient = {
      ...inner,
      async getLogs(filter, opts) {
        if (notYetIndexed !== null && filter.toBlock >= notYetIndexed) {
          notYetIndexed = null;
          return [];
        }
        return inner.getLogs(filter, opts);
      },
    };
    const { ix, sink } = indexer(rpc);
    await ix.start();
    await ix.whenSynced(await tc.blockNumber());
    notYetIndexed = (await tc.blockNumber()) + 1;
    await tc.emitters.call('comm', 'bulk', [CH, 77n, 3n, 2n, '0x302b']);
    await tc.mine(6);
    await ix.whenSynced(await tc.blockNumber());
    await new Promise((r) => setTimeout(r, 300));
    await ix.stop();
    expect(notYetIndexed).toBeNull();
    // Before the fix: the 5 logs of the bulk block were missing for good.
    await expectEqualToChain(sink.logs(31337));
  }, 60_000);

  it('does not skip them in a catch-up either (the backfill checks the headers of its last ranges)', async () => {
    const inner = createRpcClient({ chainId: 31337, urls: [tc.chain.rpcUrl] });
    const notYetIndexed: number | null = (await tc.blockNumber()) + 1;
    await tc.emitters.call('comm', 'bulk', [CH, 80n, 3n, 2n, '0x302b']);
    await tc.mine(6);
    let answeredEmpty = false;
    const rpc: RpcClient = {
      ...inner,
      async getLogs(filter, opts) {
        if (!answeredEmpty && filter.fromBlock <= notYetIndexed && filter.toBlock >= notYetIndexed) {
          answeredEmpty = true;
          return [];
        }
        return inner.getLogs(filter, opts);
      },
    };
    // Started after the blocks were mined: the bulk block is below the finalised height, caught up by the backfill.
    const { ix, sink } = indexer(rpc);
    await ix.start();
    await ix.whenSynced(await tc.blockNumber());
    await ix.stop();
    expect(answeredEmpty).toBe(true);
    await expectEqualToChain(sink.logs(31337));
  }, 60_000);

  it('accepts an empty answer when the by-hash query agrees (a bloom false positive, as on busy chains)', async () => {
    const inner = createRpcClient({ chainId: 31337, urls: [tc.chain.rpcUrl] });
    const saturated = `0x${'f'.repeat(512)}` as Hex;
    let byHash = 0;
    // Every header's bloom has every bit set: every block without our logs is asked again, and it has none.
    const rpc: RpcClient = {
      ...inner,
      async getBlocks(numbers, opts) {
        return (await inner.getBlocks(numbers, opts)).map((b) => b && { ...b, logsBloom: saturated });
      },
      async requestBatch(calls, opts) {
        byHash += calls.filter((c) => c.method === 'eth_getLogs').length;
        return inner.requestBatch(calls, opts);
      },
    };
    const { ix, sink } = indexer(rpc);
    await ix.start();
    await ix.whenSynced(await tc.blockNumber());
    await tc.emitters.call('comm', 'bulk', [CH, 78n, 2n, 1n, '0x302b']);
    await tc.mine(2);
    await ix.whenSynced(await tc.blockNumber());
    await ix.stop();
    expect(byHash).toBeGreaterThan(0);
    expect(ix.status().error).toBeUndefined();
    await expectEqualToChain(sink.logs(31337));
    // The bloom never reaches the sink's remembered blocks.
    expect(sink.cursor(31337)!.recent.every((b) => b.logsBloom === undefined)).toBe(true);
  }, 60_000);
});

describe('logsBloom filter', () => {
  it('matches a block holding one of our logs, not an empty block or one of other logs only', async () => {
    const may = createBloomFilter([tc.emitters.core, tc.emitters.comm] as Hex[], indexedTopics());
    const rpc = createRpcClient({ chainId: 31337, urls: [tc.chain.rpcUrl] });
    await tc.emitters.call('comm', 'bulk', [CH, 79n, 1n, 1n, '0x302b']);
    const withLog = await rpc.getBlock(await tc.blockNumber());
    await tc.mine(1);
    const empty = await rpc.getBlock(await tc.blockNumber());
    expect(withLog?.logsBloom).toMatch(/^0x[0-9a-f]{512}$/);
    expect(may(withLog?.logsBloom)).toBe(true);
    expect(may(empty?.logsBloom)).toBe(false);
    // Our topics from another contract: the address bits are missing.
    const other = createBloomFilter(['0x000000000000000000000000000000000000dead'], indexedTopics());
    expect(other(withLog?.logsBloom)).toBe(false);
    // No bloom proves nothing.
    expect(may(undefined)).toBe(true);
  });
});
