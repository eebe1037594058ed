import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type ErrorCode, isPushError, pushError } from '../errors.js';
import { indexedTopics } from './abi.js';
import { createBlockCache } from './block-cache.js';
import { createLogDecoder } from './decode.js';
import { createFollower, RESET_OR_DEEPER } from './follow.js';
import { createLogFetcher } from './get-logs.js';
import { createHeadWatcher } from './heads.js';
import { childLogger } from './log.js';
import { type ChainMetrics, chainMetrics } from './metrics.js';
import { createProgressBoard, type ProgressBoard, type ProgressMode } from './progress.js';
import { createRpcClient, type RpcClient, type RpcClientOptions } from './rpc.js';
import type { BlockRef, ChainAdapter, ChainSink, ChainSpec, ChainStatus, Hex } from './types.js';

/**
 * One chain's indexer: backfill from the cursor (or the start block) to the finalised head, then follow the head.
 * Everything is idempotent: after any failure the loop re-reads the cursor from the sink and carries on from there,
 * so replays, restarts and overlaps never duplicate (the sink is keyed by (chainId, blockHash, logIndex)).
 */

export interface ChainIndexerOptions {
  spec: ChainSpec;
  sink: ChainSink;
  logger?: Logger;
  registry?: Registry;
  /** Replaces the HTTP client built from `spec.rpcUrls` (e.g. a client with test timings). */
  rpc?: RpcClient;
  rpcOptions?: Partial<Omit<RpcClientOptions, 'chainId' | 'urls' | 'logger' | 'metrics'>>;
  /** eth_getLogs ranges fetched ahead of the one being applied. Default 4. */
  backfillConcurrency?: number;
  /** Results per eth_getLogs call to aim for. Default 5,000. */
  targetLogs?: number;
  /** Starting eth_getLogs range (a probe that grows). Default 10. */
  initialRange?: number;
  /** A shared board (multi-chain), or a mode for a board of its own. Default 'auto'. */
  progress?: ProgressBoard | ProgressMode;
  /** Catch-ups shorter than this many blocks show no progress. Default 1,000. */
  progressMinBlocks?: number;
  /** Unhealthy once the head has not advanced for this many block times. Default 10. */
  staleAfterBlocks?: number;
  /** Poll period for heads without a fresh WebSocket. Default clamp(blockTime/2, 250 ms, 4 s). */
  pollMs?: number;
  /** Loop backoff after a failed pass. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/** The EVM adapter: eth_getLogs backfill, then new heads over WebSocket or polling, with reorg handling. */
export type ChainIndexer = ChainAdapter;

/** Errors that stop a chain instead of being retried. */
const FATAL: ReadonlySet<ErrorCode> = new Set([
  'PUSH_ERR_CHAIN_ID_MISMATCH',
  'PUSH_ERR_REORG_TOO_DEEP',
  'PUSH_ERR_CONFIG_INVALID',
]);

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export function createChainIndexer(options: ChainIndexerOptions): ChainIndexer {
  const { spec, sink } = options;
  const logger = childLogger(options.logger ?? pino({ level: 'silent' }), {
    chainId: spec.chainId,
    chain: spec.name,
  });
  const metrics: ChainMetrics | undefined = options.registry ? chainMetrics(options.registry) : undefined;
  const chainLabel = String(spec.chainId);
  const staleAfterMs = (options.staleAfterBlocks ?? 10) * spec.blockTimeMs;
  const retryBaseMs = options.retryBaseMs ?? 1_000;
  const retryMaxMs = options.retryMaxMs ?? 30_000;
  const progressMinBlocks = options.progressMinBlocks ?? 1_000;

  const rpc =
    options.rpc ??
    createRpcClient({ chainId: spec.chainId, urls: spec.rpcUrls, logger, metrics, ...options.rpcOptions });
  const addresses = [spec.core, spec.comm].filter((a): a is Hex => !!a).map((a) => a.toLowerCase() as Hex);
  const fetcher = createLogFetcher({
    rpc,
    addresses,
    topics: indexedTopics(),
    maxRange: spec.maxBlockRange,
    initialRange: options.initialRange,
    targetLogs: options.targetLogs,
    logger,
    metrics,
  });
  const decoder = createLogDecoder({ chainId: spec.chainId, core: spec.core, comm: spec.comm });
  const blocks = createBlockCache({ rpc });
  const ownBoard = typeof options.progress !== 'object';
  const board: ProgressBoard =
    typeof options.progress === 'object'
      ? options.progress
      : createProgressBoard({ mode: options.progress ?? 'auto', logger });

  let phase: ChainStatus['phase'] = 'starting';
  let error: ChainStatus['error'];
  // The error that stopped the chain (phase 'failed'), re-thrown to late whenSynced callers.
  let fatal: unknown;
  let loaded = false;
  let healthy = false;
  // The head seen is of another chain than the store's (reset under it): unhealthy until that changes.
  let reset: { head: number; synced: number; proof: number; logged: boolean } | null = null;
  let catchUp: { from: number; to: number; startedAt: number; shown: boolean } | null = null;
  const controller = new AbortController();
  let loopDone: Promise<void> | null = null;
  let healthTimer: NodeJS.Timeout | undefined;
  // Waiters for whenSynced: resolved when synced reaches their block, rejected when the chain fails or stops.
  let waiters: Array<{ block: number; resolve: () => void; reject: (e: unknown) => void }> = [];

  const follower = createFollower({
    chainId: spec.chainId,
    startBlock: spec.startBlock,
    finalityDepth: spec.finalityDepth,
    rpc,
    fetcher,
    decoder,
    blocks,
    sink,
    logger,
    metrics,
    backfillConcurrency: options.backfillConcurrency,
    onCatchUp(range) {
      phase = 'backfill';
      const shown = range.to - range.from + 1 >= progressMinBlocks;
      catchUp = { ...range, startedAt: Date.now(), shown };
      if (shown) logger.info({ from: range.from, to: range.to }, 'backfill started');
    },
    onProgress(p) {
      if (catchUp?.shown) {
        board.update({
          chainId: spec.chainId,
          name: spec.name,
          fromBlock: catchUp.from,
          toBlock: catchUp.to,
          appliedTo: p.appliedTo,
          events: p.events,
          startedAt: catchUp.startedAt,
        });
      }
      settleWaiters();
    },
    onCatchUpDone() {
      if (catchUp?.shown) board.done(spec.chainId);
      catchUp = null;
    },
  });

  // Created by start(): it begins polling as soon as it exists.
  let liveWatcher: ReturnType<typeof createHeadWatcher> | null = null;

  function settleWaiters() {
    if (!loaded) return;
    const synced = follower.synced();
    const keep: typeof waiters = [];
    for (const w of waiters) {
      if (synced >= w.block) w.resolve();
      else keep.push(w);
    }
    waiters = keep;
  }

  function rejectWaiters(err: unknown) {
    const ws = waiters;
    waiters = [];
    for (const w of ws) w.reject(err);
  }

  function computeHealth() {
    const w = liveWatcher;
    const last = w?.lastAdvanceAt() ?? null;
    const now = Date.now();
    const next =
      (phase === 'backfill' || phase === 'live') &&
      !error &&
      !reset &&
      last !== null &&
      now - last <= staleAfterMs;
    if (reset && !reset.logged) {
      reset.logged = true;
      logger.warn(
        { head: reset.head, synced: reset.synced, code: 'PUSH_ERR_REORG_TOO_DEEP', hint: RESET_OR_DEEPER },
        resetMessage(reset),
      );
    } else if (next !== healthy) {
      if (next) logger.info('chain healthy');
      else
        logger.warn(
          { phase, error: error?.code, headAgeMs: last === null ? null : now - last, staleAfterMs },
          'chain unhealthy',
        );
    }
    healthy = next;
    metrics?.healthy.set({ chain_id: chainLabel }, healthy ? 1 : 0);
  }

  function resetMessage(r: NonNullable<typeof reset>): string {
    return (
      `chain unhealthy: its head ${r.head} is below the last indexed block ${r.synced} yet newer than indexed block ` +
      `${r.proof}, so the RPC serves another chain than the one indexed: the chain was reset under the store ` +
      '(e.g. the devnet was restarted)'
    );
  }

  /** Notes whether the head just read is of another chain than the store's (see Follower.contradictedBy). */
  function checkReset(head: BlockRef) {
    const proof = follower.contradictedBy(head);
    if (!proof) {
      if (reset) logger.info({ head: head.number }, 'the RPC serves the indexed chain again');
      reset = null;
      return;
    }
    const seen = { head: head.number, synced: follower.synced(), proof: proof.number };
    if (reset) Object.assign(reset, seen);
    else {
      reset = { ...seen, logged: false };
      computeHealth();
    }
  }

  async function loop(startGate: { resolve: () => void; reject: (e: unknown) => void }) {
    const signal = controller.signal;
    const w = liveWatcher!;
    let failures = 0;
    let needsLoad = true;
    let gateOpen = false;
    const openGate = () => {
      if (!gateOpen) startGate.resolve();
      gateOpen = true;
    };
    while (!signal.aborted) {
      try {
        if (needsLoad) {
          await follower.load();
          loaded = true;
          needsLoad = false;
        }
        const head = await rpc.getBlock('latest', { signal });
        if (!head) throw pushError('PUSH_ERR_RPC_ERROR', 'the RPC endpoint has no latest block');
        w.observe({ number: head.number, hash: head.hash });
        checkReset(head);
        const seenSeq = w.seq();
        openGate();
        if (phase === 'starting') phase = 'live';
        await follower.syncTo(head.number, signal);
        phase = 'live';
        if (error) logger.info({ previous: error.code }, 'chain indexer recovered');
        error = undefined;
        failures = 0;
        computeHealth();
        settleWaiters();
        // Without a fresh WebSocket the watcher polls; either way wake up at least every few seconds.
        await w.next(signal, Math.max(1_000, Math.min(30_000, spec.blockTimeMs * 4)), seenSeq);
      } catch (err) {
        if (signal.aborted) break;
        needsLoad = true;
        failures++;
        const code: ErrorCode = isPushError(err) ? err.code : 'PUSH_ERR_INTERNAL';
        const message = err instanceof Error ? err.message : String(err);
        // The chain moving under a pass (a reorg in progress) is routine; only a persistent one is an error.
        const inconsistent = isPushError(err) && err.details?.inconsistent === true;
        if (!inconsistent || failures >= 3) error = { code, message };
        metrics?.errors.inc({ chain_id: chainLabel, code });
        if (FATAL.has(code)) {
          phase = 'failed';
          fatal = err;
          w.stop();
          logger.error({ code, err: message }, 'chain indexer stopped');
          computeHealth();
          rejectWaiters(err);
          if (!gateOpen) startGate.reject(err);
          gateOpen = true;
          return;
        }
        openGate();
        // The chain moved under us: cached headers may belong to the old branch.
        if (inconsistent) blocks.forgetAbove(-1);
        const cap = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(10, failures - 1));
        const delay = inconsistent
          ? Math.min(500, spec.blockTimeMs / 4)
          : cap / 2 + (Math.random() * cap) / 2;
        (inconsistent ? logger.debug : logger.warn).call(
          logger,
          { code, err: message, retryInMs: Math.round(delay), failures },
          'chain indexer pass failed; retrying',
        );
        computeHealth();
        await sleep(delay, signal);
      }
    }
    // Stopped before the chain ever answered: start() resolves rather than hanging.
    openGate();
  }

  let started: Promise<void> | null = null;

  return {
    start() {
      if (started) return started;
      started = new Promise<void>((resolve, reject) => {
        liveWatcher = createHeadWatcher({
          chainId: spec.chainId,
          rpc,
          wsUrls: spec.wsUrls,
          blockTimeMs: spec.blockTimeMs,
          logger,
          pollMs: options.pollMs,
          onHead(h) {
            metrics?.headBlock.set({ chain_id: chainLabel }, h.number);
          },
        });
        const healthEvery = Math.max(500, Math.min(5_000, spec.blockTimeMs));
        healthTimer = setInterval(computeHealth, healthEvery);
        healthTimer.unref?.();
        logger.info(
          { startBlock: spec.startBlock, finalityDepth: spec.finalityDepth },
          'chain indexer starting',
        );
        loopDone = loop({ resolve, reject }).catch((err) => {
          // The loop handles its own errors; reaching here is a bug, surfaced rather than swallowed.
          phase = 'failed';
          error = { code: 'PUSH_ERR_INTERNAL', message: err instanceof Error ? err.message : String(err) };
          logger.error({ err }, 'chain indexer loop crashed');
          rejectWaiters(err);
          reject(err);
        });
      });
      return started;
    },
    async stop() {
      controller.abort();
      liveWatcher?.stop();
      clearInterval(healthTimer);
      await loopDone;
      if (phase !== 'failed') phase = 'stopped';
      healthy = false;
      metrics?.healthy.set({ chain_id: chainLabel }, 0);
      if (catchUp?.shown && ownBoard) board.done(spec.chainId);
      if (ownBoard) board.close();
      rejectWaiters(pushError('PUSH_ERR_SHUTTING_DOWN', `chain ${spec.chainId} indexer stopped`));
    },
    status() {
      const head = liveWatcher?.latest()?.number ?? null;
      const s: ChainStatus = {
        chainId: spec.chainId,
        name: spec.name,
        phase,
        head,
        synced: loaded ? follower.synced() : null,
        healthy,
        lastHeadAt: liveWatcher?.lastAdvanceAt() ?? null,
      };
      if (liveWatcher) s.headSource = liveWatcher.wsSubscribed() ? 'websocket' : 'polling';
      if (error) s.error = { ...error };
      else if (reset) s.error = { code: 'PUSH_ERR_REORG_TOO_DEEP', message: resetMessage(reset) };
      return s;
    },
    async whenSynced(block) {
      if (phase === 'failed' && fatal) throw fatal;
      if (phase === 'failed' || phase === 'stopped') {
        throw pushError('PUSH_ERR_SHUTTING_DOWN', `chain ${spec.chainId} indexer is ${phase}`, {
          details: { error },
        });
      }
      const target = block ?? (await rpc.blockNumber());
      if (loaded && follower.synced() >= target) return;
      return new Promise<void>((resolve, reject) => {
        waiters.push({ block: target, resolve, reject });
        settleWaiters();
      });
    },
  };
}

export interface MultiChainIndexer {
  /** Starts every chain; if one fails fatally at start, all are stopped and the error is thrown. */
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): ChainStatus[];
  chain(chainId: number): ChainIndexer | undefined;
}

export function createMultiChainIndexer(
  specs: ChainSpec[],
  options: Omit<ChainIndexerOptions, 'spec' | 'rpc' | 'progress'> & {
    progress?: ProgressMode;
    /** Builds a non-EVM chain's adapter; chains it returns undefined for get the EVM indexer. */
    createAdapter?: (spec: ChainSpec) => ChainAdapter | undefined;
  },
): MultiChainIndexer {
  const ids = new Set<number>();
  for (const s of specs) {
    if (ids.has(s.chainId)) {
      throw pushError('PUSH_ERR_CONFIG_INVALID', `chain ${s.chainId} is configured twice`, {
        field: 'chains',
      });
    }
    ids.add(s.chainId);
  }
  const logger = options.logger ?? pino({ level: 'silent' });
  const board = createProgressBoard({ mode: options.progress ?? 'auto', logger });
  const indexers = new Map(
    specs.map((spec) => [
      spec.chainId,
      options.createAdapter?.(spec) ?? createChainIndexer({ ...options, spec, logger, progress: board }),
    ]),
  );
  return {
    async start() {
      const results = await Promise.allSettled([...indexers.values()].map((i) => i.start()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        await Promise.all([...indexers.values()].map((i) => i.stop()));
        board.close();
        throw failed.reason;
      }
    },
    async stop() {
      await Promise.all([...indexers.values()].map((i) => i.stop()));
      board.close();
    },
    status: () => [...indexers.values()].map((i) => i.status()),
    chain: (chainId) => indexers.get(chainId),
  };
}
