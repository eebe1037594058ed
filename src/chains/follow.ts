import type { Logger } from 'pino';
import { pushError } from '../errors.js';
import { runBackfill } from './backfill.js';
import { blocksNeedingHeaders, countEvents, decodeLogs } from './batch.js';
import type { BlockCache } from './block-cache.js';
import type { LogDecoder } from './decode.js';
import type { LogFetcher } from './get-logs.js';
import type { ChainMetrics } from './metrics.js';
import { abortError, type RpcClient } from './rpc.js';
import type { BlockRef, ChainSink } from './types.js';

/**
 * Keeps the sink in step with the chain head: catches up finalised blocks through the backfill, applies unfinalised
 * blocks with their headers, checks every new block's parent hash against what was applied, and on a reorg rolls the
 * sink back to the common ancestor before applying the new branch.
 */

export interface FollowerDeps {
  chainId: number;
  startBlock: number;
  finalityDepth: number;
  rpc: RpcClient;
  fetcher: LogFetcher;
  decoder: LogDecoder;
  blocks: BlockCache;
  sink: ChainSink;
  logger: Logger;
  metrics?: ChainMetrics | undefined;
  backfillConcurrency?: number;
  /** A catch-up of finalised blocks starts (the indexer shows progress for it). */
  onCatchUp?: (range: { from: number; to: number }) => void;
  onProgress?: (p: { appliedTo: number; events: number }) => void;
  onCatchUpDone?: () => void;
}

export interface Follower {
  /** (Re)reads the cursor: after any failure the sink, not memory, is the truth. */
  load(): Promise<void>;
  /** Last applied block (startBlock - 1 before the first batch). */
  synced(): number;
  /** Applies everything up to `head`, handling reorgs on the way. */
  syncTo(head: number, signal: AbortSignal): Promise<void>;
}

export function createFollower(deps: FollowerDeps): Follower {
  const { chainId, rpc, fetcher, decoder, blocks, sink, logger, metrics } = deps;
  const log = logger.child({ chainId, component: 'follow' });
  const chainLabel = String(chainId);

  // Mirrors the sink's cursor. Invariant: `recent` holds, ascending and without gaps, every applied block from the
  // last batch's finalised height (the anchor) up to `synced`; a reorg is searched for only inside that window.
  let synced = deps.startBlock - 1;
  let recent: BlockRef[] = [];
  // Finality never moves back, even when a head report does (a revert to a shorter chain).
  let finalized = deps.startBlock - 1;

  async function load() {
    const cursor = await sink.getCursor(chainId);
    synced = cursor ? cursor.block : deps.startBlock - 1;
    recent = cursor ? [...cursor.recent].sort((a, b) => a.number - b.number) : [];
    metrics?.syncedBlock.set({ chain_id: chainLabel }, synced);
  }

  async function headers(from: number, to: number, signal: AbortSignal): Promise<BlockRef[] | null> {
    const numbers = Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const out = await rpc.getBlocks(numbers, { signal });
    return out.some((b) => b === null) ? null : (out as BlockRef[]);
  }

  /** Walks the remembered window down to the highest block still canonical; rolls the sink back to it. */
  async function handleReorg(signal: AbortSignal): Promise<void> {
    let ancestor: BlockRef | undefined;
    for (let i = recent.length - 1; i >= 0; i--) {
      const mine = recent[i]!;
      const canonical = await rpc.getBlock(mine.number, { signal });
      if (canonical && canonical.hash === mine.hash) {
        ancestor = mine;
        break;
      }
    }
    if (!ancestor) {
      const lowest = recent[0]?.number;
      throw pushError(
        'PUSH_ERR_REORG_TOO_DEEP',
        `chain ${chainId}: no block of the unfinalised window ${lowest ?? '?'}..${synced} is canonical any more`,
        {
          hint: 'Raise finalityDepth for this chain, then re-index it from a block below the reorg',
          details: { chainId, synced, windowFrom: lowest, finalityDepth: deps.finalityDepth },
        },
      );
    }
    const depth = synced - ancestor.number;
    if (signal.aborted) throw abortError();
    await sink.rollback(chainId, ancestor.number);
    log.warn(
      { from: synced, to: ancestor.number, depth, ancestor: ancestor.hash },
      'chain reorg: rolled back',
    );
    synced = ancestor.number;
    recent = recent.filter((b) => b.number <= ancestor.number);
    blocks.forgetAbove(ancestor.number);
    metrics?.reorgs.inc({ chain_id: chainLabel });
    metrics?.reorgDepth.observe({ chain_id: chainLabel }, depth);
    metrics?.syncedBlock.set({ chain_id: chainLabel }, synced);
  }

  /** True when the last applied block is still the canonical one at its height. */
  async function tipIsCanonical(signal: AbortSignal): Promise<boolean> {
    const tip = recent[recent.length - 1];
    if (!tip || tip.number !== synced) return true;
    const canonical = await rpc.getBlock(tip.number, { signal });
    return canonical !== null && canonical.hash === tip.hash;
  }

  function remember(newBlocks: BlockRef[], newFinalized: number, toBlock: number) {
    const byNumber = new Map<number, BlockRef>();
    for (const b of recent) byNumber.set(b.number, b);
    for (const b of newBlocks) byNumber.set(b.number, b);
    recent = [...byNumber.values()]
      .filter((b) => b.number >= newFinalized && b.number <= toBlock)
      .sort((a, b) => a.number - b.number);
  }

  async function applyUnfinalized(
    head: number,
    batchFinalized: number,
    signal: AbortSignal,
  ): Promise<'applied' | 'reorg'> {
    const from = synced + 1;
    const hs = await headers(from, head, signal);
    if (!hs) {
      // The chain is shorter than the head we were told about: it is being reorganised. Look again.
      throw pushError(
        'PUSH_ERR_RPC_ERROR',
        `chain ${chainId}: a block up to ${head} vanished while reading`,
        {
          details: { inconsistent: true, head },
        },
      );
    }
    const parent = recent[recent.length - 1];
    if (parent && parent.number === synced && hs[0]!.parentHash !== parent.hash) return 'reorg';
    for (let i = 1; i < hs.length; i++) {
      if (hs[i]!.parentHash !== hs[i - 1]!.hash) {
        throw pushError('PUSH_ERR_RPC_ERROR', `chain ${chainId}: headers ${from}..${head} do not link`, {
          details: { inconsistent: true, block: hs[i]!.number },
        });
      }
    }
    const raw = await fetcher.getLogs(from, head, { signal });
    const byNumber = new Map(hs.map((h) => [h.number, h]));
    // decodeLogs refuses logs whose block hash differs from these headers (the chain moved between the two reads).
    for (const n of blocksNeedingHeaders(raw)) {
      if (!byNumber.has(n))
        throw pushError('PUSH_ERR_INTERNAL', `log of block ${n} outside ${from}..${head}`);
    }
    const logs = decodeLogs({ chainId, raw, headers: byNumber, decoder, logger: log, metrics });
    const keep = hs.filter((h) => h.number >= batchFinalized);
    if (signal.aborted) throw abortError();
    await sink.apply(chainId, {
      fromBlock: from,
      toBlock: head,
      logs,
      blocks: keep,
      finalizedBlock: batchFinalized,
    });
    synced = head;
    remember(keep, batchFinalized, head);
    countEvents(metrics, chainId, logs);
    metrics?.syncedBlock.set({ chain_id: chainLabel }, synced);
    return 'applied';
  }

  async function syncTo(head: number, signal: AbortSignal): Promise<void> {
    finalized = Math.max(finalized, head - deps.finalityDepth);
    metrics?.finalizedBlock.set({ chain_id: chainLabel }, finalized);
    // A head below the finalised height (a revert to a shorter chain) must not make us read blocks that do not exist.
    const target = Math.min(finalized, head);
    // Bounded: each round either makes progress or rolls back; a chain that keeps reorganising is retried by the loop.
    for (let round = 0; round < 16; round++) {
      if (signal.aborted) throw abortError();
      // Nothing new above us, or about to catch up without parent checks: make sure our tip is still canonical first.
      if ((synced >= head || synced < target) && !(await tipIsCanonical(signal))) {
        await handleReorg(signal);
        continue;
      }
      if (synced < target) {
        const range = { from: synced + 1, to: target };
        deps.onCatchUp?.(range);
        const bf = await runBackfill(
          {
            chainId,
            fetcher,
            decoder,
            blocks,
            sink,
            logger: log,
            metrics,
            concurrency: deps.backfillConcurrency ?? 4,
            onProgress: (p) => {
              synced = p.appliedTo;
              deps.onProgress?.(p);
            },
          },
          range,
          signal,
        );
        synced = target;
        recent = [bf.anchor];
        deps.onCatchUpDone?.();
      }
      if (synced >= head) return;
      const outcome = await applyUnfinalized(head, target, signal);
      if (outcome === 'applied') return;
      await handleReorg(signal);
    }
    throw pushError(
      'PUSH_ERR_RPC_ERROR',
      `chain ${chainId}: the head keeps moving under the follower; retrying`,
      {
        details: { inconsistent: true },
      },
    );
  }

  return { load, synced: () => synced, syncTo };
}
