import type { ChainSpec, Hex } from '../chains/types.js';

export type Network = 'local' | 'testnet' | 'mainnet';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** A chain the node indexes: the indexer's spec plus what only admission needs. */
export interface ChainConfig extends ChainSpec {
  /** Below this block on-chain identities use the pre-NPIP `<type>+<hash>` form. */
  npipBlock?: number;
  /**
   * The Comm address SDK users sign for on this chain (EIP-712 `verifyingContract`), when it is not `comm`: the SDK
   * takes it from its own config, which for some testnets names another deployment than the one emitting events.
   */
  signingComm?: Hex;
}

/** The resolved configuration: preset + file + environment, validated. */
export interface NodeConfig {
  network: Network;
  host: string;
  port: number;
  publicUrl: string;
  /** True when the operator set publicUrl; otherwise it is derived from host and port (127.0.0.1 for a wildcard host). */
  publicUrlExplicit: boolean;
  dataDir: string;
  /** True when the operator chose the data dir (then it must exist); the default one is created on demand. */
  dataDirExplicit: boolean;
  logLevel: LogLevel;
  database: { url?: string; poolSize: number; preparedStatements: boolean };
  redis: { url?: string };
  coreChainId: number;
  /** Chains the node indexes (those with at least one RPC URL). */
  chains: ChainConfig[];
  /** Preset chains left out because no RPC URL is configured, with the env var that would enable them. */
  disabledChains: { chainId: number; name: string; reason: string }[];
  indexer: { enabled: boolean };
  ipfs: { gateways: string[]; timeoutMs: number };
  /** Where channels' subgraphs are queried (identity `3+graph:<id>+<n>`): `<url><subgraphId>`. None: type 3 refused. */
  subgraph: { url?: string; timeoutMs: number };
  api: {
    maxPageSize: number;
    bodyLimitBytes: number;
    corsOrigins: string[];
    /** Fastify's trustProxy: which X-Forwarded-For to believe for the client IP (per-IP rate limit). */
    trustProxy: boolean | string[];
    /** Who may register a `mode=delivery` socket (see realtime/delivery-access.ts). */
    deliveryNodes: 'any' | string[];
  };
  /** Admission limits the operator set (absent: admission's defaults); a null bucket turns that rate limit off. */
  admission: {
    maxIdentityBytes?: number;
    perIp?: { capacity: number; refillPerSecond: number } | null;
    perChannel?: { capacity: number; refillPerSecond: number } | null;
  };
}
