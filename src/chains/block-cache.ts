import { pushError } from '../errors.js';
import type { RequestOptions, RpcClient } from './rpc.js';
import type { BlockRef } from './types.js';

/**
 * Block headers by number, for log timestamps and the finality anchor. Only finalised heights go through this cache
 * (the live follower reads unfinalised headers fresh); `forgetAbove` drops entries after a rollback all the same.
 */
export interface BlockCache {
  get(numbers: number[], opts?: RequestOptions): Promise<Map<number, BlockRef>>;
  forgetAbove(block: number): void;
}

export function createBlockCache(opts: { rpc: RpcClient; maxEntries?: number }): BlockCache {
  const { rpc, maxEntries = 8192 } = opts;
  // Insertion-ordered: the oldest entry is evicted first.
  const cache = new Map<number, BlockRef>();

  function remember(ref: BlockRef) {
    cache.set(ref.number, ref);
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
  }

  return {
    async get(numbers, ro = {}) {
      const out = new Map<number, BlockRef>();
      const missing: number[] = [];
      for (const n of numbers) {
        const hit = cache.get(n);
        if (hit) out.set(n, hit);
        else if (!out.has(n)) missing.push(n);
      }
      if (missing.length === 0) return out;
      // One JSON-RPC batch per ~50 headers: per-call HTTP overhead, not the node's work, dominates header fetches.
      const refs = await rpc.getBlocks(missing, ro);
      refs.forEach((got, i) => {
        const n = missing[i]!;
        if (!got) {
          throw pushError('PUSH_ERR_RPC_ERROR', `block ${n} is unknown to the RPC endpoint`, {
            details: { block: n, inconsistent: true },
          });
        }
        // The bloom (512 bytes) is for the live follower only; cached headers and the anchor go without it.
        const { logsBloom: _, ...ref } = got;
        remember(ref);
        out.set(n, ref);
      });
      return out;
    },
    forgetAbove(block) {
      for (const n of [...cache.keys()]) if (n > block) cache.delete(n);
    },
  };
}
