/**
 * A reorg rollback leaves the opt-in state as if the orphaned blocks had never been seen, even when a command that no
 * chain journal covers (a signed opt-in over HTTP, `createWriter(tx, null)` as src/ingest/admission/subscribe.ts does)
 * changed the same pair after them: the undo journal's row images predate it, so the rollback re-derives the pair from
 * its remaining history (`rederiveSubscriptions`).
 */
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { BlockRef, ChainBatch, ChainLog } from '../../src/chains/types.js';
import { createStoreChainSink } from '../../src/ingest/chain/sink.js';
import { applySubscription, type SubscriptionCommand } from '../../src/ingest/subscriptions.js';
import type { Store } from '../../src/store/index.js';
import { listUserFeed } from '../../src/store/repos/feeds.js';
import { createWriter } from '../../src/store/writer.js';
import { testBlockHash, testChainLog } from '../support/chain-log.js';
import { testChannelRow } from '../support/channel-row.js';
import { testNotificationRow } from '../support/notification-row.js';
import { storeBackends } from '../support/store-backends.js';

// Rows written directly, as the store tests beside the code do.
async function seedChannels(store: Store, channels: string[]) {
  await store.db
    .insertInto('channels')
    .values(channels.map((c) => testChannelRow(c)))
    .execute();
}

const CHAIN = 11155111;
const logger = pino({ level: 'silent' });
const C = `0x${'c1'.padEnd(40, '0')}`;
const U = `0x${'a1'.padEnd(40, '0')}`;

/** Block refs `from..to`; `fork` gives blocks ≥ fork another hash (a competing branch). */
function blocks(from: number, to: number, fork?: number): BlockRef[] {
  const hash = (n: number) =>
    fork !== undefined && n >= fork
      ? (`0x${'f'.repeat(8)}${n.toString(16).padStart(56, '0')}` as `0x${string}`)
      : testBlockHash(CHAIN, n);
  const out: BlockRef[] = [];
  for (let n = from; n <= to; n++)
    out.push({ number: n, hash: hash(n), parentHash: hash(n - 1), timestamp: 1_700_000_000 + n });
  return out;
}

function batch(fromBlock: number, toBlock: number, logs: ChainLog[], fork?: number): ChainBatch {
  return { fromBlock, toBlock, logs, blocks: blocks(fromBlock, toBlock, fork), finalizedBlock: 80 };
}

/** A signed off-chain opt-in/opt-out as the HTTP door applies it (no journal origin). */
async function httpOptIn(store: Store, subscribed: boolean, tsMs: number) {
  const cmd: SubscriptionCommand = {
    channel: C,
    subscriber: U,
    subscribed,
    settingsRaw: null,
    ts: tsMs,
    order: 'h:0xsig',
    proof: 'eip712v2:0xsig',
    origin: null,
    chainId: CHAIN,
  };
  await store.db.transaction().execute((tx) => applySubscription(createWriter(tx, null), cmd));
}

async function optInState(store: Store) {
  return {
    subscriptions: await store.db
      .selectFrom('subscriptions')
      .select(['channel', 'subscriber', 'subscribed', 'ts', 'ts_order'])
      .execute(),
    periods: await store.db
      .selectFrom('subscription_periods')
      .select(['channel', 'subscriber', 'from_ts', 'to_ts'])
      .orderBy('from_ts')
      .execute(),
    events: await store.db
      .selectFrom('subscription_events')
      .select(['ts', 'ts_order', 'subscribed'])
      .orderBy('ts')
      .execute(),
  };
}

describe.each(storeBackends())('reorg rollback vs later off-chain opt-ins on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it('keeps an off-chain opt-out made after an orphaned on-chain opt-in (store equals one that never saw the orphan)', async () => {
    // Store A: on-chain Subscribe in unfinalised block 95, then a signed opt-out at t=200 s, then a reorg from 95 whose
    // new branch subscribes again in block 96 (block time 96 s: older than the opt-out, which must keep winning).
    const a = await backend.open();
    const sinkA = createStoreChainSink({ store: a, coreChainId: CHAIN, logger });
    await sinkA.apply(
      CHAIN,
      batch(81, 95, [testChainLog('Subscribe', { channel: C, user: U }, { blockNumber: 95 })]),
    );
    await httpOptIn(a, false, (1_700_000_000 + 200) * 1000);
    await sinkA.rollback(CHAIN, 94);
    const newBranch = testChainLog(
      'Subscribe',
      { channel: C, user: U },
      { blockNumber: 96, blockHash: blocks(96, 96, 95)[0]!.hash },
    );
    await sinkA.apply(CHAIN, batch(95, 96, [newBranch], 95));

    // Store B: never saw block 95 of the orphaned branch.
    const b = await backend.open();
    const sinkB = createStoreChainSink({ store: b, coreChainId: CHAIN, logger });
    await sinkB.apply(CHAIN, batch(81, 94, []));
    await httpOptIn(b, false, (1_700_000_000 + 200) * 1000);
    await sinkB.apply(CHAIN, batch(95, 96, [newBranch], 95));

    const want = await optInState(b);
    // Sanity: in B the later signed opt-out wins over the older block-96 opt-in.
    expect(want.subscriptions[0]?.subscribed).toBe(0);
    // Restoring the pre-block-95 image (no row) alone would erase the off-chain opt-out, and the block-96 opt-in
    // (older than the opt-out) would win.
    expect(await optInState(a)).toEqual(want);
  });

  it('leaves no overlapping subscription periods (no broadcast listed twice) after an off-chain re-opt-in', async () => {
    // Final block 50 subscribes; unfinalised block 95 unsubscribes; a signed re-subscribe at t=200 s; reorg from 95.
    const sub50 = testChainLog('Subscribe', { channel: C, user: U }, { blockNumber: 50 });
    const unsub95 = testChainLog('Unsubscribe', { channel: C, user: U }, { blockNumber: 95 });
    const at200 = (1_700_000_000 + 200) * 1000;
    const a = await backend.open();
    const sinkA = createStoreChainSink({ store: a, coreChainId: CHAIN, logger });
    await sinkA.apply(CHAIN, batch(1, 95, [sub50, unsub95]));
    await httpOptIn(a, true, at200);
    await sinkA.rollback(CHAIN, 94);

    const b = await backend.open();
    const sinkB = createStoreChainSink({ store: b, coreChainId: CHAIN, logger });
    await sinkB.apply(CHAIN, batch(1, 94, [sub50]));
    await httpOptIn(b, true, at200);

    // One broadcast of C sent after the re-subscribe: the inbox lists it once.
    for (const s of [a, b]) {
      await seedChannels(s, [C]);
      await s.db
        .insertInto('notifications')
        .values(testNotificationRow({ id: 1, channel: C, ts: at200 + 1000 }))
        .execute();
    }
    const pageB = await listUserFeed(b.db, { user: U, box: 'inbox', now: at200 + 5000 });
    expect(pageB.feeds.map((f) => f.payload_id)).toEqual([1]);
    const pageA = await listUserFeed(a.db, { user: U, box: 'inbox', now: at200 + 5000 });
    // Restored images alone would leave periods [50 s, open) and [200 s, open) overlapping: the broadcast listed and
    // counted twice.
    expect({ periods: (await optInState(a)).periods, page: pageA }).toEqual({
      periods: (await optInState(b)).periods,
      page: pageB,
    });
  });
});
