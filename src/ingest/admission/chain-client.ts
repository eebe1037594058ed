import {
  AbiDecodingDataSizeTooSmallError,
  AbiDecodingZeroDataError,
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  ContractFunctionZeroDataError,
  createPublicClient,
  decodeEventLog,
  fallback,
  type Hex,
  http,
  parseAbi,
} from 'viem';
import { pushError } from '../../errors.js';
import { chainText } from '../../protocol/text.js';

export interface AdmissionChain {
  chainId: number;
  /** Comm contract of the chain (emitter of SendNotification; verifyingContract of its EIP-712 domain by default). */
  comm: string;
  /** The EIP-712 verifyingContract SDK users sign for, when it is not `comm` (see ChainConfig.signingComm). */
  signingComm?: string;
  rpcUrls: string[];
  /** Blocks below this have legacy `<notifType>+<ipfsHash>` identities (reference §4.3); null/absent: never. */
  npipBlock?: number | null;
}

export interface SentNotificationLog {
  logIndex: number;
  blockNumber: number;
  blockHash: Hex;
  channel: string;
  recipient: string;
  identity: string;
}

export interface ChainClient {
  /** Every SendNotification log the Comm contract emitted in a successful transaction (empty if none or reverted). */
  sendNotificationLogs(txHash: Hex): Promise<SentNotificationLog[]>;
  /**
   * ERC-1271: does the contract at `account` accept `signature` over `digest`? False for EOAs and for contracts that
   * revert or answer anything but the magic value; PUSH_ERR_RPC_UNAVAILABLE when the chain does not answer.
   */
  isValidSignature(account: string, digest: Hex, signature: Hex): Promise<boolean>;
  /** Block timestamp (seconds). */
  blockTimestamp(blockNumber: number): Promise<number>;
}

const COMM_EVENTS = parseAbi([
  'event SendNotification(address indexed channel, address indexed recipient, bytes identity)',
]);
const ERC1271 = parseAbi(['function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)']);
const MAGIC = '0x1626ba7e';

/**
 * Did the contract itself answer (a revert, no return data, or data that is no bytes4)? Then it does not accept the
 * signature. viem wraps every readContract failure, transport ones included, in ContractFunctionExecutionError, so
 * the name alone cannot tell "the wallet said no" (403) from "the RPC did not answer" (503, worth a retry).
 */
function contractAnswered(err: unknown): boolean {
  return (
    err instanceof BaseError &&
    err.walk(
      (e) =>
        e instanceof ContractFunctionRevertedError ||
        e instanceof ContractFunctionZeroDataError ||
        e instanceof AbiDecodingZeroDataError ||
        e instanceof AbiDecodingDataSizeTooSmallError,
    ) !== null
  );
}

function rpcError(chainId: number, err: unknown) {
  return pushError(
    'PUSH_ERR_RPC_UNAVAILABLE',
    `chain ${chainId}: ${(err as Error)?.message ?? String(err)}`,
    {
      cause: err,
      details: { chainId },
    },
  );
}

/** Reads what admission needs from one chain, over its configured RPC endpoints (tried in order). */
export function createChainClient(chain: AdmissionChain): ChainClient {
  const viemChain = {
    id: chain.chainId,
    name: `chain-${chain.chainId}`,
    nativeCurrency: { name: 'ETH', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: chain.rpcUrls } },
  } as const satisfies Chain;
  const client = createPublicClient({
    chain: viemChain,
    // A caller waits on these calls (an HTTP request), so one retry round over the endpoints, not viem's four: the
    // fallback sets its transports' own retryCount to 0 and retries with its own (default 3), hence it is set here.
    // Hardhat answers a revert with -32603, which viem retries; real nodes' "execution reverted" is not retried.
    transport: fallback(
      chain.rpcUrls.map((u) => http(u, { timeout: 10_000 })),
      { retryCount: 1 },
    ),
  });
  const comm = chain.comm.toLowerCase();
  return {
    async sendNotificationLogs(txHash) {
      let receipt: Awaited<ReturnType<typeof client.getTransactionReceipt>>;
      try {
        receipt = await client.getTransactionReceipt({ hash: txHash });
      } catch (err) {
        if ((err as Error)?.name === 'TransactionReceiptNotFoundError') return [];
        throw rpcError(chain.chainId, err);
      }
      if (receipt.status !== 'success') return [];
      const out: SentNotificationLog[] = [];
      for (const log of receipt.logs) {
        if (log.address.toLowerCase() !== comm) continue;
        try {
          const ev = decodeEventLog({ abi: COMM_EVENTS, data: log.data, topics: log.topics });
          if (ev.eventName !== 'SendNotification') continue;
          out.push({
            logIndex: Number(log.logIndex),
            blockNumber: Number(log.blockNumber),
            blockHash: log.blockHash,
            channel: ev.args.channel.toLowerCase(),
            recipient: ev.args.recipient.toLowerCase(),
            identity: chainText(ev.args.identity as string),
          });
        } catch {
          // Another Comm event.
        }
      }
      return out;
    },
    async isValidSignature(account, digest, signature) {
      try {
        const code = await client.getCode({ address: account as Hex });
        if (!code || code === '0x') return false;
        const magic = await client.readContract({
          address: account as Hex,
          abi: ERC1271,
          functionName: 'isValidSignature',
          args: [digest, signature],
        });
        return magic.toLowerCase() === MAGIC;
      } catch (err) {
        if (contractAnswered(err)) return false;
        throw rpcError(chain.chainId, err);
      }
    },
    async blockTimestamp(blockNumber) {
      try {
        const b = await client.getBlock({ blockNumber: BigInt(blockNumber) });
        return Number(b.timestamp);
      } catch (err) {
        throw rpcError(chain.chainId, err);
      }
    },
  };
}
