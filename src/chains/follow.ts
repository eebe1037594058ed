import type { Logger } from 'pino';
import { pushError } from '../errors.js';
import { runBackfill } from './backfill.js';
import { countEvents, decodeLogs } from './batch.js';
import type { BlockCache } from './block-cache.js';
import { hexToNumber, type LogDecoder } from './decode.js';
import type { LogFetcher } from './get-logs.js';
import { partLogger } from './log.js';
import type { ChainMetrics } from './metrics.js';
import { abortError, type RpcClient } from './rpc.js';
import type { BlockRef, ChainSink, RawLog } from './types.js';

/** Sinks and the remembered window keep block refs without the 512-byte bloom. */
function withoutBloom(b: BlockRef): BlockRef {
  if (b.logsBloom === undefined) return b;
  const { logsBloom: _, ...ref } = b;
  return ref;
}

/**
 * Keeps the sink in step with the chain head: catches up finalised blocks through the backfill, applies unfinalised
 * blocks with their headers, checks every new block's parent hash against what was applied, and on a reorg rolls the
 * sink back to the common ancestor before applying the new branch.
 *
 * An RPC endpoint that is behind (a failover URL, one backend of a load-balanced provider) answers null for the blocks
 * it does not have yet and reports a lower head. A missing block is never evidence of a reorg: only a block the
 * endpoint has, with another hash than ours, is. Behind, the follower waits for the endpoint (or the next one).
 */

/** How to recover from PUSH_ERR_REORG_TOO_DEEP (and from a chain reset under the store, which turns into it). */
export const RESET_OR_DEEPER =
  'If the chain was reset (e.g. the devnet was restarted), start the node with a fresh data dir (dataDir) or an ' +
  'empty database; otherwise raise finalityDepth for this chain and re-index it from a block below the reorg';

/** The last finalised blocks of a catch-up whose headers the backfill reads, to check blooms against the logs. */
const GUARDED_TAIL = 32;

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
  /**
   * An applied block that proves `head` is of another chain than the one in the sink (the chain was reset under the
   * store, e.g. a devnet restarted): the head is below the whole unfinalised window and a block above it is older than
   * it. On one chain no block is older than a block below it, so an endpoint that is merely behind never gives one,
   * and a reorg to a shorter branch stays inside the window. Null when there is no such proof.
   */
  contradictedBy(head: BlockRef): BlockRef | null;
}

export function createFollower(deps: FollowerDeps): Follower {
  const { chainId, rpc, fetcher, decoder, blocks, sink, logger, metrics } = deps;
  const log = partLogger(logger, 'follow', { chainId });
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

  /**
   * Walks the remembered window down to the highest block still canonical; rolls the sink back to it. Blocks the
   * endpoint does not have (null) are skipped: they say it is behind, not that ours were replaced. Returns 'behind'
   * (and rolls nothing back) when no block of the window has another hash at the endpoint.
   */
  async function handleReorg(signal: AbortSignal): Promise<'rolled-back' | 'behind'> {
    let ancestor: BlockRef | undefined;
    let replaced = false;
    for (let i = recent.length - 1; i >= 0; i--) {
      const mine = recent[i]!;
      const canonical = await rpc.getBlock(mine.number, { signal });
      if (!canonical) continue;
      if (canonical.hash === mine.hash) {
        ancestor = mine;
        break;
      }
      replaced = true;
    }
    if (!replaced) return 'behind';
    // A chain followed from its start block (deployed less than finalityDepth ago) has no block below its window: when
    // all of it is replaced, everything indexed goes and the new branch is applied from the start block.
    const fromStart = !ancestor && recent[0]?.number === deps.startBlock && deps.startBlock > finalized;
    if (!ancestor && !fromStart) {
      const lowest = recent[0]?.number;
      throw pushError(
        'PUSH_ERR_REORG_TOO_DEEP',
        `chain ${chainId}: no block of the unfinalised window ${lowest ?? '?'}..${synced} is canonical any more`,
        {
          hint: RESET_OR_DEEPER,
          details: { chainId, synced, windowFrom: lowest, finalityDepth: deps.finalityDepth },
        },
      );
    }
    const to = ancestor ? ancestor.number : deps.startBlock - 1;
    const depth = synced - to;
    if (signal.aborted) throw abortError();
    await sink.rollback(chainId, to);
    log.warn({ from: synced, to, depth, ancestor: ancestor?.hash ?? null }, 'chain reorg: rolled back');
    synced = to;
    recent = recent.filter((b) => b.number <= to);
    blocks.forgetAbove(to);
    metrics?.reorgs.inc({ chain_id: chainLabel });
    metrics?.reorgDepth.observe({ chain_id: chainLabel }, depth);
    metrics?.syncedBlock.set({ chain_id: chainLabel }, synced);
    return 'rolled-back';
  }

  /**
   * Whether the last applied block is still the canonical one at its height: 'replaced' when the endpoint has another
   * block there, 'missing' when it has none (it is behind us, or the chain was reorganised to a shorter one).
   */
  async function tipState(signal: AbortSignal): Promise<'canonical' | 'replaced' | 'missing'> {
    const tip = recent[recent.length - 1];
    if (!tip || tip.number !== synced) return 'canonical';
    const canonical = await rpc.getBlock(tip.number, { signal });
    if (!canonical) return 'missing';
    return canonical.hash === tip.hash ? 'canonical' : 'replaced';
  }

  /**
   * Our tip is missing at the endpoint, whose head is `head`. With one RPC call: if the endpoint's block at its head
   * is the one we applied there (or its head is below the window, where we cannot compare), it is behind on our
   * branch; only another block at that height is a reorg (to a shorter chain), handled by handleReorg.
   */
  async function endpointBehind(head: number, signal: AbortSignal): Promise<boolean> {
    const mine = recent.find((b) => b.number === head);
    if (!mine) return true;
    const theirs = await rpc.getBlock(head, { signal });
    return theirs === null || theirs.hash === mine.hash;
  }

  function behind(head: number): never {
    throw pushError(
      'PUSH_ERR_RPC_ERROR',
      `chain ${chainId}: the RPC endpoint is behind (head ${head}, applied ${synced}); waiting for it`,
      { details: { inconsistent: true, behind: true, head, synced } },
    );
  }

  function remember(newBlocks: BlockRef[], newFinalized: number, toBlock: number) {
    const byNumber = new Map<number, BlockRef>();
    for (const b of recent) byNumber.set(b.number, b);
    for (const b of newBlocks) byNumber.set(b.number, b);
    recent = [...byNumber.values()]
      .filter((b) => b.number >= newFinalized && b.number <= toBlock)
      .sort((a, b) => a.number - b.number);
  }

  /**
   * A provider still indexing the newest blocks (or a backend behind the one that gave the headers) may answer a
   * range query with a well-formed `[]` for blocks whose logs exist; applied, the cursor would move past them for good.
   * Each header's logsBloom tells which blocks may hold our logs. Those of them the range answer left without a log
   * are asked again by block hash (EIP-234), which a node without the block answers with an error rather than `[]`;
   * if that finds logs, the range answer was incomplete and the pass is retried.
   *
   * Why this and not the alternatives: a bloom without our bits is proof (no call at all on quiet chains, hardhat
   * included); a bloom with them is not (on busy chains most bits are set), so the bloom alone cannot mark an answer
   * wrong without retrying forever on false positives. Re-reading the range's last header after the logs only shows
   * that the chain did not move, not that the node answering eth_getLogs had indexed the range. The cost is one
   * JSON-RPC batch per live pass on chains whose blooms are saturated, none where they are not.
   */
  async function confirmEmptyBlocks(hs: BlockRef[], raw: RawLog[], signal: AbortSignal): Promise<void> {
    const withLogs = new Set<number>();
    for (const r of raw) withLogs.add(hexToNumber(r.blockNumber));
    const unsure = hs.filter((h) => !withLogs.has(h.number) && fetcher.mayHaveLogs(h.logsBloom));
    if (unsure.length === 0) return;
    const again = await fetcher.getBlockLogs(
      unsure.map((h) => h.hash),
      { signal },
    );
    const missed = unsure.filter((_, i) => again[i]!.some((l) => !l.removed)).map((h) => h.number);
    if (missed.length > 0) {
      throw pushError(
        'PUSH_ERR_RPC_ERROR',
        `chain ${chainId}: eth_getLogs left out the logs of block(s) ${missed.join(', ')} (the provider is still indexing them)`,
        { details: { inconsistent: true, blocks: missed } },
      );
    }
  }

  /** Headers of from..to (without blooms) for the backfill, after the bloom check of the range's logs. */
  async function checkedHeaders(
    from: number,
    to: number,
    raw: RawLog[],
    signal: AbortSignal,
  ): Promise<BlockRef[]> {
    const hs = await headers(from, to, signal);
    if (!hs) {
      throw pushError(
        'PUSH_ERR_RPC_ERROR',
        `chain ${chainId}: a block of ${from}..${to} is missing at the RPC endpoint`,
        {
          details: { inconsistent: true, from, to },
        },
      );
    }
    await confirmEmptyBlocks(hs, raw, signal);
    return hs.map(withoutBloom);
  }

  async function applyUnfinalized(
    head: number,
    batchFinalized: number,
    signal: AbortSignal,
  ): Promise<'applied' | 'reorg'> {
    const from = synced + 1;
    const hs = await headers(from, head, signal);
    if (!hs) {
      // The endpoint that answered does not have a block up to the head we were told about: it is behind (another
      // backend answered the head) or the chain is being reorganised. Look again.
      throw pushError(
        'PUSH_ERR_RPC_ERROR',
        `chain ${chainId}: a block up to ${head} is missing at the RPC endpoint`,
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
    // Every log is of from..head (the fetcher refuses other answers), so each has its header here, and decodeLogs
    // refuses logs whose block hash differs from it (the chain moved between the two reads).
    const raw = await fetcher.getLogs(from, head, { signal });
    await confirmEmptyBlocks(hs, raw, signal);
    const byNumber = new Map(hs.map((h) => [h.number, h]));
    const logs = decodeLogs({ chainId, raw, headers: byNumber, decoder, logger: log, metrics });
    const keep = hs.filter((h) => h.number >= batchFinalized).map(withoutBloom);
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
      if (synced >= head || synced < target) {
        const tip = await tipState(signal);
        if (tip === 'missing' && (await endpointBehind(head, signal))) {
          // Nothing to do until the endpoint has our tip; the next head (or the next URL) will tell.
          if (synced >= head) return;
          behind(head);
        }
        if (tip !== 'canonical') {
          if ((await handleReorg(signal)) === 'behind') {
            if (synced >= head) return;
            behind(head);
          }
          continue;
        }
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
            // The backfill reads no header for blocks without logs; near the head, where a provider may still be
            // indexing, it reads them all and has their blooms checked like a live pass.
            guard: { from: Math.max(range.from, target - GUARDED_TAIL + 1), headers: checkedHeaders },
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
      // The first new header does not link to our tip; only a block of ours replaced at the endpoint is a reorg.
      if ((await handleReorg(signal)) === 'behind') behind(head);
    }
    throw pushError(
      'PUSH_ERR_RPC_ERROR',
      `chain ${chainId}: the head keeps moving under the follower; retrying`,
      {
        details: { inconsistent: true },
      },
    );
  }

  function contradictedBy(head: BlockRef): BlockRef | null {
    // Only a head below the whole unfinalised window: a reorg to a shorter branch (a head inside the window, newer
    // than the blocks it orphaned) keeps a block of the window canonical, and is handled as a reorg.
    const bottom = recent[0];
    if (!bottom || head.number >= bottom.number) return null;
    for (let i = recent.length - 1; i >= 0 && recent[i]!.number > head.number; i--) {
      if (recent[i]!.timestamp < head.timestamp) return recent[i]!;
    }
    return null;
  }

  return { load, synced: () => synced, syncTo, contradictedBy };
}
