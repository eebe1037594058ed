/**
 * The `source` strings of payloads: the SDK's CHAIN_ID_TO_SOURCE table (SDK contract §1.2) and its inverse, plus
 * the sources that are not a chain.
 */
import { fail, quote } from './text.js';

export const CHAIN_ID_TO_SOURCE = {
  1: 'ETH_MAINNET',
  11155111: 'ETH_TEST_SEPOLIA',
  137: 'POLYGON_MAINNET',
  80002: 'POLYGON_TEST_AMOY',
  56: 'BSC_MAINNET',
  97: 'BSC_TESTNET',
  10: 'OPTIMISM_MAINNET',
  11155420: 'OPTIMISM_TESTNET',
  2442: 'POLYGON_ZK_EVM_TESTNET',
  1101: 'POLYGON_ZK_EVM_MAINNET',
  421614: 'ARBITRUM_TESTNET',
  42161: 'ARBITRUMONE_MAINNET',
  122: 'FUSE_MAINNET',
  123: 'FUSE_TESTNET',
  80085: 'BERACHAIN_TESTNET',
  59141: 'LINEA_TESTNET',
  59144: 'LINEA_MAINNET',
  7560: 'CYBER_CONNECT_MAINNET',
  111557560: 'CYBER_CONNECT_TESTNET',
  84532: 'BASE_TESTNET',
  8453: 'BASE_MAINNET',
} as const satisfies Record<number, string>;

export type ChainSource = (typeof CHAIN_ID_TO_SOURCE)[keyof typeof CHAIN_ID_TO_SOURCE];

/**
 * Sources that are not a chain:
 * - THE_GRAPH: subgraph notifications; attributed to the core chain.
 * - SIMULATE: the SDK's "channel not found, sending to myself" mode; the original node honoured it on staging
 *   only, attributed to the core chain.
 * - PUSH_VIDEO: video-call notifications from chat senders; no chain.
 */
export const SPECIAL_SOURCES = {
  SIMULATE: 'SIMULATE',
  THE_GRAPH: 'THE_GRAPH',
  PUSH_VIDEO: 'PUSH_VIDEO',
} as const;
export type SpecialSource = (typeof SPECIAL_SOURCES)[keyof typeof SPECIAL_SOURCES];

/** Other spellings seen in the wild: the original node's staging config names Linea Sepolia differently. */
const SOURCE_ALIASES: Readonly<Record<string, number>> = { LINEA_SEPOLIA_TESTNET: 59141 };

export const SOURCE_TO_CHAIN_ID: Readonly<Record<string, number>> = Object.freeze({
  ...Object.fromEntries(Object.entries(CHAIN_ID_TO_SOURCE).map(([id, source]) => [source, Number(id)])),
  ...SOURCE_ALIASES,
});

export type ParsedSource =
  | { kind: 'chain'; source: string; chainId: number }
  | { kind: 'special'; source: SpecialSource };

const CODE = 'PUSH_ERR_INVALID_SOURCE';

export function parseSource(input: unknown, field = 'source'): ParsedSource {
  if (typeof input !== 'string') fail(CODE, `source must be a string, got ${quote(input)}`, field);
  if (Object.hasOwn(SOURCE_TO_CHAIN_ID, input)) {
    return { kind: 'chain', source: input, chainId: SOURCE_TO_CHAIN_ID[input] as number };
  }
  if (input === 'SIMULATE' || input === 'THE_GRAPH' || input === 'PUSH_VIDEO')
    return { kind: 'special', source: input };
  fail(CODE, `unknown source ${quote(input)}`, field, 'e.g. ETH_TEST_SEPOLIA, POLYGON_TEST_AMOY, THE_GRAPH');
}

/** The SDK's source string for a chain id, or null when the SDK knows no such chain. */
export function sourceForChainId(chainId: number): ChainSource | null {
  return Object.hasOwn(CHAIN_ID_TO_SOURCE, chainId)
    ? CHAIN_ID_TO_SOURCE[chainId as keyof typeof CHAIN_ID_TO_SOURCE]
    : null;
}

/**
 * The chain a payload's source stands for: its own chain, the core chain for THE_GRAPH and SIMULATE, and null
 * for PUSH_VIDEO (no chain).
 */
export function chainIdForSource(input: unknown, coreChainId: number, field = 'source'): number | null {
  const parsed = parseSource(input, field);
  if (parsed.kind === 'chain') return parsed.chainId;
  return parsed.source === 'PUSH_VIDEO' ? null : coreChainId;
}
