import type { Logger } from 'pino';
import { pushError } from '../errors.js';
import { blocksNeedingHeaders, countEvents, decodeLogs } from './batch.js';
import type { BlockCache } from './block-cache.js';
import type { LogDecoder } from './decode.js';
import type { LogFetcher } from './get-logs.js';
import type { ChainMetrics } from './metrics.js';
import { abortError } from './rpc.js';
import type { BlockRef, ChainBatch, ChainSink } from './types.js';

/**
 * Historical sync of finalised blocks: several eth_getLogs ranges in flight, applied strictly in order, each range one
 * `sink.apply` (the sink moves the cursor in the same transaction, so a crash between two batches loses nothing and
 * the restart resumes after the last applied one).
 */

export interface BackfillDeps {
  chainId: number;
  fetcher: LogFetcher;
  decoder: LogDecoder;
  blocks: BlockCache;
  sink: ChainSink;
  logger: Logger;
  metrics?: ChainMetrics | undefined;
  /** Ranges fetched ahead of the one being applied. Default 4. */
  concurrency?: number;
  /** Called after every applied batch. */
  onProgress?: (p: { appliedTo: number; events: number }) => void;
}

export interface BackfillResult {
  /** The anchor: header of `to`, remembered by the sink for reorg checks above it. */
  anchor: BlockRef;
  events: number;
}

/**
 * Applies [from, to] where `to` is the finalised height; the last batch carries the header of `to` as its anchor.
 * Throws on the first failure (after the RPC client's retries); what was applied stays applied.
 */
export async function runBackfill(
  deps: BackfillDeps,
  range: { from: number; to: number },
  signal: AbortSignal,
): Promise<BackfillResult> {
  const { chainId, fetcher, decoder, blocks, sink, logger, metrics } = deps;
  const concurrency = Math.max(1, deps.concurrency ?? 4);
  const finalizedBlock = range.to;
  const chainLabel = String(chainId);
  // Aborts the fetches still in flight when one fails or the indexer stops.
  const inner = new AbortController();
  const onAbort = () => inner.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const ro = { signal: inner.signal };

  async function fetchRange(from: number, to: number): Promise<ChainBatch> {
    const raw = await fetcher.getLogs(from, to, ro);
    const needed = blocksNeedingHeaders(raw);
    if (to === finalizedBlock) needed.push(to);
    const headers = await blocks.get(needed, ro);
    const logs = decodeLogs({ chainId, raw, headers, decoder, logger, metrics });
    const anchor = to === finalizedBlock ? headers.get(to) : undefined;
    return { fromBlock: from, toBlock: to, logs, blocks: anchor ? [anchor] : [], finalizedBlock };
  }

  type Task = { from: number; to: number; promise: Promise<ChainBatch> };
  const queue: Task[] = [];
  let next = range.from;
  // The first range is a probe: until it answers, the log density (and so the right range size) is unknown, and
  // several oversized ranges in flight at once would all be refused or all be slow.
  let inFlightLimit = 1;
  const launch = () => {
    while (queue.length < inFlightLimit && next <= range.to) {
      const from = next;
      const to = Math.min(range.to, from + fetcher.rangeSize() - 1);
      next = to + 1;
      const promise = fetchRange(from, to);
      // Rejections are observed when the task reaches the head of the queue; do not let them go unhandled meanwhile.
      promise.catch(() => {});
      queue.push({ from, to, promise });
    }
  };

  let events = 0;
  let anchor: BlockRef | undefined;
  try {
    launch();
    while (queue.length > 0) {
      if (signal.aborted) throw abortError();
      const task = queue.shift()!;
      const batch = await task.promise;
      inFlightLimit = concurrency;
      launch();
      if (signal.aborted) throw abortError();
      await sink.apply(chainId, batch);
      events += batch.logs.length;
      metrics?.backfillBlocks.inc({ chain_id: chainLabel }, batch.toBlock - batch.fromBlock + 1);
      metrics?.syncedBlock.set({ chain_id: chainLabel }, batch.toBlock);
      countEvents(metrics, chainId, batch.logs);
      if (batch.blocks.length > 0) anchor = batch.blocks[batch.blocks.length - 1];
      deps.onProgress?.({ appliedTo: batch.toBlock, events });
    }
  } finally {
    inner.abort();
    signal.removeEventListener('abort', onAbort);
  }
  if (!anchor) throw pushError('PUSH_ERR_INTERNAL', `empty backfill range ${range.from}..${range.to}`);
  return { anchor, events };
}
