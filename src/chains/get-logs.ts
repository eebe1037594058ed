import pino, { type Logger } from 'pino';
import { isPushError, pushError } from '../errors.js';
import { createBloomFilter } from './bloom.js';
import { partLogger } from './log.js';
import type { ChainMetrics } from './metrics.js';
import { checkLogs, type RequestOptions, type RpcClient } from './rpc.js';
import type { RangeHint } from './rpc-errors.js';
import type { Hex, RawLog } from './types.js';

/**
 * Adaptive eth_getLogs: one call per range for both contracts and every topic0; the range shrinks when the provider
 * refuses it (using the range it suggests, its stated caps, or halving) and grows while calls stay cheap, aiming at
 * `targetLogs` results per call.
 */

export interface LogFetcherOptions {
  rpc: RpcClient;
  addresses: Hex[];
  topics: Hex[];
  /** Never ask for more blocks than this (config `maxBlockRange`). Default 10,000. */
  maxRange?: number;
  /**
   * Starting range. Default 10: the density of a chain's logs is unknown until the first answer, and a small probe
   * that grows ×2 per call reaches 10,000 blocks in ten calls, while an oversized first call can be very slow.
   */
  initialRange?: number;
  /** Results per call to aim for. Default 5,000 (many providers cap at 10,000). */
  targetLogs?: number;
  logger?: Logger;
  metrics?: ChainMetrics;
}

export interface LogFetcher {
  /** The block range the next planned call should cover. */
  rangeSize(): number;
  /**
   * Every matching log of [from, to], ascending; splits the range as often as the provider needs. An answer that is
   * not an array of logs of [from, to] is refused (PUSH_ERR_RPC_ERROR, `details.malformed`), never returned.
   */
  getLogs(from: number, to: number, opts?: RequestOptions): Promise<RawLog[]>;
  /** False when a header's logsBloom proves its block holds no log this fetcher asks for. */
  mayHaveLogs(logsBloom: Hex | undefined): boolean;
  /**
   * The matching logs of each block, asked by block hash (EIP-234): a node that does not have the block answers with
   * an error ("unknown block"), not with an empty list as a range query beyond its head may.
   */
  getBlockLogs(blockHashes: Hex[], opts?: RequestOptions): Promise<RawLog[][]>;
}

/** After a refusal without a stated cap, stay below the refused size for this many successful calls. */
const CEILING_MEMORY = 32;

export function createLogFetcher(options: LogFetcherOptions): LogFetcher {
  const { rpc, addresses, topics, logger = pino({ level: 'silent' }), metrics } = options;
  const log = partLogger(logger, 'get-logs', { chainId: rpc.chainId });
  const configuredMax = Math.max(1, options.maxRange ?? 10_000);
  let targetLogs = Math.max(1, options.targetLogs ?? 5_000);
  // Invariant: 1 <= size <= limit() at all times.
  let providerMax = Number.POSITIVE_INFINITY;
  let ceiling = Number.POSITIVE_INFINITY;
  let ceilingTtl = 0;
  const limit = () => Math.max(1, Math.min(configuredMax, providerMax, ceiling));
  let size = Math.min(limit(), Math.max(1, options.initialRange ?? 10));
  const chainLabel = String(rpc.chainId);

  function setSize(next: number) {
    size = Math.max(1, Math.min(limit(), Math.floor(next)));
    metrics?.getLogsRange.set({ chain_id: chainLabel }, size);
  }
  setSize(size);

  function onSuccess(blocks: number, results: number) {
    if (ceilingTtl > 0 && --ceilingTtl === 0) ceiling = Number.POSITIVE_INFINITY;
    // A short tail range says little about density; only full-size calls steer growth, any call may steer shrinking.
    const ideal = results === 0 ? size * 2 : (blocks * targetLogs) / results;
    if (ideal > size && blocks < size / 2) return;
    setSize(Math.min(size * 2, Math.max(size / 2, ideal)));
  }

  function onRefused(blocks: number, hint: RangeHint & { responseTooLarge?: boolean }) {
    if (hint.maxRange && hint.maxRange > 0) providerMax = Math.min(providerMax, hint.maxRange);
    if (hint.maxResults && hint.maxResults > 0)
      targetLogs = Math.min(targetLogs, Math.floor(hint.maxResults / 2));
    if (
      hint.suggestedFrom !== undefined &&
      hint.suggestedTo !== undefined &&
      hint.suggestedTo >= hint.suggestedFrom
    ) {
      setSize(Math.min(size, hint.suggestedTo - hint.suggestedFrom + 1));
    } else if (!hint.maxRange) {
      ceiling = Math.max(1, blocks - 1);
      ceilingTtl = CEILING_MEMORY;
      setSize(Math.min(size, Math.floor(blocks / 2)));
    } else {
      setSize(size);
    }
    log.debug({ blocks, hint, size }, 'eth_getLogs range refused; shrinking');
  }

  function splitPoint(from: number, to: number, hint: RangeHint): number {
    const blocks = to - from + 1;
    if (
      hint.suggestedTo !== undefined &&
      hint.suggestedFrom === from &&
      hint.suggestedTo >= from &&
      hint.suggestedTo < to
    ) {
      return hint.suggestedTo;
    }
    if (hint.maxRange && hint.maxRange < blocks) return from + hint.maxRange - 1;
    return from + Math.floor(blocks / 2) - 1;
  }

  async function getLogs(from: number, to: number, opts: RequestOptions = {}): Promise<RawLog[]> {
    // A caller's span (the live follower's from..head) may exceed what this chain may be asked for at once.
    if (to - from + 1 > limit()) {
      let out: RawLog[] = [];
      for (let at = from; at <= to; ) {
        const end = Math.min(to, at + limit() - 1);
        const part = await getLogs(at, end, opts);
        out = out.length === 0 ? part : part.length === 0 ? out : out.concat(part);
        at = end + 1;
      }
      return out;
    }
    try {
      const logs = await rpc.getLogs(
        { fromBlock: from, toBlock: to, address: addresses, topics: [topics] },
        opts,
      );
      // The HTTP client refuses (and fails over on) such answers already; any RpcClient may be plugged in, and a log
      // outside [from, to] would be applied out of order and recorded as seen before its own range is read.
      const bad = checkLogs(logs, { fromBlock: from, toBlock: to });
      if (bad) {
        throw pushError('PUSH_ERR_RPC_ERROR', `eth_getLogs ${from}..${to}: malformed result: ${bad}`, {
          details: { malformed: true, from, to },
        });
      }
      onSuccess(to - from + 1, logs.length);
      return logs;
    } catch (err) {
      if (!isPushError(err, 'PUSH_ERR_RPC_RANGE_TOO_LARGE')) throw err;
      const hint = (err.details ?? {}) as RangeHint & { responseTooLarge?: boolean };
      if (from === to) {
        throw pushError(
          'PUSH_ERR_RPC_RANGE_TOO_LARGE',
          `block ${from} alone has more logs than the RPC provider returns in one eth_getLogs call`,
          {
            hint: 'Use an RPC endpoint without an eth_getLogs result cap (or a higher one) for this chain',
            details: { block: from, provider: err.message },
            cause: err,
          },
        );
      }
      onRefused(to - from + 1, hint);
      const mid = splitPoint(from, to, hint);
      const left = await getLogs(from, mid, opts);
      const right = await getLogs(mid + 1, to, opts);
      return left.length === 0 ? right : right.length === 0 ? left : left.concat(right);
    }
  }

  const mayHaveLogs = createBloomFilter(addresses, topics);

  async function getBlockLogs(blockHashes: Hex[], opts: RequestOptions = {}): Promise<RawLog[][]> {
    const calls = blockHashes.map((blockHash) => ({
      method: 'eth_getLogs',
      params: [{ blockHash, address: addresses, topics: [topics] }],
    }));
    const out = await rpc.requestBatch<RawLog[]>(calls, opts);
    out.forEach((logs, i) => {
      const bad = checkLogs(logs, { blockHash: blockHashes[i] });
      if (bad) {
        throw pushError(
          'PUSH_ERR_RPC_ERROR',
          `eth_getLogs of block ${blockHashes[i]}: malformed result: ${bad}`,
          {
            details: { malformed: true, blockHash: blockHashes[i] },
          },
        );
      }
    });
    return out;
  }

  return { rangeSize: () => size, getLogs, mayHaveLogs, getBlockLogs };
}
