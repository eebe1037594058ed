import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPushError } from '../errors.js';
import { createChainIndexer } from './indexer.js';
import { createMemorySink, type MemorySink } from './memory-sink.js';
import { startTestChain, type TestChain } from './testing/chain.js';
import { referenceIndex } from './testing/reference.js';
import type { ChainSpec } from './types.js';

const CH = '0x1111111111111111111111111111111111111111';
const silent = pino({ level: 'silent' });
let tc: TestChain;
let salt = 0n;

beforeAll(async () => {
  tc = await startTestChain();
  await tc.emitters.call('core', 'addChannel', [CH, 2, '0x312b516d41']);
  await tc.mine(3);
});
afterAll(async () => {
  await tc?.stop();
});

/** One block with a few logs that differ on every call (so two branches never share a block hash). */
async function block(n = 3) {
  salt++;
  await tc.emitters.call('comm', 'bulk', [CH, salt, BigInt(n), 1n, '0x302b']);
}

async function expectEqualToChain(sink: MemorySink) {
  const head = await tc.blockNumber();
  const ref = await referenceIndex({
    rpcUrl: tc.chain.rpcUrl,
    chainId: 31337,
    core: tc.emitters.core,
    comm: tc.emitters.comm,
    fromBlock: tc.emitters.startBlock,
    toBlock: head,
  });
  expect(sink.logs(31337)).toEqual(ref);
  expect(sink.stats.duplicates).toBe(0);
  // Every remembered block is on the final chain.
  for (const b of sink.cursor(31337)!.recent) {
    const canonical = await tc.rpc<{ hash: string }>('eth_getBlockByNumber', [
      `0x${b.number.toString(16)}`,
      false,
    ]);
    expect(canonical.hash).toBe(b.hash);
  }
}

function indexer(sink: MemorySink, spec: Partial<ChainSpec>, registry = new Registry()) {
  return createChainIndexer({
    spec: tc.spec({ blockTimeMs: 200, ...spec }),
    sink,
    logger: silent,
    registry,
    pollMs: 25,
    retryBaseMs: 20,
    progress: 'off',
  });
}

describe('reorgs (evm_snapshot / evm_revert)', () => {
  it('rolls back to the common ancestor and applies a longer new branch', async () => {
    const sink = createMemorySink();
    const registry = new Registry();
    const ix = indexer(sink, { finalityDepth: 6 }, registry);
    await ix.start();
    await ix.whenSynced();
    const snap = await tc.rpc<string>('evm_snapshot');
    for (let i = 0; i < 3; i++) await block();
    await ix.whenSynced(await tc.blockNumber());
    const before = sink.logs(31337).length;
    await tc.rpc('evm_revert', [snap]);
    for (let i = 0; i < 4; i++) await block(2);
    await ix.whenSynced(await tc.blockNumber());
    await expectEqualToChain(sink);
    expect(sink.logs(31337).length).toBe(before - 3 * 4 + 4 * 3);
    expect(sink.stats.rollbacks).toBeGreaterThanOrEqual(1);
    expect(await registry.getSingleMetricAsString('push_node_chain_reorgs_total')).toMatch(/} [1-9]/);
    expect(ix.status()).toMatchObject({ phase: 'live' });
    await ix.stop();
  });

  it('handles a new branch shorter than the old one', async () => {
    const sink = createMemorySink();
    const ix = indexer(sink, { finalityDepth: 6 });
    await ix.start();
    await ix.whenSynced();
    const snap = await tc.rpc<string>('evm_snapshot');
    for (let i = 0; i < 4; i++) await block();
    await ix.whenSynced(await tc.blockNumber());
    await tc.rpc('evm_revert', [snap]);
    await block(5);
    // The head is now below what was synced: wait until the indexer has re-applied the single new block.
    const head = await tc.blockNumber();
    for (let i = 0; i < 200 && sink.cursor(31337)?.recent.at(-1)?.number !== head; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    await new Promise((r) => setTimeout(r, 200));
    await expectEqualToChain(sink);
    expect(sink.cursor(31337)?.block).toBe(head);
    await ix.stop();
  });

  it('notices a reorg that happened while it was stopped', async () => {
    const sink = createMemorySink();
    const first = indexer(sink, { finalityDepth: 6 });
    await first.start();
    const snap = await tc.rpc<string>('evm_snapshot');
    for (let i = 0; i < 2; i++) await block();
    await first.whenSynced(await tc.blockNumber());
    await first.stop();
    await tc.rpc('evm_revert', [snap]);
    for (let i = 0; i < 3; i++) await block(1);
    const second = indexer(sink, { finalityDepth: 6 });
    await second.start();
    await second.whenSynced(await tc.blockNumber());
    await expectEqualToChain(sink);
    expect(sink.stats.rollbacks).toBe(1);
    await second.stop();
  });

  it('stops the chain with PUSH_ERR_REORG_TOO_DEEP instead of corrupting data', async () => {
    const sink = createMemorySink();
    const registry = new Registry();
    const ix = indexer(sink, { finalityDepth: 2 }, registry);
    await ix.start();
    await ix.whenSynced();
    const snap = await tc.rpc<string>('evm_snapshot');
    for (let i = 0; i < 6; i++) await block();
    await ix.whenSynced(await tc.blockNumber());
    const stored = sink.logs(31337);
    const cursor = sink.cursor(31337);
    await tc.rpc('evm_revert', [snap]);
    for (let i = 0; i < 7; i++) await block(1);
    const err = await ix.whenSynced(await tc.blockNumber()).catch((e: unknown) => e);
    expect(isPushError(err, 'PUSH_ERR_REORG_TOO_DEEP')).toBe(true);
    expect(ix.status()).toMatchObject({
      phase: 'failed',
      healthy: false,
      error: { code: 'PUSH_ERR_REORG_TOO_DEEP' },
    });
    // Nothing was rolled back or applied from the new branch.
    expect(sink.logs(31337)).toEqual(stored);
    expect(sink.cursor(31337)).toEqual(cursor);
    expect(sink.stats.rollbacks).toBe(0);
    expect(await registry.getSingleMetricAsString('push_node_chain_errors_total')).toContain(
      'code="PUSH_ERR_REORG_TOO_DEEP"} 1',
    );
    await ix.stop();
    expect(ix.status().phase).toBe('failed');
  });
});

describe('a chain followed from its start block', () => {
  it('rolls back to before the start block when a reorg replaces every block it indexed', async () => {
    const snap = await tc.rpc<string>('evm_snapshot');
    const startBlock = (await tc.blockNumber()) + 1;
    for (let i = 0; i < 3; i++) await block();
    const sink = createMemorySink();
    // Deployed "just now": the start block is within finalityDepth of the head, so there is no backfill and no
    // final block below the window.
    const ix = indexer(sink, { finalityDepth: 50, startBlock });
    await ix.start();
    await ix.whenSynced(await tc.blockNumber());
    await tc.rpc('evm_revert', [snap]);
    for (let i = 0; i < 4; i++) await block(2);
    await ix.whenSynced(await tc.blockNumber());
    const ref = await referenceIndex({
      rpcUrl: tc.chain.rpcUrl,
      chainId: 31337,
      core: tc.emitters.core,
      comm: tc.emitters.comm,
      fromBlock: startBlock,
      toBlock: await tc.blockNumber(),
    });
    expect(sink.logs(31337)).toEqual(ref);
    expect(sink.stats.rollbacks).toBeGreaterThanOrEqual(1);
    expect(ix.status()).toMatchObject({ phase: 'live' });
    await ix.stop();
  });
});
