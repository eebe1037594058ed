export {
  ALL_EVENTS,
  COMM_EVENTS,
  CORE_EVENTS,
  EVENTS_BY_TOPIC0,
  type EventDef,
  indexedTopics,
  toJsonAbi,
} from './abi.js';
export { createLogDecoder, type DecodeResult, type LogDecoder } from './decode.js';
export {
  type ChainIndexer,
  type ChainIndexerOptions,
  createChainIndexer,
  createMultiChainIndexer,
  type MultiChainIndexer,
} from './indexer.js';
export { createMemorySink, type MemorySink, type MemorySinkStats } from './memory-sink.js';
export { type ChainMetrics, chainMetrics } from './metrics.js';
export { createProgressBoard, type ProgressBoard, type ProgressMode } from './progress.js';
export { createRpcClient, type RpcClient, type RpcClientOptions } from './rpc.js';
export type {
  BlockRef,
  ChainBatch,
  ChainCursor,
  ChainLog,
  ChainSink,
  ChainSpec,
  ChainStatus,
  Hex,
  RawLog,
} from './types.js';
