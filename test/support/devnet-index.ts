import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { createChainIndexer } from '../../src/chains/indexer.js';
import type { ChainSink, ChainSpec } from '../../src/chains/types.js';
import type { DevnetChainInfo } from '../../src/devnet/devnet.js';

/** The indexer's view of a devnet chain (its Push contracts, from their deployment block). */
export function devnetChainSpec(chain: DevnetChainInfo, finalityDepth = 2): ChainSpec {
  return {
    chainId: chain.chainId,
    name: chain.name,
    rpcUrls: [chain.rpcUrl],
    wsUrls: [],
    ...(chain.core ? { core: chain.core } : {}),
    comm: chain.comm,
    startBlock: chain.startBlock,
    finalityDepth,
    blockTimeMs: 200,
  };
}

/**
 * Indexes each chain into `sink` up to its current head, one after the other, then stops. Order matters: give the
 * core chain first, so an alias chain's opt-ins resolve through the alias rows it wrote.
 */
export async function indexToHeads(
  sink: ChainSink,
  chains: readonly DevnetChainInfo[],
  opts: { logger: Logger; finalityDepth?: number },
): Promise<void> {
  for (const chain of chains) {
    const indexer = createChainIndexer({
      spec: devnetChainSpec(chain, opts.finalityDepth),
      sink,
      logger: opts.logger,
      registry: new Registry(),
      progress: 'off',
      pollMs: 100,
    });
    try {
      await indexer.start();
      await indexer.whenSynced();
    } finally {
      await indexer.stop();
    }
  }
}
