import type { Logger } from 'pino';
import { pushError } from '../errors.js';
import { blocksNeedingHeaders, countEvents, decodeLogs } from './batch.js';
import type { BlockCache } from './block-cache.js';
import type { LogDecoder } from './decode.js';
import type { LogFetcher } from './get-logs.js';
import type { ChainMetrics } from './metrics.js';
import { abortError } from './rpc.js';
import type { BlockRef, ChainBatch, ChainSink, RawLog } from './types.js';

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
  /**
   * Ranges already fetched when the store is ready for the next one are applied together, in one `sink.apply`, up
   * to this many logs: when the store is the bottleneck, fewer and larger transactions write each touched index page
   * once per transaction instead of once per range. Default 20,000.
   */
  maxLogsPerApply?: number;
  /** Called after every applied batch. */
  onProgress?: (p: { appliedTo: number; events: number }) => void;
  /**
   * Blocks from `guard.from` on are read with every header (not only those of blocks with logs), through
   * `guard.headers`, which may refuse the range's logs (an answer that left out logs the headers show).
   */
  guard?: {
    from: number;
    headers: (from: number, to: number, raw: RawLog[], signal: AbortSignal) => Promise<BlockRef[]>;
  };
}

export interface BackfillResult {
  /** The anchor: header of `to`, remembered by the sink for reorg checks above it. */
  anchor: BlockRef;
  events: number;
}

/** Two consecutive ranges as one batch (`b` starts right after `a` ends). */
function joinBatches(a: ChainBatch, b: ChainBatch): ChainBatch {
  return {
    fromBlock: a.fromBlock,
    toBlock: b.toBlock,
    logs: a.logs.concat(b.logs),
    blocks: a.blocks.concat(b.blocks),
    finalizedBlock: b.finalizedBlock,
  };
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
  const maxLogsPerApply = deps.maxLogsPerApply ?? 20_000;
  const finalizedBlock = range.to;
  const chainLabel = String(chainId);
  // Aborts the fetches still in flight when one fails or the indexer stops.
  const inner = new AbortController();
  const onAbort = () => inner.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const ro = { signal: inner.signal };

  async function fetchRange(from: number, to: number): Promise<ChainBatch> {
    const raw = await fetcher.getLogs(from, to, ro);
    const guardFrom = deps.guard && to >= deps.guard.from ? Math.max(from, deps.guard.from) : undefined;
    const needed = blocksNeedingHeaders(raw).filter((n) => guardFrom === undefined || n < guardFrom);
    if (to === finalizedBlock && guardFrom === undefined) needed.push(to);
    const headers = await blocks.get(needed, ro);
    if (guardFrom !== undefined) {
      for (const h of await deps.guard!.headers(guardFrom, to, raw, inner.signal)) headers.set(h.number, h);
    }
    const logs = decodeLogs({ chainId, raw, headers, decoder, logger, metrics });
    const anchor = to === finalizedBlock ? headers.get(to) : undefined;
    return { fromBlock: from, toBlock: to, logs, blocks: anchor ? [anchor] : [], finalizedBlock };
  }

  /** `done` is set when the fetch has answered, so that ready ranges can join the batch being applied. */
  type Task = { from: number; to: number; promise: Promise<ChainBatch>; done?: ChainBatch };
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
      const task: Task = { from, to, promise: fetchRange(from, to) };
      // Rejections are observed when the task reaches the head of the queue; do not let them go unhandled meanwhile.
      task.promise.then(
        (b) => {
          task.done = b;
        },
        () => {},
      );
      queue.push(task);
    }
  };

  let events = 0;
  let anchor: BlockRef | undefined;
  try {
    launch();
    while (queue.length > 0) {
      if (signal.aborted) throw abortError();
      const task = queue.shift()!;
      let batch = await task.promise;
      while (queue[0]?.done && batch.logs.length + queue[0].done.logs.length <= maxLogsPerApply) {
        batch = joinBatches(batch, queue.shift()!.done!);
      }
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
