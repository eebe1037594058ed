/** The `before` cursor of feed pages, on both stores. */
import { afterAll, describe, expect, it } from 'vitest';
import { testChannelRow } from '../../../test/support/channel-row.js';
import { testNotificationRow } from '../../../test/support/notification-row.js';
import { storeBackends } from '../../../test/support/store-backends.js';
import type { Store } from '../index.js';
import { OPEN_PERIOD_END } from '../schema.js';
import { listUserFeed } from './feeds.js';

// Rows written directly, as the store tests beside the code do.
const addr = (prefix: string, i: number) => `0x${prefix}${i.toString(16).padStart(39, '0')}`;
const NOW = 1_700_000_000_000;

async function seedChannels(store: Store, channels: string[]) {
  await store.db
    .insertInto('channels')
    .values(channels.map((c) => testChannelRow(c)))
    .execute();
}

const C = addr('c', 1);
const U = addr('a', 1);

describe.each(storeBackends())('feed pages and counts on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it('refuses a `before` cursor whose item is gone (reorged away) instead of listing page 1 again', async () => {
    const store = await backend.open();
    await seedChannels(store, [C]);
    await store.db
      .insertInto('notifications')
      .values([1, 2, 3, 4, 5].map((id) => testNotificationRow({ id, channel: C, ts: 1_000_000 + id * 1000 })))
      .execute();
    await store.db
      .insertInto('subscription_periods')
      .values({ channel: C, subscriber: U, from_ts: 0, to_ts: OPEN_PERIOD_END, settings_raw: null })
      .execute();
    const first = await listUserFeed(store.db, { user: U, box: 'inbox', now: NOW, limit: 2 });
    expect(first.feeds.map((f) => f.payload_id)).toEqual([5, 4]);
    // Block of notification 4 is orphaned: rollbackJournal deletes its row.
    await store.db.deleteFrom('notifications').where('id', '=', 4).execute();
    const next = listUserFeed(store.db, { user: U, box: 'inbox', now: NOW, limit: 2, before: 4 });
    await expect(next).rejects.toMatchObject({ code: 'PUSH_ERR_CURSOR_NOT_FOUND', field: 'before' });
    const kept = await listUserFeed(store.db, { user: U, box: 'inbox', now: NOW, limit: 2, before: 5 });
    expect(kept.feeds.map((f) => f.payload_id)).toEqual([3, 2]);
  });
});
