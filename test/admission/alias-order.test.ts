/**
 * The chains are indexed independently, so the alias chain may be indexed before the core chain's alias declaration:
 * the alias's opt-ins and notifications set aside then are applied when the handshake completes, and the final state
 * does not depend on which chain was indexed first.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { listUserFeed } from '../../src/store/repos/feeds.js';
import { testChainLog } from '../support/chain-log.js';
import { storeBackends } from '../support/store-backends.js';
import { ALIAS_CHAIN_ID, addr, CORE_CHAIN_ID, testAdmission } from './support.js';

const CH = 1;
const ALIAS = 3;
const USER = 11;
const T0 = 1_700_000_000; // seconds

// Core chain: the channel is created and declares its alias at T0.
const coreLogs = [
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
// Alias chain, later in time: the alias confirms, a user opts in there, the alias sends a broadcast.
const aliasLogs = [
  testChainLog(
    'ChannelAlias',
    {
      _chainName: 'ETH_TEST_SEPOLIA',
      _chainID: BigInt(ALIAS_CHAIN_ID),
      _channelOwnerAddress: addr(ALIAS),
      _ethereumChannelAddress: `eip155:${CORE_CHAIN_ID}:${addr(CH)}`,
    },
    { chainId: ALIAS_CHAIN_ID, blockNumber: 50, timestamp: T0 + 60 },
  ),
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

describe.each(storeBackends())('alias chain indexed before/after the core chain on $name', (backend) => {
  afterAll(() => backend.cleanup());

  async function run(order: 'core-first' | 'alias-first') {
    const store = await backend.open();
    const { sink } = testAdmission(store, { now: () => (T0 + 3600) * 1000 });
    // Each chain's batch (its notifications admitted with it) commits before the other chain's batch.
    const core = async () => {
      await sink.apply(CORE_CHAIN_ID, {
        fromBlock: 100,
        toBlock: 100,
        logs: coreLogs,
        blocks: [],
        finalizedBlock: 100,
      });
    };
    const alias = async () => {
      await sink.apply(ALIAS_CHAIN_ID, {
        fromBlock: 50,
        toBlock: 52,
        logs: aliasLogs,
        blocks: [],
        finalizedBlock: 52,
      });
    };
    if (order === 'core-first') {
      await core();
      await alias();
    } else {
      await alias();
      await core();
    }
    const sub = await store.db
      .selectFrom('subscriptions')
      .select(['channel', 'subscriber', 'subscribed'])
      .where('subscriber', '=', addr(USER))
      .execute();
    const notifications = await store.db.selectFrom('notifications').select(['id', 'channel']).execute();
    const inbox = await listUserFeed(store.db, {
      user: addr(USER),
      box: 'inbox',
      limit: 10,
      now: (T0 + 3600) * 1000,
    });
    return {
      subscriptions: sub.map((s) => ({ ...s, subscribed: Number(s.subscribed) })),
      notifications: notifications.length,
      inbox: inbox.feeds.length,
    };
  }

  it('gives the same opt-ins and notifications whichever chain the indexer reached first', async () => {
    const coreFirst = await run('core-first');
    expect(coreFirst).toEqual({
      subscriptions: [{ channel: addr(CH), subscriber: addr(USER), subscribed: 1 }],
      notifications: 1,
      inbox: 1,
    });
    const aliasFirst = await run('alias-first');
    expect(aliasFirst).toEqual(coreFirst);
  });
});
