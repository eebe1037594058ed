import type { Logger } from 'pino';
import { type DevChain, startChain } from '../../devnet/chain.js';
import type { ChainSpec } from '../types.js';
import { deployTestEmitters, rawRpc, type TestEmitters } from './emitters.js';

/** Test support: a hardhat chain with FakeCore/FakeComm deployed, and the ChainSpec an indexer needs for it. */
export interface TestChain {
  chain: DevChain;
  emitters: TestEmitters;
  spec(overrides?: Partial<ChainSpec>): ChainSpec;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  blockNumber(): Promise<number>;
  /** Mines `n` empty blocks, one evm_mine each (hardhat_mine's bulk blocks carry a zero parentHash). */
  mine(n?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestChain(opts: { chainId?: number; logger?: Logger } = {}): Promise<TestChain> {
  const chainId = opts.chainId ?? 31337;
  const chain = await startChain({ chainId, ...(opts.logger ? { logger: opts.logger } : {}) });
  try {
    const emitters = await deployTestEmitters(chain.rpcUrl);
    const rpc = <T = unknown>(method: string, params: unknown[] = []) =>
      rawRpc<T>(chain.rpcUrl, method, params);
    return {
      chain,
      emitters,
      rpc,
      async blockNumber() {
        return Number.parseInt(await rpc<string>('eth_blockNumber'), 16);
      },
      async mine(n = 1) {
        for (let i = 0; i < n; i++) await rpc('evm_mine');
      },
      spec(overrides = {}) {
        return {
          chainId,
          name: `test-${chainId}`,
          rpcUrls: [chain.rpcUrl],
          wsUrls: [],
          core: emitters.core,
          comm: emitters.comm,
          startBlock: emitters.startBlock,
          finalityDepth: 3,
          blockTimeMs: 1_000,
          ...overrides,
        };
      },
      stop: () => chain.stop(),
    };
  } catch (err) {
    await chain.stop();
    throw err;
  }
}
