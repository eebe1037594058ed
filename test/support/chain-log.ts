import { COMM_EVENTS, CORE_EVENTS } from '../../src/chains/abi.js';
import type { ChainLog, Hex } from '../../src/chains/types.js';
import {
  CORE_CHAIN_ID,
  SDK_LOCAL_COMM_ADDRESSES,
  SDK_LOCAL_CORE_ADDRESS,
} from '../../src/devnet/addresses.js';

const CORE_NAMES = new Set(CORE_EVENTS.map((e) => e.name));
const COMM_NAMES = new Set(COMM_EVENTS.map((e) => e.name));
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** Where a test log sits; only `blockNumber` is required. */
export interface TestLogAt {
  blockNumber: number;
  /** default: the core chain 11155111 */
  chainId?: number;
  /** default 0: logs of one block need distinct indexes, in the order they were emitted */
  logIndex?: number;
  /** seconds; default 1_700_000_000 + blockNumber */
  timestamp?: number;
  /** default: the contract that declares `event` in src/chains/abi.ts */
  contract?: 'core' | 'comm';
  /** default: derived from (chainId, blockNumber, logIndex); give one to put several logs in one transaction */
  txHash?: Hex;
  /** default: testBlockHash(chainId, blockNumber) */
  blockHash?: Hex;
}

/** The hash tests give block `blockNumber` of chain `chainId` (for the logs and the `BlockRef`s of a batch alike). */
export function testBlockHash(chainId: number, blockNumber: number): Hex {
  return `0x${hex(chainId, 8)}${hex(blockNumber, 56)}`;
}

/**
 * A decoded `ChainLog` as the indexer hands it to a sink, for tests: emitted by the SDK-local Core address, or by the
 * chain's SDK-local Comm address (src/devnet/addresses.ts), whichever contract declares `event`; transaction index 0
 * and a placeholder topic0 (nothing downstream of the decoder reads it). `args` are as the decoder gives them
 * (addresses lower-case, uints as bigint).
 */
export function testChainLog(event: string, args: Record<string, unknown>, at: TestLogAt): ChainLog {
  const { blockNumber, chainId = CORE_CHAIN_ID, logIndex = 0 } = at;
  const contract =
    at.contract ?? (CORE_NAMES.has(event) ? 'core' : COMM_NAMES.has(event) ? 'comm' : undefined);
  if (!contract) throw new Error(`testChainLog: no contract declares ${event}; pass at.contract`);
  const comm = SDK_LOCAL_COMM_ADDRESSES[chainId];
  if (contract === 'comm' && !comm) throw new Error(`testChainLog: no SDK-local Comm on chain ${chainId}`);
  return {
    chainId,
    blockNumber,
    blockHash: at.blockHash ?? testBlockHash(chainId, blockNumber),
    logIndex,
    txHash: at.txHash ?? `0x${hex(chainId, 8)}${hex(blockNumber, 48)}${hex(logIndex, 8)}`,
    txIndex: 0,
    address: (contract === 'core' ? SDK_LOCAL_CORE_ADDRESS : comm!).toLowerCase() as Hex,
    contract,
    event,
    args,
    timestamp: at.timestamp ?? 1_700_000_000 + blockNumber,
    topic0: `0x${'00'.repeat(32)}`,
  };
}
