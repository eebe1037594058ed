/**
 * The contract between the chain indexer (this folder) and the store that persists what it finds.
 * The indexer reads chains and hands the store ordered, decoded batches; the store owns durability.
 */

export type Hex = `0x${string}`;

export interface BlockRef {
  number: number;
  hash: Hex;
  parentHash: Hex;
  /** seconds */
  timestamp: number;
  /**
   * Added: the header's logsBloom, as read from the RPC (lower-case hex). Only the live follower reads it (a block
   * whose bloom may hold our logs but that got none is asked again, see follow.ts); it is not passed to sinks.
   */
  logsBloom?: Hex;
}

export interface ChainLog {
  chainId: number;
  blockNumber: number;
  blockHash: Hex;
  logIndex: number;
  txHash: Hex;
  txIndex: number;
  /** lower-case emitter */
  address: Hex;
  contract: 'core' | 'comm';
  /** 'AddChannel', 'UpdateChannel', … as in contracts.md (both UpdateChannel layouts share the name; see topic0) */
  event: string;
  /**
   * Decoded, keyed by the ABI parameter names of contracts.md (`channel`, `_notifSettings`, …): addresses lower-case,
   * every uint (uint8 included) as bigint, identity-like `bytes` and every `string` as UTF-8 text (invalid sequences
   * become U+FFFD), other `bytes` as lower-case hex.
   */
  args: Record<string, unknown>;
  /** block timestamp, seconds */
  timestamp: number;
  /** Added: the event selector, which tells the two UpdateChannel layouts (V1 2-arg, V2 3-arg) apart. */
  topic0: Hex;
}

export interface ChainCursor {
  /** last applied block */
  block: number;
  /** unfinalised blocks remembered, ascending */
  recent: BlockRef[];
}

export interface ChainBatch {
  fromBlock: number;
  toBlock: number;
  /** (blockNumber, logIndex) ascending */
  logs: ChainLog[];
  /**
   * Blocks of this range at or above the finalised height, to remember for reorg checks. The block AT the finalised
   * height is included on purpose: it is the anchor a reorg of the lowest unfinalised block is checked against.
   */
  blocks: BlockRef[];
  finalizedBlock: number;
}

/**
 * What the indexer needs from a store.
 *
 * Cursor contract (the store must keep it exactly, reorg safety depends on it):
 * - after `apply`, `recent` = (previous `recent` ∪ `batch.blocks`) restricted to
 *   `batch.finalizedBlock <= number <= batch.toBlock`, ascending, one entry per number (the batch wins);
 * - after `rollback(toBlock)`, `recent` keeps only entries with `number <= toBlock`.
 */
export interface ChainSink {
  getCursor(chainId: number): Promise<ChainCursor | null>;
  /** Applies the batch and moves the cursor to batch.toBlock in ONE transaction (idempotent per (chainId, blockHash, logIndex)). */
  apply(chainId: number, batch: ChainBatch): Promise<void>;
  /** Undoes everything derived from blocks > toBlock and sets the cursor to toBlock. */
  rollback(chainId: number, toBlock: number): Promise<void>;
}

export interface ChainSpec {
  chainId: number;
  name: string;
  rpcUrls: string[];
  wsUrls: string[];
  core?: Hex;
  comm: Hex;
  startBlock: number;
  finalityDepth: number;
  blockTimeMs: number;
  maxBlockRange?: number;
}

export interface ChainStatus {
  chainId: number;
  /** The chain's name from the config (`chains[].name`, or the preset's). */
  name: string;
  phase: 'starting' | 'backfill' | 'live' | 'stopped' | 'failed';
  head: number | null;
  synced: number | null;
  healthy: boolean;
  lastHeadAt: number | null;
  error?: { code: string; message: string };
  /** Added: how new heads arrive right now (a WebSocket subscription, or HTTP polling as the fallback). */
  headSource?: 'websocket' | 'polling';
}

/** A log as eth_getLogs returns it (the fields the indexer reads). */
export interface RawLog {
  address: Hex;
  topics: Hex[];
  data: Hex;
  blockNumber: Hex;
  blockHash: Hex;
  transactionHash: Hex;
  transactionIndex: Hex;
  logIndex: Hex;
  removed?: boolean;
  /** Some clients (geth ≥ 1.14, erigon, reth) include it; saves a block fetch. */
  blockTimestamp?: Hex;
}

/**
 * One chain as the node sees it, whatever its family: it follows the chain, hands ordered batches to a `ChainSink`,
 * and reports its state. `createChainIndexer` is the EVM adapter; a non-EVM chain plugs in by implementing this.
 */
export interface ChainAdapter {
  /** Resolves once the chain answered (transient failures are retried; the status says why); rejects if fatal. */
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): ChainStatus;
  /** Resolves once `block` (default: the head at the time of the call) is applied. */
  whenSynced(block?: number): Promise<void>;
}
