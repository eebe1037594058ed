/**
 * Late content filed by the retry loop (a fresh id journaled under the log's block) and a reorg rollback of that block
 * at the same moment (Postgres) are serialised by the chain-writes lock: the rollback sees the retry's journal entries
 * and undoes the notification it filed.
 *
 * The interleaving is forced with a table lock held by a third connection (feed_entries, SHARE): the retry blocks on
 * its feed-entry insert with its claim done while the rollback is started, then the lock is released.
 */

import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { testChainLog } from '../support/chain-log.js';
import { storeBackends, TEST_DATABASE_URL } from '../support/store-backends.js';
import {
  addr,
  CORE_ADMISSION_CHAIN,
  CORE_CHAIN_ID,
  sdkPayloadJson,
  seedChannel,
  testAdmission,
} from './support.js';

const CH = 1;
const USER = 11;
const CID = 'bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a';
const clock = 1_700_000_000_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(storeBackends().filter((b) => b.name === 'postgres'))(
  'content retry vs reorg on $name',
  (backend) => {
    afterAll(() => backend.cleanup());

    it('a reorg of the block undoes the notification its late content filed meanwhile', async () => {
      const store = await backend.open();
      await seedChannel(store.db, CH);
      const json = JSON.parse(
        sdkPayloadJson(`eip155:${CORE_CHAIN_ID}:${addr(CH)}`, {
          type: 3,
          recipients: [`eip155:${CORE_CHAIN_ID}:${addr(USER)}`],
        }),
      );
      let open!: () => void;
      const fetched = new Promise<void>((r) => {
        open = r;
      });
      const { admission, sink } = testAdmission(store, {
        chains: [CORE_ADMISSION_CHAIN],
        ipfs: {
          async fetchJson() {
            await fetched;
            return json;
          },
        },
        now: () => clock,
      });
      const chainLog = testChainLog(
        'SendNotification',
        { channel: addr(CH), recipient: addr(USER), identity: `1+${CID}` },
        { blockNumber: 10, timestamp: clock / 1000 - 60 },
      );
      await sink.apply(CORE_CHAIN_ID, { fromBlock: 9, toBlock: 9, logs: [], blocks: [], finalizedBlock: 0 });
      // Block 10, unfinalised: stored as due; the commit starts a retry round (its fetch waits for `open`).
      await sink.apply(CORE_CHAIN_ID, {
        fromBlock: 10,
        toBlock: 10,
        logs: [chainLog],
        blocks: [],
        finalizedBlock: 0,
      });
      const round = admission.retryPendingContent(); // the round already running

      const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(store.db)).rows[0]!.s;
      const locker = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await locker.connect();
      try {
        await locker.query('BEGIN');
        await locker.query(`LOCK TABLE ${schema}.feed_entries IN SHARE MODE`);
        open(); // the retry claims the row, then waits on the feed-entry insert
        await sleep(500);
        const rollingBack = sink.rollback(CORE_CHAIN_ID, 9); // a reorg from block 10 on
        await sleep(500);
        await locker.query('COMMIT');
        await rollingBack;
        await round;
      } finally {
        await locker.end();
      }
      const notifications = await store.db.selectFrom('notifications').select(['id', 'status']).execute();
      const entries = await store.db.selectFrom('feed_entries').select('notification_id').execute();
      const inputs = await store.db.selectFrom('inputs').select('key').execute();
      expect({ notifications, entries, inputs }).toEqual({ notifications: [], entries: [], inputs: [] });
    });
  },
);
