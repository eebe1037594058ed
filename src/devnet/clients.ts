import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  type Hash,
  type Hex,
  http,
  type PublicClient,
  type TransactionReceipt,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { pushError } from '../errors.js';

/** Hardhat answers in milliseconds; viem's default 4 s polling would dominate every wait. */
const POLLING_MS = 50;

export function devnetViemChain(chainId: number, rpcUrl: string): Chain {
  return defineChain({
    id: chainId,
    name: `push-devnet-${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

export function devnetPublicClient(chainId: number, rpcUrl: string): PublicClient {
  return createPublicClient({
    chain: devnetViemChain(chainId, rpcUrl),
    transport: http(rpcUrl),
    pollingInterval: POLLING_MS,
  });
}

export function devnetTestClient(chainId: number, rpcUrl: string) {
  return createTestClient({
    mode: 'hardhat',
    chain: devnetViemChain(chainId, rpcUrl),
    transport: http(rpcUrl),
    pollingInterval: POLLING_MS,
  });
}

/**
 * A wallet for one signer: a private key (signed locally, works against any node) or an address the node holds
 * unlocked (hardhat's own accounts, signed by the node).
 */
export function devnetWalletClient(chainId: number, rpcUrl: string, signer: Hex | Address) {
  const account: Account | Address =
    signer.length === 66 ? privateKeyToAccount(signer as Hex) : (signer as Address);
  return createWalletClient({
    account,
    chain: devnetViemChain(chainId, rpcUrl),
    transport: http(rpcUrl),
    pollingInterval: POLLING_MS,
  });
}

export interface ContractCall {
  address: Address;
  abi: Abi;
  functionName: string;
  args?: readonly unknown[];
}

/**
 * Sends one contract call and waits for its receipt; a revert (or a failed receipt) becomes a PushError that names
 * the call, so a seed or deploy step that goes wrong says which one.
 */
export async function sendContractCall(
  target: { chainId: number; rpcUrl: string },
  signer: Hex | Address,
  call: ContractCall,
): Promise<TransactionReceipt> {
  const wallet = devnetWalletClient(target.chainId, target.rpcUrl, signer);
  const publicClient = devnetPublicClient(target.chainId, target.rpcUrl);
  let hash: Hash;
  try {
    hash = await wallet.writeContract({
      address: call.address,
      abi: call.abi,
      functionName: call.functionName,
      args: call.args ?? [],
      chain: wallet.chain,
      account: wallet.account,
    });
  } catch (err) {
    throw pushError(
      'PUSH_ERR_DEVNET_START',
      `${call.functionName} on ${call.address} failed: ${shortMessage(err)}`,
      {
        details: { chainId: target.chainId, contract: call.address, functionName: call.functionName },
        cause: err,
      },
    );
  }
  const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: POLLING_MS });
  if (receipt.status !== 'success') {
    throw pushError('PUSH_ERR_DEVNET_START', `${call.functionName} on ${call.address} reverted`, {
      details: { chainId: target.chainId, txHash: hash },
    });
  }
  return receipt;
}

function shortMessage(err: unknown): string {
  if (err && typeof err === 'object' && 'shortMessage' in err && typeof err.shortMessage === 'string') {
    return err.shortMessage;
  }
  return err instanceof Error ? err.message : String(err);
}
