import { testChainLog } from '../support/chain-log.js';
import { ALIAS_CHAIN_ID, addr, CORE_CHAIN_ID } from './support.js';

/**
 * One alias handshake as the chains record it, for the tests of indexing order: channel #1 is created on the core
 * chain and declares account #3 as its alias on the alias chain (block 100, time T0); later the alias confirms
 * (block 50), user #11 opts in to the alias (block 51) and the alias sends a broadcast (block 52) on the alias chain.
 */
export const CH = 1;
export const ALIAS = 3;
export const USER = 11;
/** seconds */
export const T0 = 1_700_000_000;

export const coreDeclaration = [
  testChainLog(
    'AddChannel',
    {
      channel: addr(CH),
      channelType: 2n,
      identity: '1+bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a',
    },
    { blockNumber: 100, timestamp: T0 },
  ),
  testChainLog(
    'ChannelAlias',
    {
      _chainName: 'POLYGON_TEST_AMOY',
      _chainID: BigInt(CORE_CHAIN_ID),
      _channelOwnerAddress: addr(CH),
      _ethereumChannelAddress: `eip155:${ALIAS_CHAIN_ID}:${addr(ALIAS)}`,
    },
    { blockNumber: 100, logIndex: 1, timestamp: T0 },
  ),
];

export const aliasConfirm = testChainLog(
  'ChannelAlias',
  {
    _chainName: 'ETH_TEST_SEPOLIA',
    _chainID: BigInt(ALIAS_CHAIN_ID),
    _channelOwnerAddress: addr(ALIAS),
    _ethereumChannelAddress: `eip155:${CORE_CHAIN_ID}:${addr(CH)}`,
  },
  { chainId: ALIAS_CHAIN_ID, blockNumber: 50, timestamp: T0 + 60 },
);

/** The opt-in and the broadcast on the alias chain, after the confirmation. */
export const aliasActivity = [
  testChainLog(
    'Subscribe',
    { channel: addr(ALIAS), user: addr(USER) },
    { chainId: ALIAS_CHAIN_ID, blockNumber: 51, timestamp: T0 + 120 },
  ),
  testChainLog(
    'SendNotification',
    { channel: addr(ALIAS), recipient: addr(ALIAS), identity: '0+1+Hello+from the alias chain' },
    { chainId: ALIAS_CHAIN_ID, blockNumber: 52, timestamp: T0 + 180 },
  ),
];
