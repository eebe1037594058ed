import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testChannelRow } from '../../../test/support/channel-row.js';
import { testNotificationRow } from '../../../test/support/notification-row.js';
import { seededRandom } from '../../../test/support/seeded-random.js';
import { storeBackends } from '../../../test/support/store-backends.js';
import type { Store } from '../index.js';
import { OPEN_PERIOD_END } from '../schema.js';
import { channelSettingsOf, reachesSubscriber } from './feed-item.js';
import { listMissedFeed, type MissedFeed } from './missed.js';

/**
 * `listMissedFeed` (the socket resume backlog) reads by id, which follows admission order, never by send time:
 * items admitted in an order unlike their ts, each box's rules as the REST feed applies them, and the newest `limit`
 * with `truncated` when there are more (or when the broadcast scan stops short).
 */

const NOW = 1_700_000_000_000;
const NOW_SEC = NOW / 1000;
const SETTINGS = '2+1-1+2-1-50-0-100-1';
const SETTINGS_DESC = 'Announcements+Price threshold';
const addr = (prefix: string, i: number) => `0x${prefix}${i.toString(16).padStart(39, '0')}`;
const A = addr('c', 1);
const B = addr('c', 2);
const U = addr('a', 1);
const OTHER = addr('a', 2);

interface N {
  id: number;
  channel: string;
  type: 1 | 3 | 4;
  ts: number;
  status?: 'admitted' | 'pending_content' | 'failed';
  hidden?: number;
  etime?: number | null;
  idx?: string | null;
  payload?: boolean;
}
interface Entry {
  recipient: string;
  notification_id: number;
  box: 'inbox' | 'spam';
}
interface P {
  channel: string;
  subscriber: string;
  from_ts: number;
  to_ts: number;
  settings_raw: string | null;
}
interface Data {
  notifications: N[];
  entries: Entry[];
  periods: P[];
}

async function load(store: Store, data: Data) {
  const db = store.db;
  await db.deleteFrom('feed_entries').execute();
  await db.deleteFrom('subscription_periods').execute();
  await db.deleteFrom('notifications').execute();
  await db.deleteFrom('channels').execute();
  await db
    .insertInto('channels')
    .values([
      testChannelRow(A, { settings_raw: SETTINGS, settings_description: SETTINGS_DESC }),
      testChannelRow(B),
    ])
    .execute();
  const byId = new Map(data.notifications.map((n) => [n.id, n]));
  for (let i = 0; i < data.notifications.length; i += 500) {
    await db
      .insertInto('notifications')
      .values(
        data.notifications.slice(i, i + 500).map((n) =>
          testNotificationRow({
            id: n.id,
            channel: n.channel,
            type: n.type,
            ts: n.ts,
            ...(n.payload === false ? { payload: null } : {}),
            hidden: n.hidden ?? 0,
            etime: n.etime ?? null,
            status: n.status ?? 'admitted',
            created_at: n.ts,
            idx: n.idx ?? null,
          }),
        ),
      )
      .execute();
  }
  if (data.periods.length) await db.insertInto('subscription_periods').values(data.periods).execute();
  const rows = data.entries.map((e) => ({ ...e, ts: byId.get(e.notification_id)!.ts }));
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('feed_entries')
      .values(rows.slice(i, i + 500))
      .execute();
}

/** The definition, read naively: every item the user's feeds list with id > lastId, the newest `limit`, by id. */
function reference(data: Data, user: string, lastId: number, limit: number) {
  const visible = (n: N) =>
    n.payload !== false && (n.etime === undefined || n.etime === null || n.etime > NOW_SEC);
  const all: { id: number; box: 'inbox' | 'spam' }[] = [];
  const byId = new Map(data.notifications.map((n) => [n.id, n]));
  for (const e of data.entries) {
    const n = byId.get(e.notification_id)!;
    if (e.recipient === user && n.id > lastId && visible(n)) all.push({ id: n.id, box: e.box });
  }
  const cs = channelSettingsOf(SETTINGS, SETTINGS_DESC);
  for (const n of data.notifications) {
    if (n.type !== 1 || (n.status ?? 'admitted') !== 'admitted' || n.id <= lastId || !visible(n)) continue;
    const p = data.periods.find(
      (p) => p.subscriber === user && p.channel === n.channel && p.from_ts <= n.ts && n.ts < p.to_ts,
    );
    if (p && reachesSubscriber(n.channel === A ? cs : null, p.settings_raw, n.idx ?? null))
      all.push({ id: n.id, box: 'inbox' });
  }
  all.sort((a, b) => a.id - b.id);
  return { items: all.slice(Math.max(0, all.length - limit)), truncated: all.length > limit };
}

const shape = (m: MissedFeed) => ({
  items: m.items.map((i) => ({ id: Math.abs(i.item.payload_id), box: i.box })),
  truncated: m.truncated,
});
const ids = (m: MissedFeed) => m.items.map((i) => i.item.payload_id);

describe.each(storeBackends())('listMissedFeed on $name', (backend) => {
  let store: Store;
  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(() => backend.cleanup());

  const T = 1_000_000;
  // Admission order (id) differs from send time (ts): 3 and 5 were admitted late with old block times.
  const fixed: Data = {
    notifications: [
      { id: 1, channel: A, type: 1, ts: T + 10 },
      { id: 2, channel: B, type: 3, ts: T + 20 },
      { id: 3, channel: A, type: 1, ts: T + 1 }, // older than 2, admitted after it
      { id: 4, channel: B, type: 4, ts: T + 30 }, // subset: U's copy is spam, OTHER's inbox
      { id: 5, channel: B, type: 3, ts: T + 2 }, // older, spam for U
      { id: 6, channel: B, type: 1, ts: T - 500 }, // before U's period on B: not listed
      { id: 7, channel: A, type: 1, ts: T + 40, idx: '1-1' }, // U turned category 1 off
      { id: 8, channel: A, type: 1, ts: T + 41, idx: '2-2-80' }, // U's slider category is on: listed
      { id: 9, channel: A, type: 1, ts: T + 42, hidden: 1 }, // hidden: included (as the feed with showHidden)
      { id: 10, channel: A, type: 1, ts: T + 43, etime: NOW_SEC - 1 }, // expired: out
      { id: 11, channel: B, type: 3, ts: T + 44, payload: false, status: 'pending_content' }, // no content: out
      { id: 12, channel: A, type: 1, ts: T + 45, status: 'pending_content', payload: false }, // not admitted: out
      { id: 13, channel: B, type: 1, ts: T + 3 }, // in U's period on B, admitted last with the oldest time
    ],
    entries: [
      { recipient: U, notification_id: 2, box: 'inbox' },
      { recipient: U, notification_id: 4, box: 'spam' },
      { recipient: OTHER, notification_id: 4, box: 'inbox' },
      { recipient: U, notification_id: 5, box: 'spam' },
      { recipient: U, notification_id: 11, box: 'inbox' },
    ],
    periods: [
      { channel: A, subscriber: U, from_ts: 0, to_ts: OPEN_PERIOD_END, settings_raw: '2+1-0+2-1-70' },
      { channel: B, subscriber: U, from_ts: T - 100, to_ts: OPEN_PERIOD_END, settings_raw: null },
      { channel: B, subscriber: OTHER, from_ts: 0, to_ts: OPEN_PERIOD_END, settings_raw: null },
    ],
  };

  describe('by admission order', () => {
    beforeEach(() => load(store, fixed));

    it('lists what came after lastId by id, whatever the send times, with each box', async () => {
      const got = await listMissedFeed(store.db, {
        user: `eip155:11155111:${U}`,
        lastId: 2,
        limit: 100,
        now: NOW,
      });
      expect(got.items.map((i) => [i.item.payload_id, i.box])).toEqual([
        [3, 'inbox'],
        [-4, 'spam'], // a subset's spam copy keeps its negative payload_id
        [5, 'spam'], // a targeted one's does not
        [8, 'inbox'],
        [9, 'inbox'],
        [13, 'inbox'],
      ]);
      expect(got.truncated).toBe(false);
      expect(got.items[0]!.item.payload.data.asub).toBe('n3');
      expect(shape(got)).toEqual(reference(fixed, U, 2, 100));
    });

    it('a broadcast outside the period and one the user settings filter out are not listed', async () => {
      const got = ids(await listMissedFeed(store.db, { user: U, lastId: 0, limit: 100, now: NOW }));
      expect(got).not.toContain(6);
      expect(got).not.toContain(7);
      expect(got).toEqual([1, 2, 3, -4, 5, 8, 9, 13]);
    });

    it('the spam copy as lastId (negative) resumes after its notification', async () => {
      expect(ids(await listMissedFeed(store.db, { user: U, lastId: -4, limit: 100, now: NOW }))).toEqual([
        5, 8, 9, 13,
      ]);
    });

    it('more than the limit: the newest, oldest first, and truncated', async () => {
      const got = await listMissedFeed(store.db, { user: U, lastId: 0, limit: 3, now: NOW });
      expect(ids(got)).toEqual([8, 9, 13]);
      expect(got.truncated).toBe(true);
      const exact = await listMissedFeed(store.db, { user: U, lastId: 3, limit: 5, now: NOW });
      expect(ids(exact)).toEqual([-4, 5, 8, 9, 13]);
      expect(exact.truncated).toBe(false);
    });

    it('nothing after the newest id; another user sees their own', async () => {
      expect(await listMissedFeed(store.db, { user: U, lastId: 13, limit: 10, now: NOW })).toEqual({
        items: [],
        truncated: false,
      });
      expect(ids(await listMissedFeed(store.db, { user: OTHER, lastId: 3, limit: 10, now: NOW }))).toEqual([
        4, 6, 13,
      ]);
    });

    it('a lastId above every stored id (a wiped store) is reported as truncated, not as nothing missed', async () => {
      expect(await listMissedFeed(store.db, { user: U, lastId: 500, limit: 10, now: NOW })).toEqual({
        items: [],
        truncated: true,
      });
    });

    it('a backlog past the broadcast scan: what is sent has no hole, and truncated', async () => {
      const got = await listMissedFeed(store.db, { user: U, lastId: 0, limit: 100, now: NOW, scanIds: 5 });
      // Ids (8, 13] are scanned; the entries below the scan are left out with the broadcasts there.
      expect(ids(got)).toEqual([9, 13]);
      expect(got.truncated).toBe(true);
      // A reader without subscriptions needs no scan: entries only, all of them.
      await store.db.deleteFrom('subscription_periods').execute();
      const entries = await listMissedFeed(store.db, {
        user: U,
        lastId: 0,
        limit: 100,
        now: NOW,
        scanIds: 5,
      });
      expect(ids(entries)).toEqual([2, -4, 5]);
      expect(entries.truncated).toBe(false);
    });
  });

  it('a long backlog read in order of admission, against the definition', async () => {
    const rnd = seededRandom(7);
    const data: Data = { notifications: [], entries: [], periods: fixed.periods };
    for (let id = 1; id <= 3000; id++) {
      const type = rnd() < 0.6 ? 1 : rnd() < 0.5 ? 3 : 4;
      // Send times jump back and forth: chain notifications carry old block times.
      const ts = T + Math.floor(rnd() * 4000) - 500;
      const channel = rnd() < 0.5 ? A : B;
      data.notifications.push({
        id,
        channel,
        type,
        ts,
        idx: channel === A && rnd() < 0.3 ? (rnd() < 0.5 ? '1-1' : rnd() < 0.5 ? '2-2-60' : '2-2-80') : null,
        etime: rnd() < 0.05 ? NOW_SEC - 10 : null,
        hidden: rnd() < 0.05 ? 1 : 0,
      });
      if (type !== 1 && rnd() < 0.5)
        data.entries.push({ recipient: U, notification_id: id, box: rnd() < 0.5 ? 'inbox' : 'spam' });
    }
    await load(store, data);
    for (const [lastId, limit] of [
      [0, 1000],
      [0, 5000],
      [1500, 1000],
      [2990, 1000],
      [2999, 1],
      [3000, 10],
    ] as const) {
      const got = await listMissedFeed(store.db, { user: U, lastId, limit, now: NOW });
      expect(shape(got), `lastId ${lastId}, limit ${limit}`).toEqual(reference(data, U, lastId, limit));
    }
  });
});
