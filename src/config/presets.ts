/**
 * Chain presets per network, from reference/contracts.md §8 and push-node-reference.md §1.4.
 * RPC URLs are never part of a preset (they are operator secrets or local ports): they come from the config file or
 * `PUSH_NODE_RPC_<chainId>` / `PUSH_NODE_WS_<chainId>`.
 */
export interface ChainPreset {
  chainId: number;
  name: string;
  core?: `0x${string}`;
  comm: `0x${string}`;
  /** EIP-712 `verifyingContract` SDK users sign with, when the SDK's config names another Comm than `comm`. */
  signingComm?: `0x${string}`;
  startBlock: number;
  /** Below this block on-chain identities use the pre-NPIP `<type>+<hash>` form (push-node-reference.md §4.3). */
  npipBlock?: number;
  finalityDepth: number;
  blockTimeMs: number;
}

export interface NetworkPreset {
  coreChainId: number;
  chains: ChainPreset[];
  ipfsGateways: string[];
}

const COMM = '0xb3971BCef2D791bc4027BbfedFb47319A4AAaaAa';

export const PRESETS: Record<'local' | 'testnet' | 'mainnet', NetworkPreset> = {
  // The devnet: chain ids and contract addresses the official SDK uses in its `local` environment.
  local: {
    coreChainId: 11155111,
    ipfsGateways: [],
    chains: [
      {
        chainId: 11155111,
        name: 'devnet-core',
        core: '0x5ab1520e2bd519bdab2e1347eee81c00a77f4946',
        comm: '0x9dDCD7ed7151afab43044E4D694FA064742C428c',
        startBlock: 0,
        finalityDepth: 3,
        blockTimeMs: 1000,
      },
      {
        chainId: 80002,
        name: 'devnet-alias',
        comm: '0x9cb3bd7550B5c92baA056Fc0F08132f49508145F',
        startBlock: 0,
        finalityDepth: 3,
        blockTimeMs: 1000,
      },
    ],
  },
  // Push staging contracts on public testnets.
  testnet: {
    coreChainId: 11155111,
    ipfsGateways: ['https://ipfs.io/ipfs/', 'https://cloudflare-ipfs.com/ipfs/'],
    chains: [
      {
        chainId: 11155111,
        name: 'sepolia',
        core: '0x9d65129223451fbd58fc299C635Cd919BaF2564C',
        comm: '0x0C34d54a09CFe75BCcd878A469206Ae77E0fe6e7',
        startBlock: 4658135,
        finalityDepth: 65,
        blockTimeMs: 12000,
      },
      {
        chainId: 80002,
        name: 'amoy',
        comm: COMM,
        startBlock: 5391420,
        finalityDepth: 200,
        blockTimeMs: 2000,
      },
      {
        chainId: 97,
        name: 'bsc-testnet',
        comm: COMM,
        startBlock: 26233387,
        finalityDepth: 30,
        blockTimeMs: 3000,
      },
      {
        chainId: 421614,
        name: 'arbitrum-sepolia',
        comm: '0x9Dc25996ba72A2FD7E64e7a674232a683f406F1A',
        startBlock: 18941411,
        finalityDepth: 240,
        blockTimeMs: 250,
      },
      {
        chainId: 11155420,
        name: 'optimism-sepolia',
        comm: '0x9Dc25996ba72A2FD7E64e7a674232a683f406F1A',
        startBlock: 8751193,
        finalityDepth: 30,
        blockTimeMs: 2000,
      },
      {
        chainId: 2442,
        name: 'polygon-zkevm-cardona',
        comm: '0x6e489B7af21cEb969f49A90E481274966ce9D74d',
        startBlock: 2497786,
        finalityDepth: 30,
        blockTimeMs: 5000,
      },
      {
        chainId: 123,
        name: 'fuse-sparknet',
        comm: COMM,
        startBlock: 13708535,
        finalityDepth: 30,
        blockTimeMs: 5000,
      },
      {
        chainId: 59141,
        name: 'linea-sepolia',
        comm: COMM,
        // contracts.md §8.2: the SDK's staging config and the original node's disagree on this chain's Comm; whichever
        // emits the events, SDK users sign for the SDK's.
        signingComm: '0x9cb3bd7550B5c92baA056Fc0F08132f49508145F',
        startBlock: 101144,
        finalityDepth: 30,
        blockTimeMs: 2000,
      },
      {
        chainId: 111557560,
        name: 'cyber-testnet',
        comm: '0x6e489B7af21cEb969f49A90E481274966ce9D74d',
        startBlock: 489086,
        finalityDepth: 30,
        blockTimeMs: 2000,
      },
      {
        chainId: 80085,
        name: 'berachain-testnet',
        comm: '0x7b9C405e261ba671f008c20D0321f62d08C140EC',
        startBlock: 572465,
        finalityDepth: 30,
        blockTimeMs: 2000,
      },
      {
        chainId: 84532,
        name: 'base-sepolia',
        comm: '0x6e489B7af21cEb969f49A90E481274966ce9D74d',
        startBlock: 10903185,
        finalityDepth: 30,
        blockTimeMs: 2000,
      },
    ],
  },
  mainnet: {
    coreChainId: 1,
    ipfsGateways: ['https://ipfs.io/ipfs/', 'https://cloudflare-ipfs.com/ipfs/'],
    chains: [
      {
        chainId: 1,
        name: 'ethereum',
        core: '0x66329Fdd4042928BfCAB60b179e1538D56eeeeeE',
        comm: COMM,
        startBlock: 13888169,
        npipBlock: 15546381,
        finalityDepth: 65,
        blockTimeMs: 12000,
      },
      {
        chainId: 137,
        name: 'polygon',
        comm: COMM,
        startBlock: 23028042,
        npipBlock: 33179132,
        finalityDepth: 200,
        blockTimeMs: 2000,
      },
      { chainId: 56, name: 'bsc', comm: COMM, startBlock: 24673496, finalityDepth: 30, blockTimeMs: 3000 },
      {
        chainId: 42161,
        name: 'arbitrum',
        comm: COMM,
        startBlock: 4785764,
        finalityDepth: 240,
        blockTimeMs: 250,
      },
      {
        chainId: 10,
        name: 'optimism',
        comm: COMM,
        startBlock: 6159590,
        finalityDepth: 30,
        blockTimeMs: 2000,
      },
      {
        chainId: 1101,
        name: 'polygon-zkevm',
        comm: COMM,
        startBlock: 6159590,
        finalityDepth: 30,
        blockTimeMs: 5000,
      },
      { chainId: 122, name: 'fuse', comm: COMM, startBlock: 27280871, finalityDepth: 30, blockTimeMs: 5000 },
      {
        chainId: 59144,
        name: 'linea',
        comm: '0x0d8e75CB5d8873c43c5d9Add71Fd71a09F7Ef890',
        startBlock: 3146109,
        finalityDepth: 30,
        blockTimeMs: 2000,
      },
      { chainId: 7560, name: 'cyber', comm: COMM, startBlock: 489086, finalityDepth: 30, blockTimeMs: 2000 },
      { chainId: 8453, name: 'base', comm: COMM, startBlock: 15443480, finalityDepth: 30, blockTimeMs: 2000 },
    ],
  },
};
