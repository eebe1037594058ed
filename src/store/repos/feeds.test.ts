import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testChannelRow } from '../../../test/support/channel-row.js';
import { seededRandom as prng } from '../../../test/support/seeded-random.js';
import { storeBackends } from '../../../test/support/store-backends.js';
import type { Store } from '../index.js';
import { BROADCAST_COUNT_LEVELS } from '../migrations/005-feed-counts.js';
import { OPEN_PERIOD_END } from '../schema.js';
import { channelSettingsOf, type FeedItem, feedItemOf, reachesSubscriber } from './feed-item.js';
import { listUserFeed, type UserFeedPage, type UserFeedQuery } from './feeds.js';

/**
 * `listUserFeed` reads pages through index probes merged in rounds; here it must give exactly what a straightforward
 * reading of the definition gives — every entry and every broadcast of every period, filtered, sorted, sliced — on
 * random stores built to hit the merge's edges: many equal timestamps, channels that dominate a page, settings that
 * filter out most of a channel, hidden and expired rows, pending notifications, cursors and channel filters.
 */

const THREE = '3+1-1+2-1-50-0-100-1+3-1-10-20-0-100-1';
const THREE_DESC = 'Announcements+Price threshold+Price band';
const USER_SETTINGS = [null, '2+1-1+2-1-75+3-0-10-20', '1+1-0+2-1-80+3-1-30-40', 'not settings'];
const INDEXES = [null, null, '1-1', '2-2-60', '2-2-90', '3-3-15', '3-3-35', '2-1', '9-1', 'junk'];
const NOW = 1_700_000_000_000;
const NOW_SEC = NOW / 1000;

const addr = (prefix: string, i: number) => `0x${prefix}${i.toString(16).padStart(39, '0')}`;
const CHANNELS = [0, 1, 2, 3].map((i) => addr('c', i));
const USERS = [0, 1, 2].map((i) => addr('a', i));

interface Notification {
  id: number;
  channel: string;
  type: number;
  ts: number;
  status: 'admitted' | 'pending_content' | 'failed';
  hidden: number;
  etime: number | null;
  idx: string | null;
  payload: string | null;
}
interface Period {
  channel: string;
  subscriber: string;
  from_ts: number;
  to_ts: number;
  settings_raw: string | null;
}
interface Entry {
  recipient: string;
  notification_id: number;
  box: 'inbox' | 'spam';
  ts: number;
}
interface Data {
  settings: Map<string, string | null>;
  notifications: Notification[];
  periods: Period[];
  entries: Entry[];
}

const [HOUR, TWO_DAYS, HUNDRED_DAYS] = BROADCAST_COUNT_LEVELS;

/**
 * `wide`: timestamps over a year, most on or next to the bucket boundaries of `broadcast_counts` (still with ties), so
 * itemcounts sum buckets of every level as well as single rows.
 */
function generate(rnd: () => number, wide = false): Data {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const settings = new Map(CHANNELS.map((c, i) => [c, i % 2 === 0 ? THREE : null]));
  const wideTs = () =>
    rnd() < 0.7
      ? Math.floor(rnd() * 4) * pick(BROADCAST_COUNT_LEVELS) + pick([0, 0, 1, -1, HOUR, -HOUR, TWO_DAYS])
      : Math.floor(rnd() * 4 * HUNDRED_DAYS) - HOUR;
  // Few distinct timestamps: ties on ts are the rule, so (ts, id) ordering and cursors are exercised.
  const tsOf = () => (wide ? wideTs() : 1_000_000 + Math.floor(rnd() * 25) * 1000);
  // One channel sends most broadcasts, so it alone fills pages and is read again in later rounds.
  const channelOf = () => (rnd() < 0.5 ? (CHANNELS[0] as string) : pick(CHANNELS));
  const notifications: Notification[] = [];
  const entries: Entry[] = [];
  const count = 20 + Math.floor(rnd() * 100);
  for (let id = 1; id <= count; id++) {
    const draw = rnd();
    const type = draw < 0.7 ? 1 : draw < 0.85 ? 3 : 4;
    const status = rnd() < 0.9 ? 'admitted' : pick(['pending_content', 'failed'] as const);
    const ts = tsOf();
    const channel = channelOf();
    const payload =
      status === 'admitted'
        ? JSON.stringify({ data: { type, asub: `n${id}` }, notification: { title: `n${id}`, body: '' } })
        : null;
    notifications.push({
      id,
      channel,
      type,
      ts,
      status,
      hidden: rnd() < 0.1 ? 1 : 0,
      etime: rnd() < 0.1 ? pick([NOW_SEC - 5, NOW_SEC, NOW_SEC + 5]) : null,
      idx: channel === CHANNELS[0] && rnd() < 0.6 ? pick(['2-2-60', '3-3-35']) : pick(INDEXES),
      payload,
    });
    if (type !== 1) {
      for (const user of USERS) {
        if (rnd() < 0.5)
          entries.push({ recipient: user, notification_id: id, box: pick(['inbox', 'spam']), ts });
      }
    }
  }
  const periods: Period[] = [];
  for (const subscriber of USERS) {
    for (const channel of CHANNELS) {
      const step = wide ? () => Math.floor(rnd() * 2 * HUNDRED_DAYS) : () => Math.floor(rnd() * 12) * 1000;
      let from = wide ? wideTs() : 1_000_000 + Math.floor(rnd() * 10) * 1000 - 3000;
      const n = Math.floor(rnd() * 3);
      for (let k = 0; k < n; k++) {
        const to = rnd() < 0.4 ? OPEN_PERIOD_END : from + step();
        periods.push({ channel, subscriber, from_ts: from, to_ts: to, settings_raw: pick(USER_SETTINGS) });
        if (to === OPEN_PERIOD_END) break;
        from = to + (wide ? Math.floor(rnd() * TWO_DAYS) : (1 + Math.floor(rnd() * 3)) * 1000);
      }
    }
  }
  return { settings, notifications, periods, entries };
}

async function load(store: Store, data: Data): Promise<void> {
  const db = store.db;
  await db.deleteFrom('feed_entries').execute();
  await db.deleteFrom('subscription_periods').execute();
  await db.deleteFrom('notifications').execute();
  await db.deleteFrom('channels').execute();
  await db
    .insertInto('channels')
    .values(
      [...data.settings].map(([channel, settings]) =>
        testChannelRow(channel, {
          name: 'c',
          settings_raw: settings,
          settings_description: settings ? THREE_DESC : null,
        }),
      ),
    )
    .execute();
  await db
    .insertInto('notifications')
    .values(
      data.notifications.map((n) => ({
        ...n,
        input_key: `k${n.id}`,
        sender: `eip155:11155111:${n.channel}`,
        delegate: null,
        chain_id: 11155111,
        source: 'ETH_TEST_SEPOLIA',
        identity: '2+{}',
        recipients: null,
        created_at: n.ts,
        content_attempts: 0,
        content_next_at: 0,
        content_error: null,
      })),
    )
    .execute();
  if (data.periods.length) await db.insertInto('subscription_periods').values(data.periods).execute();
  if (data.entries.length) await db.insertInto('feed_entries').values(data.entries).execute();
}

/** The definition, read naively. */
function reference(
  data: Data,
  q: Required<Omit<UserFeedQuery, 'channel' | 'before'>> & UserFeedQuery,
): UserFeedPage | 'PUSH_ERR_CURSOR_NOT_FOUND' {
  const byId = new Map(data.notifications.map((n) => [n.id, n]));
  const visible = (n: Notification) =>
    (q.showHidden || n.hidden === 0) && (n.etime === null || n.etime > NOW_SEC);
  let cursor: { ts: number; id: number } | null = null;
  if (q.before !== undefined) {
    // A negative cursor is the payload_id of a subset's spam copy: its notification is |before|.
    const id = Math.abs(q.before);
    const c = byId.get(id);
    if (!c) return 'PUSH_ERR_CURSOR_NOT_FOUND';
    cursor = { ts: c.ts, id: c.id };
  }
  const older = (ts: number, id: number) => !cursor || ts < cursor.ts || (ts === cursor.ts && id < cursor.id);
  const entries = data.entries.filter((e) => {
    const n = byId.get(e.notification_id) as Notification;
    return (
      e.recipient === q.user &&
      e.box === q.box &&
      (q.channel === undefined || n.channel === q.channel) &&
      visible(n) &&
      older(e.ts, e.notification_id)
    );
  });
  const items = entries.map((e) => ({ id: e.notification_id, ts: e.ts }));
  if (q.box === 'inbox') {
    for (const p of data.periods) {
      if (p.subscriber !== q.user || (q.channel !== undefined && p.channel !== q.channel)) continue;
      const cs = channelSettingsOf(data.settings.get(p.channel) ?? null, THREE_DESC);
      for (const n of data.notifications) {
        if (n.channel !== p.channel || n.type !== 1 || n.status !== 'admitted') continue;
        if (n.ts < p.from_ts || n.ts >= p.to_ts || !visible(n) || !older(n.ts, n.id)) continue;
        if (reachesSubscriber(cs, p.settings_raw, n.idx)) items.push({ id: n.id, ts: n.ts });
      }
    }
  }
  items.sort((a, b) => (b.ts !== a.ts ? b.ts - a.ts : b.id - a.id));
  const offset = (q.page - 1) * q.limit;
  const feeds: FeedItem[] = [];
  for (const it of items.slice(offset, offset + q.limit)) {
    const n = byId.get(it.id) as Notification;
    if (n.payload)
      feeds.push(
        feedItemOf({ ...n, sender: `eip155:11155111:${n.channel}`, source: 'ETH_TEST_SEPOLIA' }, q.box),
      );
  }
  return {
    feeds,
    // Every item the pages list together, after the settings filter.
    itemcount: q.count ? items.length : offset + feeds.length,
  };
}

describe.each(storeBackends())('listUserFeed on $name', (backend) => {
  let store: Store;
  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(() => backend.cleanup());

  it.each([
    ['within seconds', false],
    ['over a year, on bucket boundaries', true],
  ])('equals the naive reading of the definition on random stores (timestamps %s)', async (_, wide) => {
    for (let seed = 1; seed <= 12; seed++) {
      const rnd = prng(seed);
      const data = generate(rnd, wide);
      await load(store, data);
      for (let i = 0; i < 40; i++) {
        const q = {
          user: USERS[Math.floor(rnd() * USERS.length)] as string,
          box: rnd() < 0.75 ? ('inbox' as const) : ('spam' as const),
          page: 1 + Math.floor(rnd() * 4),
          limit: 1 + Math.floor(rnd() * 12),
          showHidden: rnd() < 0.3,
          count: rnd() < 0.5,
          now: NOW,
          ...(rnd() < 0.25 ? { channel: CHANNELS[Math.floor(rnd() * CHANNELS.length)] as string } : {}),
          ...(rnd() < 0.3
            ? { before: (i % 2 ? -1 : 1) * (1 + Math.floor(rnd() * (data.notifications.length + 3))) }
            : {}),
        };
        const got = await listUserFeed(store.db, q).catch((e: { code?: string }) => e.code);
        const want = reference(data, q);
        expect({ seed, q, page: got }).toEqual({ seed, q, page: want });
      }
    }
  });

  it('pages deep into a channel whose settings filter out most of its broadcasts', async () => {
    const channel = CHANNELS[0] as string;
    const data: Data = {
      settings: new Map(CHANNELS.map((c) => [c, THREE])),
      notifications: Array.from({ length: 300 }, (_, i) => ({
        id: i + 1,
        channel,
        type: 1,
        ts: 1_000_000 + i,
        status: 'admitted' as const,
        hidden: 0,
        etime: null,
        // The subscriber switched the slider category off and the range on: only every 50th passes.
        idx: i % 50 === 0 ? '3-3-15' : '2-2-60',
        payload: JSON.stringify({ data: { type: 1 }, notification: { title: `${i}`, body: '' } }),
      })),
      periods: [
        {
          channel,
          subscriber: USERS[0] as string,
          from_ts: 0,
          to_ts: OPEN_PERIOD_END,
          settings_raw: '2+1-1+2-0-75+3-1-10-20',
        },
      ],
      entries: [],
    };
    await load(store, data);
    const q = {
      user: USERS[0] as string,
      box: 'inbox' as const,
      limit: 2,
      page: 2,
      showHidden: false,
      count: true,
      now: NOW,
    };
    const got = await listUserFeed(store.db, q);
    expect(got).toEqual(reference(data, q));
    expect(got.feeds.map((f) => f.payload_id)).toEqual([151, 101]);
    expect(got.itemcount).toBe(6);
  });
});
