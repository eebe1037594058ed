/**
 * Channel metadata that completes an alias handshake and an alias-chain batch in flight at the same moment (Postgres:
 * transactions overlap) are serialised by the chain-writes lock (store/locks.ts): the metadata waits for the
 * batch's commit, then replays its opt-in. Without it, the batch read the alias as unverified and the replay could not
 * see the batch's inputs: the opt-in was applied by neither.
 */
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { IpfsClient } from '../../src/content/ipfs.js';
import { type ChainNotificationDoor, createStoreChainSink } from '../../src/ingest/chain/sink.js';
import { createChannelMetadataWorker } from '../../src/ingest/channel-metadata.js';
import { testChainLog } from '../support/chain-log.js';
import { storeBackends } from '../support/store-backends.js';
import { ALIAS_CHAIN_ID, addr, CORE_CHAIN_ID, testAdmission } from './support.js';

const logger = pino({ level: 'silent' });
const CH = 1;
const ALIAS = 3;
const USER = 11;
const T0 = 1_700_000_000;
const CID = 'bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a';

describe.each(storeBackends().filter((b) => b.name === 'postgres'))(
  'metadata-completed handshake vs an alias batch on $name',
  (backend) => {
    afterAll(() => backend.cleanup());

    it('the alias-chain opt-in counts for the channel', async () => {
      const store = await backend.open();
      const { admission } = testAdmission(store, { now: () => (T0 + 3600) * 1000 });
      let inTx!: () => void;
      const reached = new Promise<void>((r) => {
        inTx = r;
      });
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let hold = false;
      // The real door; while `hold`, the batch's transaction is kept open after its SendNotification (a long batch).
      const door: ChainNotificationDoor = {
        async admit(tx, l, origin) {
          const after = await admission.chainDoor.admit(tx, l, origin);
          if (hold) {
            inTx();
            await gate;
          }
          return after;
        },
      };
      const sink = createStoreChainSink({ store, coreChainId: CORE_CHAIN_ID, logger, notifications: door });
      const ipfs: IpfsClient = {
        fetch: async () => new Uint8Array(),
        fetchJson: async () => ({
          name: 'One',
          info: 'i',
          url: 'https://one',
          icon: 'https://one/i.png',
          aliasDetails: { [`eip155:${ALIAS_CHAIN_ID}`]: addr(ALIAS) },
        }),
      };
      const worker = createChannelMetadataWorker({
        store,
        ipfs,
        logger,
        coreChainId: CORE_CHAIN_ID,
        notifications: admission.chainDoor,
        now: () => (T0 + 3600) * 1000,
      });

      // Core chain: the channel exists (its metadata, which declares the alias, not fetched yet).
      await sink.apply(CORE_CHAIN_ID, {
        fromBlock: 100,
        toBlock: 100,
        logs: [
          testChainLog(
            'AddChannel',
            { channel: addr(CH), channelType: 2n, identity: `1+${CID}` },
            { blockNumber: 100 },
          ),
        ],
        blocks: [],
        finalizedBlock: 100,
      });
      // Alias chain: the alias confirms.
      await sink.apply(ALIAS_CHAIN_ID, {
        fromBlock: 50,
        toBlock: 50,
        logs: [
          testChainLog(
            'ChannelAlias',
            {
              _chainName: 'ETH_TEST_SEPOLIA',
              _chainID: BigInt(ALIAS_CHAIN_ID),
              _channelOwnerAddress: addr(ALIAS),
              _ethereumChannelAddress: `eip155:${CORE_CHAIN_ID}:${addr(CH)}`,
            },
            { chainId: ALIAS_CHAIN_ID, blockNumber: 50 },
          ),
        ],
        blocks: [],
        finalizedBlock: 50,
      });
      // Next alias batch: a user opts in to the alias, then more logs (held open here).
      hold = true;
      const applying = sink.apply(ALIAS_CHAIN_ID, {
        fromBlock: 51,
        toBlock: 52,
        logs: [
          testChainLog(
            'Subscribe',
            { channel: addr(ALIAS), user: addr(USER) },
            { chainId: ALIAS_CHAIN_ID, blockNumber: 51 },
          ),
          testChainLog(
            'SendNotification',
            { channel: addr(ALIAS), recipient: addr(ALIAS), identity: '0+1+Hi+there' },
            { chainId: ALIAS_CHAIN_ID, blockNumber: 52 },
          ),
        ],
        blocks: [],
        finalizedBlock: 52,
      });
      await reached;
      // Meanwhile the channel's metadata arrives and completes the handshake: it waits for the alias batch's commit.
      const resolving = worker.runOnce();
      await new Promise((r) => setTimeout(r, 300));
      release();
      await applying;
      await resolving;

      const alias = await store.db
        .selectFrom('aliases')
        .select(['declared', 'confirmed'])
        .executeTakeFirstOrThrow();
      const sub = await store.db
        .selectFrom('subscriptions')
        .select(['channel', 'subscribed'])
        .where('subscriber', '=', addr(USER))
        .execute();
      expect({
        alias: { declared: Number(alias.declared), confirmed: Number(alias.confirmed) },
        sub: sub.map((s) => ({ ...s, subscribed: Number(s.subscribed) })),
      }).toEqual({
        alias: { declared: 1, confirmed: 1 },
        sub: [{ channel: addr(CH), subscribed: 1 }],
      });
    });
  },
);
