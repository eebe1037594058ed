import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { testBlockHash, testChainLog } from '../../../test/support/chain-log.js';
import { storeBackends } from '../../../test/support/store-backends.js';
import type { ChainLog } from '../../chains/types.js';
import { createStoreChainSink } from './sink.js';

const CORE = 11155111;
const ALIAS_CHAIN = 80002;
const CH = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const ALIAS = '0xbcd4042de499d14e55001ccbb24a551f3b954096';
const OTHER = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc';
const ADMIN = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const ZERO = '0x0000000000000000000000000000000000000000';
const D = (n: number) => `0x${n.toString(16).padStart(40, 'd')}`;

describe.each(storeBackends())('TimeBoundChannelDestroyed on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it('deletes the channel’s delegates and its alias’s delegates, journaled so a reorg brings them back', async () => {
    const store = await backend.open();
    const sink = createStoreChainSink({ store, coreChainId: CORE, logger: pino({ level: 'silent' }) });
    const block = (chainId: number, n: number, logs: ChainLog[], finalizedBlock: number) =>
      sink.apply(chainId, {
        fromBlock: n,
        toBlock: n,
        logs,
        blocks: [n - 1, n].map((b) => ({
          number: b,
          hash: testBlockHash(chainId, b),
          parentHash: testBlockHash(chainId, b - 1),
          timestamp: b,
        })),
        finalizedBlock,
      });

    // Final history: the channel (type 4, time-bound), a verified alias, delegates on both chains, a subscriber;
    // another channel's delegate that must stay.
    await block(
      CORE,
      10,
      [
        testChainLog('AddChannel', { channel: CH, channelType: 4n, identity: '1+x' }, { blockNumber: 10 }),
        testChainLog(
          'AddChannel',
          { channel: OTHER, channelType: 2n, identity: '1+x' },
          { blockNumber: 10, logIndex: 1 },
        ),
        testChainLog(
          'ChannelAlias',
          {
            _chainName: 'ETH',
            _chainID: BigInt(CORE),
            _channelOwnerAddress: CH,
            _ethereumChannelAddress: `eip155:${ALIAS_CHAIN}:${ALIAS}`,
          },
          { blockNumber: 10, logIndex: 2 },
        ),
        testChainLog('AddDelegate', { channel: CH, delegate: D(1) }, { blockNumber: 10, logIndex: 3 }),
        testChainLog('AddDelegate', { channel: OTHER, delegate: D(2) }, { blockNumber: 10, logIndex: 4 }),
        testChainLog('Subscribe', { channel: CH, user: D(5) }, { blockNumber: 10, logIndex: 5 }),
      ],
      10,
    );
    await block(
      ALIAS_CHAIN,
      5,
      [
        testChainLog(
          'ChannelAlias',
          {
            _chainName: 'POLYGON',
            _chainID: BigInt(ALIAS_CHAIN),
            _channelOwnerAddress: ALIAS,
            _ethereumChannelAddress: CH,
          },
          { chainId: ALIAS_CHAIN, blockNumber: 5 },
        ),
        testChainLog(
          'AddDelegate',
          { channel: ALIAS, delegate: D(3) },
          { chainId: ALIAS_CHAIN, blockNumber: 5, logIndex: 1 },
        ),
      ],
      5,
    );
    const delegates = () =>
      store.db
        .selectFrom('delegates')
        .select(['chain_id', 'channel', 'delegate'])
        .orderBy('delegate')
        .execute();
    const before = await delegates();
    expect(before).toEqual([
      { chain_id: CORE, channel: CH, delegate: D(1) },
      { chain_id: CORE, channel: OTHER, delegate: D(2) },
      { chain_id: ALIAS_CHAIN, channel: ALIAS, delegate: D(3) },
    ]);

    // Destroyed by the admin (the event names msg.sender), in an unfinalised block: contracts.md's log sequence.
    const inTx = (logIndex: number) => ({
      blockNumber: 11,
      logIndex,
      txHash: `0x${'99'.repeat(32)}` as const,
    });
    await block(
      CORE,
      11,
      [
        testChainLog('Unsubscribe', { channel: ZERO, user: CH }, inTx(0)),
        testChainLog('Unsubscribe', { channel: CH, user: CH }, inTx(1)),
        testChainLog('Unsubscribe', { channel: CH, user: ADMIN }, inTx(2)),
        testChainLog('TimeBoundChannelDestroyed', { channel: ADMIN, amountRefunded: 0n }, inTx(3)),
      ],
      10,
    );
    expect(await delegates()).toEqual([{ chain_id: CORE, channel: OTHER, delegate: D(2) }]);
    expect(await store.db.selectFrom('aliases').selectAll().execute()).toEqual([]);
    const row = await store.db
      .selectFrom('channels')
      .select('state')
      .where('channel', '=', CH)
      .executeTakeFirst();
    expect(row?.state).toBe(0);

    // The destroy is reorged away: the delegates (and the rest) are back.
    await sink.rollback(CORE, 10);
    expect(await delegates()).toEqual(before);
    expect(
      await store.db.selectFrom('aliases').select(['channel', 'declared', 'confirmed']).execute(),
    ).toEqual([{ channel: CH, declared: 1, confirmed: 1 }]);
  });
});
