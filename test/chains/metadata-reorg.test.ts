import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChainIndexer } from '../../src/chains/indexer.js';
import { startTestChain, type TestChain } from '../../src/chains/testing/chain.js';
import type { IpfsClient } from '../../src/content/ipfs.js';
import { createStoreChainSink } from '../../src/ingest/chain/sink.js';
import { createChannelMetadataWorker } from '../../src/ingest/channel-metadata.js';
import { storeBackends } from '../support/store-backends.js';

/**
 * Channel metadata is resolved after the chain transaction by the metadata worker, which also writes the aliases the
 * metadata declares (`aliasDetails`, step 1 of the handshake). A reorg that orphans the AddChannel they came from
 * must take them back with the channel, as a from-scratch index of the final chain has neither. (Finer cases, with
 * a synthetic chain: src/ingest/channel-metadata.test.ts.)
 */

const CH = '0x5555555555555555555555555555555555555555';
const ALIAS = '0x6666666666666666666666666666666666666666';
const CID = 'bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a';
const silent = pino({ level: 'silent' });
let tc: TestChain;

const hex = (s: string) => `0x${Buffer.from(s, 'utf8').toString('hex')}` as const;

beforeAll(async () => {
  tc = await startTestChain();
  await tc.mine(3);
});
afterAll(async () => {
  await tc?.stop();
});

const metadata = {
  name: 'Reorged channel',
  info: 'created in a block that is orphaned',
  url: 'https://example.org',
  icon: 'https://example.org/icon.png',
  aliasDetails: { 'eip155:80002': ALIAS },
};
const ipfs: IpfsClient = {
  fetch: async () => new TextEncoder().encode(JSON.stringify(metadata)),
  fetchJson: async () => metadata,
};

describe.each(storeBackends())(
  'a reorg that orphans the AddChannel whose metadata declared an alias, on $name',
  (backend) => {
    afterAll(() => backend.cleanup());

    it('leaves neither the channel nor its alias behind', async () => {
      const store = await backend.open();
      const ix = createChainIndexer({
        spec: tc.spec({ finalityDepth: 10, blockTimeMs: 200 }),
        sink: createStoreChainSink({ store, coreChainId: 31337, logger: silent }),
        logger: silent,
        registry: new Registry(),
        progress: 'off',
        pollMs: 25,
        retryBaseMs: 20,
      });
      const worker = createChannelMetadataWorker({ store, ipfs, logger: silent });
      try {
        await ix.start();
        await ix.whenSynced(await tc.blockNumber());
        const snap = await tc.rpc<string>('evm_snapshot');
        await tc.emitters.call('core', 'addChannel', [CH, 2, hex(`1+${CID}`)]);
        await ix.whenSynced(await tc.blockNumber());
        expect(await worker.runOnce()).toBe(1);
        expect(await store.db.selectFrom('channels').select(['channel', 'name']).execute()).toEqual([
          { channel: CH, name: 'Reorged channel' },
        ]);
        expect(await store.db.selectFrom('aliases').select(['alias_address', 'channel']).execute()).toEqual([
          { alias_address: ALIAS, channel: CH },
        ]);

        await tc.rpc('evm_revert', [snap]);
        await tc.mine(3);
        await ix.whenSynced(await tc.blockNumber());
        await new Promise((r) => setTimeout(r, 300));

        expect(await store.db.selectFrom('channels').select('channel').execute()).toEqual([]);
        expect(await store.db.selectFrom('aliases').select(['alias_address', 'channel']).execute()).toEqual(
          [],
        );
      } finally {
        await worker.stop();
        await ix.stop();
      }
    }, 60_000);
  },
);
