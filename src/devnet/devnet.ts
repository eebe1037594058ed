import pino, { type Logger } from 'pino';
import type { Address } from 'viem';
import { pushError } from '../errors.js';
import { DEFAULT_DEVNET_MNEMONIC, type DevnetAccount, devnetAccounts } from './accounts.js';
import {
  ALIAS_CHAIN_ID,
  CHAIN_SOURCE_NAMES,
  CORE_CHAIN_ID,
  SDK_LOCAL_COMM_ADDRESSES,
  SDK_LOCAL_CORE_ADDRESS,
} from './addresses.js';
import { type DevChain, startChain } from './chain.js';
import { deployPush } from './deploy.js';

export interface DevnetChainInfo {
  chainId: number;
  /** 'core': Core + Comm (11155111); 'alias': Comm only (80002). */
  role: 'core' | 'alias';
  /** The SDK's source name, e.g. ETH_TEST_SEPOLIA. */
  name: string;
  rpcUrl: string;
  wsUrl: string;
  core?: Address;
  comm: Address;
  /** First block that can hold a Push event on this chain. */
  startBlock: number;
}

export interface Devnet {
  chains: DevnetChainInfo[];
  /** Funded accounts (the same keys on both chains). #0 is pushChannelAdmin. */
  accounts: DevnetAccount[];
  admin: Address;
  /** Stops both chains. Idempotent. */
  stop(): Promise<void>;
}

export interface StartDevnetOptions {
  /** RPC ports in chain order [core 11155111, alias 80002]; missing entries get free ports. */
  ports?: readonly (number | undefined)[];
  logger?: Logger;
  mnemonic?: string;
  blockTimeMs?: number;
}

const CHAINS = [
  { chainId: CORE_CHAIN_ID, role: 'core' as const },
  { chainId: ALIAS_CHAIN_ID, role: 'alias' as const },
];

/**
 * Starts the two devnet chains (core 11155111, alias 80002), each a `hardhat node`, and places PushCore/PushComm at
 * the addresses the SDK uses in ENV.LOCAL. Nothing is seeded: see `seedDevnet`.
 */
export async function startDevnet(options: StartDevnetOptions = {}): Promise<Devnet> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const mnemonic = options.mnemonic ?? DEFAULT_DEVNET_MNEMONIC;
  const accounts = devnetAccounts(mnemonic);
  const admin = accounts[0]!.address;

  const started = await Promise.allSettled(
    CHAINS.map(({ chainId }, i) =>
      startChain({
        chainId,
        logger,
        mnemonic,
        ...(options.ports?.[i] !== undefined ? { port: options.ports[i] } : {}),
        ...(options.blockTimeMs !== undefined ? { blockTimeMs: options.blockTimeMs } : {}),
      }),
    ),
  );
  const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stopAll = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stopAll();
    throw failed.reason;
  }

  try {
    const chains: DevnetChainInfo[] = [];
    for (const [i, node] of (nodes as DevChain[]).entries()) {
      const { chainId, role } = CHAINS[i]!;
      const comm = SDK_LOCAL_COMM_ADDRESSES[chainId];
      if (!comm) throw pushError('PUSH_ERR_DEVNET_START', `No SDK Comm address for chain ${chainId}`);
      const deployment = await deployPush(node, {
        ...(role === 'core' ? { core: SDK_LOCAL_CORE_ADDRESS } : {}),
        comm,
        admin,
      });
      chains.push({
        chainId,
        role,
        name: CHAIN_SOURCE_NAMES[chainId] ?? `CHAIN_${chainId}`,
        rpcUrl: node.rpcUrl,
        wsUrl: node.wsUrl,
        ...(deployment.core ? { core: deployment.core } : {}),
        comm: deployment.comm,
        startBlock: deployment.startBlock,
      });
    }
    logger.info({ chains: chains.map((c) => ({ chainId: c.chainId, rpcUrl: c.rpcUrl })) }, 'devnet started');
    let stopping: Promise<void> | undefined;
    return {
      chains,
      accounts,
      admin,
      stop() {
        stopping ??= stopAll();
        return stopping;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The chain of a devnet by role; throws if the devnet lacks it. */
export function devnetChain(devnet: Pick<Devnet, 'chains'>, role: 'core' | 'alias'): DevnetChainInfo {
  const chain = devnet.chains.find((c) => c.role === role);
  if (!chain) throw pushError('PUSH_ERR_DEVNET_START', `The devnet has no ${role} chain`);
  return chain;
}
