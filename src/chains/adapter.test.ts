import { describe, expect, it } from 'vitest';
import { createMultiChainIndexer } from './indexer.js';
import { createMemorySink } from './memory-sink.js';
import type { ChainAdapter, ChainSpec, ChainStatus } from './types.js';

const spec = (chainId: number): ChainSpec => ({
  chainId,
  name: `chain-${chainId}`,
  rpcUrls: ['http://127.0.0.1:9'],
  wsUrls: [],
  comm: '0x9ddcd7ed7151afab43044e4d694fa064742c428c',
  startBlock: 0,
  finalityDepth: 1,
  blockTimeMs: 1000,
});

describe('chain adapters', () => {
  it('lets a non-EVM chain plug into the multi-chain indexer through ChainAdapter', async () => {
    const calls: string[] = [];
    let phase: ChainStatus['phase'] = 'starting';
    const solanaLike: ChainAdapter = {
      async start() {
        calls.push('start');
        phase = 'live';
      },
      async stop() {
        calls.push('stop');
        phase = 'stopped';
      },
      status: () => ({
        chainId: 900,
        name: 'solana-like',
        phase,
        head: 10,
        synced: 10,
        healthy: phase === 'live',
        lastHeadAt: 1,
      }),
      async whenSynced() {},
    };
    const multi = createMultiChainIndexer([spec(900)], {
      sink: createMemorySink(),
      progress: 'off',
      createAdapter: (s) => (s.chainId === 900 ? solanaLike : undefined),
    });
    await multi.start();
    expect(multi.status()).toEqual([expect.objectContaining({ chainId: 900, phase: 'live', healthy: true })]);
    expect(multi.chain(900)).toBe(solanaLike);
    await multi.stop();
    expect(calls).toEqual(['start', 'stop']);
  });
});
