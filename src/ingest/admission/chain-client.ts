import { type Chain, createPublicClient, decodeEventLog, fallback, type Hex, http, parseAbi } from 'viem';
import { pushError } from '../../errors.js';

export interface AdmissionChain {
  chainId: number;
  /** Comm contract of the chain (verifyingContract of its EIP-712 domain; emitter of SendNotification). */
  comm: string;
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
  /** ERC-1271: does the contract at `account` accept `signature` over `digest`? False for EOAs. */
  isValidSignature(account: string, digest: Hex, signature: Hex): Promise<boolean>;
  /** Block timestamp (seconds). */
  blockTimestamp(blockNumber: number): Promise<number>;
}

const COMM_EVENTS = parseAbi([
  'event SendNotification(address indexed channel, address indexed recipient, bytes identity)',
]);
const ERC1271 = parseAbi(['function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)']);
const MAGIC = '0x1626ba7e';

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
    transport: fallback(chain.rpcUrls.map((u) => http(u, { retryCount: 1, timeout: 10_000 }))),
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
            identity: Buffer.from((ev.args.identity as string).slice(2), 'hex').toString('utf8'),
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
        if ((err as Error)?.name === 'ContractFunctionExecutionError') return false;
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
