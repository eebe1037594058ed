import type { Address } from 'viem';

/**
 * Where the official SDK (`@pushprotocol/restapi` ENV.LOCAL, identical to dev) expects the contracts. Placing our
 * code at these addresses on chains with these ids lets the unmodified SDK sign for, and talk to, a local node.
 */
export const CORE_CHAIN_ID = 11155111;
export const ALIAS_CHAIN_ID = 80002;

export const SDK_LOCAL_CORE_ADDRESS: Address = '0x5ab1520e2bd519bdab2e1347eee81c00a77f4946';
export const SDK_LOCAL_COMM_ADDRESSES: Readonly<Record<number, Address>> = {
  [CORE_CHAIN_ID]: '0x9dDCD7ed7151afab43044E4D694FA064742C428c',
  [ALIAS_CHAIN_ID]: '0x9cb3bd7550B5c92baA056Fc0F08132f49508145F',
};

/** The SDK's `source` strings (CHAIN_ID_TO_SOURCE); also used as each Comm's free-form `chainName`. */
export const CHAIN_SOURCE_NAMES: Readonly<Record<number, string>> = {
  [CORE_CHAIN_ID]: 'ETH_TEST_SEPOLIA',
  [ALIAS_CHAIN_ID]: 'POLYGON_TEST_AMOY',
};

export function caip10(chainId: number, address: string): string {
  return `eip155:${chainId}:${address}`;
}
