import { type Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { testChannelRow } from '../../test/support/channel-row.js';
import { storeBackends } from '../../test/support/store-backends.js';
import { createNotificationStore, type NewNotification } from '../ingest/admission/notification-store.js';
import { reserveIds } from '../ingest/admission/payload-batch.js';
import { createBus } from '../ingest/bus.js';
import type { DB, Store } from './index.js';
import { NOTIFICATION_IDS_KEY } from './locks.js';
import type { Executor } from './writer.js';

const postgres = storeBackends().find((b) => b.name === 'postgres')!;
afterAll(() => postgres.cleanup());

/** Runs `body` in a transaction that stays open until the returned `commit()` is called. */
function heldTransaction<T>(db: Kysely<DB>, body: (tx: Executor) => Promise<T>) {
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  let ran!: (v: T) => void;
  const result = new Promise<T>((r) => {
    ran = r;
  });
  const done = db.transaction().execute(async (tx) => {
    ran(await body(tx));
    await released;
  });
  const commit = () => {
    release();
    return done;
  };
  return { result, commit };
}

/** Connections of this schema waiting for its notification-ids lock. */
async function waitingForIds(store: Store): Promise<number> {
  const r = await sql<{ n: number }>`
    select count(*)::int as n from pg_locks
    where locktype = 'advisory' and not granted and objsubid = 2
      and classid = hashtext(${store.schema})::oid and objid = ${NOTIFICATION_IDS_KEY}`.execute(store.db);
  return r.rows[0]!.n;
}

async function until(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition never held');
}

function pendingNotification(key: string): NewNotification {
  return {
    key,
    input: null,
    requestRecipient: null,
    origin: null,
    channel: testChannelRow('0x1111111111111111111111111111111111111111'),
    sender: 'eip155:11155111:0x1111111111111111111111111111111111111111',
    chainId: 11155111,
    source: 'ETH_TEST_SEPOLIA',
    proof: key,
    delegate: null,
    identity: '1+bafy',
    ts: 1_700_000_000,
    recipient: null,
    content: { kind: 'later', code: 'PUSH_ERR_CONTENT_UNAVAILABLE', message: 'not yet' },
  };
}

// Ids come from a sequence at insert; visibility comes at commit. A socket resuming from the last id it saw relies on
// the two orders being one: these transactions must take turns from their first id drawn to their commit.
describe('notification ids on Postgres', () => {
  it('a transaction drawing ids waits for an earlier one to commit (batched doors: reserveIds)', async () => {
    const store = await postgres.open();
    const first = heldTransaction(store.db, (tx) => reserveIds(tx, 'postgres', 3));
    const firstIds = await first.result;
    let secondDrawn = false;
    const second = store.db.transaction().execute(async (tx) => {
      const ids = await reserveIds(tx, 'postgres', 2);
      secondDrawn = true;
      return ids;
    });
    await until(async () => (await waitingForIds(store)) === 1);
    expect(secondDrawn).toBe(false);
    await first.commit();
    const secondIds = await second;
    expect(Math.min(...secondIds)).toBeGreaterThan(Math.max(...firstIds));
  });

  it('a notification stored on its own waits for a batch that drew ids earlier (storeIn)', async () => {
    const store = await postgres.open();
    await store.db
      .insertInto('channels')
      .values(testChannelRow('0x1111111111111111111111111111111111111111'))
      .execute();
    const notifications = createNotificationStore({
      store,
      bus: createBus(),
      publicUrl: 'http://localhost',
      contentRetry: { baseMs: 1000, maxMs: 1000, jitter: 'none' },
      now: () => 1_700_000_000_000,
    });
    const batch = heldTransaction(store.db, (tx) => reserveIds(tx, 'postgres', 1));
    const [batchId] = await batch.result;
    const single = notifications.store(pendingNotification('eip155:11155111:0xabc'));
    await until(async () => (await waitingForIds(store)) === 1);
    await batch.commit();
    const stored = await single;
    expect(stored.notificationId).toBeGreaterThan(batchId!);
  });

  it('locks are per schema: another schema of the same database does not wait', async () => {
    const a = await postgres.open();
    const b = await postgres.open();
    const held = heldTransaction(a.db, (tx) => reserveIds(tx, 'postgres', 1));
    await held.result;
    const other = await b.db.transaction().execute((tx) => reserveIds(tx, 'postgres', 1));
    expect(other).toHaveLength(1);
    await held.commit();
  });
});
