/**
 * An `eip155:` proof over HTTP naming a log in a block the indexer has not reached yet is checked but not stored: if
 * that block were reorged away before the indexer got there, nothing would ever undo it (the indexer rolls back only
 * blocks it recorded), and the re-mined transaction would be admitted a second time. The indexer admits the log when
 * it reaches the canonical block: one notification for one on-chain send.
 */
import type { Hex } from 'viem';
import { afterAll, describe, expect, it } from 'vitest';
import type { SentNotificationLog } from '../../src/ingest/admission/chain-client.js';
import type { ChainClient } from '../../src/ingest/admission/index.js';
import { listUserFeed } from '../../src/store/repos/feeds.js';
import { testChainLog } from '../support/chain-log.js';
import { storeBackends } from '../support/store-backends.js';
import { addr, CORE_ADMISSION_CHAIN, CORE_CHAIN_ID, seedChannel, testAdmission } from './support.js';

const CH = 1;
const A = 11;
const TX = `0x${'ab'.repeat(32)}` as Hex;
const H10 = `0x${'cd'.repeat(32)}` as Hex; // the block the tx was first mined in (orphaned later)
const H11 = `0x${'ef'.repeat(32)}` as Hex; // the block it is re-mined in
const IDENTITY = '0+3+Alert+your position';
const clock = 1_700_000_000_000;

describe.each(storeBackends())(
  'eip155 proof of a block the indexer never saw, reorged on $name',
  (backend) => {
    afterAll(() => backend.cleanup());

    it('leaves one notification once the tx is re-mined and indexed', async () => {
      const store = await backend.open();
      const first: SentNotificationLog = {
        logIndex: 0,
        blockNumber: 10,
        blockHash: H10,
        channel: addr(CH),
        recipient: addr(A),
        identity: IDENTITY,
      };
      const client: ChainClient = {
        async sendNotificationLogs(tx) {
          return tx === TX ? [first] : [];
        },
        async isValidSignature() {
          return false;
        },
        async blockTimestamp() {
          return clock / 1000 - 60;
        },
      };
      const { admission, events, sink } = testAdmission(store, {
        chains: [CORE_ADMISSION_CHAIN],
        chainClients: new Map([[CORE_CHAIN_ID, client]]),
        now: () => clock,
      });
      await seedChannel(store.db, CH);

      // The indexer has reached block 9 (cursor 9). The dApp posts the proof right after its tx was mined in block 10.
      await sink.apply(CORE_CHAIN_ID, { fromBlock: 9, toBlock: 9, logs: [], blocks: [], finalizedBlock: 0 });
      await admission.admitPayload({
        verificationProof: `eip155:${CORE_CHAIN_ID}:${TX}`,
        sender: `eip155:${CORE_CHAIN_ID}:${addr(CH)}`,
        recipient: `eip155:${CORE_CHAIN_ID}:${addr(A)}`,
        source: 'ETH_TEST_SEPOLIA',
        identity: IDENTITY,
      });
      // Block 10 is reorged away above the indexer's cursor; the tx is re-mined in block 11. The indexer's next range
      // (10..11) is the canonical one; block 9 is unchanged, so no rollback is ever requested.
      const remined = testChainLog(
        'SendNotification',
        { channel: addr(CH), recipient: addr(A), identity: IDENTITY },
        { blockNumber: 11, blockHash: H11, txHash: TX, timestamp: clock / 1000 - 30 },
      );
      await sink.apply(CORE_CHAIN_ID, {
        fromBlock: 10,
        toBlock: 11,
        logs: [remined],
        blocks: [],
        finalizedBlock: 0,
      });

      const inbox = await listUserFeed(store.db, { user: addr(A), box: 'inbox', limit: 50, now: clock });
      const spam = await listUserFeed(store.db, { user: addr(A), box: 'spam', limit: 50, now: clock });
      const orphanInputs = await store.db
        .selectFrom('inputs')
        .select('key')
        .where('block_hash', '=', H10)
        .execute();
      expect({
        items: inbox.feeds.length + spam.feeds.length,
        published: events.length,
        orphanInputs: orphanInputs.length,
      }).toEqual({ items: 1, published: 1, orphanInputs: 0 });
    });
  },
);
