import type { Address } from 'viem';
import { loadPushArtifacts } from '../contracts/artifacts.js';
import { pushError } from '../errors.js';
import { CHAIN_SOURCE_NAMES } from './addresses.js';
import { devnetPublicClient, devnetTestClient, sendContractCall } from './clients.js';

export interface DeployPushOptions {
  /** Where to place PushCore (the core chain only). */
  core?: Address;
  /** Where to place PushComm (every chain). */
  comm: Address;
  /** pushChannelAdmin of both contracts; must be an account the node holds unlocked (a hardhat account). */
  admin: Address;
  /** Comm's free-form `chainName`; defaults to the SDK's source name of the chain. */
  chainName?: string;
}

export interface PushDeployment {
  chainId: number;
  core?: Address;
  comm: Address;
  admin: Address;
  /** The first block that can hold an event of these contracts: where an indexer starts. */
  startBlock: number;
}

/**
 * Places the runtime code of PushCore/PushComm at fixed addresses with `hardhat_setCode` (constructors never run) and
 * initialises them. Fixed addresses are the point: the SDK's ENV.LOCAL hard-codes them as EIP-712 verifyingContract.
 */
export async function deployPush(
  chain: { chainId: number; rpcUrl: string },
  options: DeployPushOptions,
): Promise<PushDeployment> {
  const { core: coreArtifact, comm: commArtifact } = await loadPushArtifacts();
  const testClient = devnetTestClient(chain.chainId, chain.rpcUrl);
  const publicClient = devnetPublicClient(chain.chainId, chain.rpcUrl);
  const zero: Address = '0x0000000000000000000000000000000000000000';

  // setCode keeps storage: placing code over an initialised deployment would silently keep the old state.
  const targets = [
    { address: options.core, artifact: coreArtifact },
    { address: options.comm, artifact: commArtifact },
  ];
  for (const { address, artifact } of targets) {
    if (!address) continue;
    const code = await publicClient.getCode({ address });
    if (!code || code === '0x') continue;
    const initialized = await publicClient
      .readContract({ address, abi: artifact.abi, functionName: 'initialized' })
      .catch(() => false);
    if (initialized === true) {
      throw pushError('PUSH_ERR_DEVNET_START', `A Push contract is already deployed at ${address}`, {
        hint: 'deploy once per chain, or start a fresh chain',
        details: { chainId: chain.chainId, address },
      });
    }
  }

  const startBlock = Number(await publicClient.getBlockNumber()) + 1;
  await testClient.setCode({ address: options.comm, bytecode: commArtifact.deployedBytecode });
  if (options.core)
    await testClient.setCode({ address: options.core, bytecode: coreArtifact.deployedBytecode });

  await sendContractCall(chain, options.admin, {
    address: options.comm,
    abi: commArtifact.abi,
    functionName: 'initialize',
    args: [
      options.admin,
      options.chainName ?? CHAIN_SOURCE_NAMES[chain.chainId] ?? `CHAIN_${chain.chainId}`,
      0n,
      options.core ?? zero,
    ],
  });
  if (options.core) {
    await sendContractCall(chain, options.admin, {
      address: options.core,
      abi: coreArtifact.abi,
      functionName: 'initialize',
      args: [options.admin, options.comm],
    });
  }
  return {
    chainId: chain.chainId,
    ...(options.core ? { core: options.core } : {}),
    comm: options.comm,
    admin: options.admin,
    startBlock,
  };
}
