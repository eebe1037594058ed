import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChainIndexer } from '../../src/chains/indexer.js';
import { startTestChain, type TestChain } from '../../src/chains/testing/chain.js';
import { createStoreChainSink } from '../../src/ingest/chain/sink.js';
import type { SubscriptionRow } from '../../src/ingest/subscriptions.js';
import { openStore } from '../../src/store/index.js';

/**
 * The store sink tells live fan-out about opt-in changes through `onSubscriptions` after `apply` and after
 * `rollback`: after a reorg that orphans an opt-in, the in-memory index agrees with the store.
 */

const CH = '0x1111111111111111111111111111111111111111';
const U = '0x3333333333333333333333333333333333333333';
const V = '0x4444444444444444444444444444444444444444';
const silent = pino({ level: 'silent' });
let tc: TestChain;

beforeAll(async () => {
  tc = await startTestChain();
  await tc.emitters.call('core', 'addChannel', [CH, 2, '0x312b516d41']);
  await tc.mine(3);
});
afterAll(async () => {
  await tc?.stop();
});

describe('a reorg that orphans an opt-in', () => {
  it('tells live fan-out the opt-in is gone', async () => {
    const store = await openStore({ sqlitePath: ':memory:' });
    // What live fan-out believes, per (channel, subscriber), from the sink's notifications.
    const live = new Map<string, boolean>();
    const sink = createStoreChainSink({
      store,
      coreChainId: 31337,
      logger: silent,
      onSubscriptions: (rows: SubscriptionRow[]) => {
        for (const r of rows) live.set(`${r.channel}|${r.subscriber}`, r.subscribed);
      },
    });
    const ix = createChainIndexer({
      spec: tc.spec({ finalityDepth: 10, blockTimeMs: 200 }),
      sink,
      logger: silent,
      registry: new Registry(),
      progress: 'off',
      pollMs: 25,
      retryBaseMs: 20,
    });
    try {
      await ix.start();
      await ix.whenSynced(await tc.blockNumber());
      const snap = await tc.rpc<string>('evm_snapshot');
      await tc.emitters.call('comm', 'subscribe', [CH, U]);
      await ix.whenSynced(await tc.blockNumber());
      expect(live.get(`${CH}|${U}`)).toBe(true);

      await tc.rpc('evm_revert', [snap]);
      await tc.emitters.call('comm', 'subscribe', [CH, V]);
      await tc.mine(2);
      await ix.whenSynced(await tc.blockNumber());
      await new Promise((r) => setTimeout(r, 300));

      const stored = await store.db
        .selectFrom('subscriptions')
        .select(['subscriber', 'subscribed'])
        .where('channel', '=', CH)
        .execute();
      expect(stored.find((s) => s.subscriber === U)).toBeUndefined(); // the store was rolled back correctly
      expect(live.get(`${CH}|${V}`)).toBe(true);
      // Fails today: live fan-out still believes U is subscribed (no notification on rollback).
      expect(live.get(`${CH}|${U}`) ?? false).toBe(false);
    } finally {
      await ix.stop();
      await store.close();
    }
  }, 60_000);
});
