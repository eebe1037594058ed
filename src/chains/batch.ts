import type { Logger } from 'pino';
import { pushError } from '../errors.js';
import type { LogDecoder } from './decode.js';
import { hexToNumber } from './decode.js';
import { unbound } from './log.js';
import type { ChainMetrics } from './metrics.js';
import type { BlockRef, ChainLog, RawLog } from './types.js';

/** The block numbers that need a header for their logs' timestamps (logs that carry `blockTimestamp` do not). */
export function blocksNeedingHeaders(raw: RawLog[]): number[] {
  const out: number[] = [];
  let last = -1;
  for (const r of raw) {
    if (r.blockTimestamp) continue;
    const n = hexToNumber(r.blockNumber);
    if (n !== last) out.push(n);
    last = n;
  }
  return out;
}

/**
 * Decodes raw logs against the headers of their blocks. A log whose block hash is not the header's hash means the RPC
 * answered from two different branches (a reorg between the calls, or load-balanced nodes that disagree): the whole
 * range is refused with a retryable error rather than stored half from one branch and half from the other.
 */
export function decodeLogs(args: {
  chainId: number;
  raw: RawLog[];
  headers: Map<number, BlockRef>;
  decoder: LogDecoder;
  logger: Logger;
  metrics?: ChainMetrics | undefined;
}): ChainLog[] {
  const { raw, headers, decoder, logger, metrics } = args;
  const out: ChainLog[] = [];
  let undecodable = 0;
  for (const r of raw) {
    if (r.removed) continue;
    const n = hexToNumber(r.blockNumber);
    const header = headers.get(n);
    let timestamp: number;
    if (header) {
      if (header.hash !== r.blockHash.toLowerCase()) {
        throw pushError(
          'PUSH_ERR_RPC_ERROR',
          `log of block ${n} is from another branch than the block header`,
          {
            details: { block: n, logBlockHash: r.blockHash, headerHash: header.hash, inconsistent: true },
          },
        );
      }
      timestamp = header.timestamp;
    } else if (r.blockTimestamp) {
      timestamp = hexToNumber(r.blockTimestamp);
    } else {
      throw pushError('PUSH_ERR_INTERNAL', `no header for block ${n}`);
    }
    const d = decoder.decode(r, timestamp);
    if (d.ok) {
      out.push(d.log);
    } else {
      // Skipping beats halting the chain forever on one malformed log; it is counted and logged loudly.
      undecodable++;
      logger.warn(
        {
          ...unbound(logger, { chainId: args.chainId }),
          block: n,
          tx: r.transactionHash,
          logIndex: r.logIndex,
          reason: d.reason,
        },
        'skipping an undecodable log',
      );
    }
  }
  if (undecodable > 0) metrics?.undecodableLogs.inc({ chain_id: String(args.chainId) }, undecodable);
  // Providers return logs ordered, but a split range is concatenated: keep the sink's ordering promise explicit.
  for (let i = 1; i < out.length; i++) {
    const a = out[i - 1]!;
    const b = out[i]!;
    if (a.blockNumber > b.blockNumber || (a.blockNumber === b.blockNumber && a.logIndex >= b.logIndex)) {
      out.sort((x, y) => x.blockNumber - y.blockNumber || x.logIndex - y.logIndex);
      break;
    }
  }
  return out;
}

/** Counts events per (contract, event) and increments the metric once per label set. */
export function countEvents(metrics: ChainMetrics | undefined, chainId: number, logs: ChainLog[]): void {
  if (!metrics || logs.length === 0) return;
  const counts = new Map<string, number>();
  for (const l of logs) {
    const k = `${l.contract}\u0000${l.event}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const chain_id = String(chainId);
  for (const [k, n] of counts) {
    const [contract, event] = k.split('\u0000') as [string, string];
    metrics.events.inc({ chain_id, contract, event }, n);
  }
}
