import { pushError } from '../errors.js';
import type { BlockRef, ChainBatch, ChainCursor, ChainLog, ChainSink } from './types.js';

/**
 * An in-memory ChainSink for tests and the benchmark: logs keyed by (chainId, blockHash, logIndex) and a cursor per
 * chain, updated atomically (a batch is validated and built aside, then swapped in). It also counts what a correct
 * indexer never does — re-inserting a key it already holds, or applying a batch that does not start right after the
 * cursor — so tests can assert "no duplicates, no gaps" rather than only comparing final contents.
 */

export interface MemorySinkStats {
  applies: number;
  rollbacks: number;
  /** Logs whose key was already stored when applied. */
  duplicates: number;
  /** Batches whose fromBlock was not cursor + 1. */
  discontinuities: number;
}

export interface MemorySink extends ChainSink {
  /** Stored logs of the chain, (blockNumber, logIndex) ascending. */
  logs(chainId: number): ChainLog[];
  cursor(chainId: number): ChainCursor | null;
  readonly stats: MemorySinkStats;
}

interface ChainState {
  cursor: ChainCursor | null;
  logs: Map<string, ChainLog>;
}

const keyOf = (l: ChainLog) => `${l.blockHash}:${l.logIndex}`;

export function createMemorySink(): MemorySink {
  const chains = new Map<number, ChainState>();
  const stats: MemorySinkStats = { applies: 0, rollbacks: 0, duplicates: 0, discontinuities: 0 };

  function state(chainId: number): ChainState {
    let s = chains.get(chainId);
    if (!s) {
      s = { cursor: null, logs: new Map() };
      chains.set(chainId, s);
    }
    return s;
  }

  const clone = (c: ChainCursor | null): ChainCursor | null =>
    c ? { block: c.block, recent: c.recent.map((b) => ({ ...b })) } : null;

  return {
    stats,
    async getCursor(chainId) {
      return clone(state(chainId).cursor);
    },
    async apply(chainId, batch: ChainBatch) {
      const s = state(chainId);
      stats.applies++;
      if (s.cursor && batch.fromBlock !== s.cursor.block + 1) stats.discontinuities++;
      for (const l of batch.logs) {
        if (l.chainId !== chainId || l.blockNumber < batch.fromBlock || l.blockNumber > batch.toBlock) {
          throw pushError(
            'PUSH_ERR_INTERNAL',
            `log ${l.blockNumber}/${l.logIndex} outside batch ${batch.fromBlock}..${batch.toBlock}`,
          );
        }
      }
      const recent = new Map<number, BlockRef>();
      for (const b of s.cursor?.recent ?? []) recent.set(b.number, b);
      for (const b of batch.blocks) recent.set(b.number, { ...b });
      const kept = [...recent.values()]
        .filter((b) => b.number >= batch.finalizedBlock && b.number <= batch.toBlock)
        .sort((a, b) => a.number - b.number);
      for (const l of batch.logs) {
        const k = keyOf(l);
        if (s.logs.has(k)) stats.duplicates++;
        s.logs.set(k, l);
      }
      s.cursor = { block: batch.toBlock, recent: kept };
    },
    async rollback(chainId, toBlock) {
      const s = state(chainId);
      stats.rollbacks++;
      for (const [k, l] of s.logs) if (l.blockNumber > toBlock) s.logs.delete(k);
      s.cursor = { block: toBlock, recent: (s.cursor?.recent ?? []).filter((b) => b.number <= toBlock) };
    },
    logs(chainId) {
      return [...state(chainId).logs.values()].sort(
        (a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex,
      );
    },
    cursor(chainId) {
      return clone(state(chainId).cursor);
    },
  };
}
