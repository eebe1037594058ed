/** The `before` cursor of feed pages, on both stores. */
import { afterAll, describe, expect, it } from 'vitest';
import { testChannelRow } from '../../../test/support/channel-row.js';
import { storeBackends } from '../../../test/support/store-backends.js';
import type { Store } from '../index.js';
import { OPEN_PERIOD_END } from '../schema.js';
import { listUserFeed } from './feeds.js';

// Rows written directly, as the store tests beside the code do.
const addr = (prefix: string, i: number) => `0x${prefix}${i.toString(16).padStart(39, '0')}`;
const NOW = 1_700_000_000_000;

interface NoteSpec {
  id: number;
  channel: string;
  type?: number;
  ts: number;
}

function noteRow(n: NoteSpec) {
  return {
    id: n.id,
    input_key: `k${n.id}`,
    channel: n.channel,
    sender: `eip155:11155111:${n.channel}`,
    delegate: null,
    chain_id: 11155111,
    source: 'ETH_TEST_SEPOLIA',
    type: n.type ?? 1,
    ts: n.ts,
    identity: '2+{}',
    recipient: null,
    payload: JSON.stringify({
      data: { type: n.type ?? 1, asub: `n${n.id}` },
      notification: { title: `n${n.id}`, body: '' },
    }),
    recipients: null,
    hidden: 0,
    etime: null,
    status: 'admitted' as const,
    created_at: 0,
    idx: null,
    content_attempts: 0,
    content_next_at: 0,
    content_error: null,
  };
}

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
      .values([1, 2, 3, 4, 5].map((id) => noteRow({ id, channel: C, ts: 1_000_000 + id * 1000 })))
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
