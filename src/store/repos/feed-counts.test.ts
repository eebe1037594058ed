import { type Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { testChannelRow } from '../../../test/support/channel-row.js';
import { migrator } from '../../../test/support/migration-backends.js';
import { seededRandom as prng } from '../../../test/support/seeded-random.js';
import {
  freshSchemaName,
  type StoreBackend,
  storeBackends,
  TEST_DATABASE_URL,
} from '../../../test/support/store-backends.js';
import { migrateToLatest, openDatabase } from '../database.js';
import { BROADCAST_COUNT_LEVELS } from '../migrations/005-feed-counts.js';
import { type DB, OPEN_PERIOD_END } from '../schema.js';
import { createWriter, rollbackJournal } from '../writer.js';
import { type CountPart, countParts } from './feed-counts.js';
import type { FeedKey } from './feed-probes.js';
import { listUserFeed } from './feeds.js';

const [HOUR, TWO_DAYS, HUNDRED_DAYS] = BROADCAST_COUNT_LEVELS;

/** A ts near the edges the decomposition cares about: bucket boundaries of every level, 0, and anywhere. */
function edgyTs(rnd: () => number): number {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const draw = rnd();
  if (draw < 0.1) return Math.floor(rnd() * 2 * HOUR) - HOUR;
  if (draw < 0.6) {
    const w = pick(BROADCAST_COUNT_LEVELS);
    return Math.floor(rnd() * 8) * w + pick([0, 0, 1, -1, 999, -1000]);
  }
  return Math.floor(rnd() * 4 * HUNDRED_DAYS);
}

/** The parts as key intervals [start, end), start and end as [ts, id]. */
function intervals(parts: readonly CountPart[]): [number, number, number, number][] {
  return parts.map((p) => {
    if (p.level < 0) return [p.lo, 0, p.hi, p.hiId];
    const w = BROADCAST_COUNT_LEVELS[p.level] as number;
    return [p.lo * w, 0, p.hi * w, 0];
  });
}

describe('countParts', () => {
  it('cuts [max(from, 0), hi) into disjoint parts that cover it exactly, rows read only within two finest buckets', () => {
    const rnd = prng(3);
    for (let i = 0; i < 5_000; i++) {
      const [x, y] = [edgyTs(rnd), edgyTs(rnd)].sort((a, b) => a - b) as [number, number];
      const fromTs = x;
      const hi: FeedKey =
        rnd() < 0.1
          ? { ts: OPEN_PERIOD_END - (rnd() < 0.5 ? 0 : 1), id: 0 }
          : { ts: y, id: rnd() < 0.5 ? 0 : 7 };
      const parts = countParts(fromTs, hi);
      const ivs = intervals(parts).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const ctx = { fromTs, hi, parts };
      // Below ts 0 no row is plain: the special rows' query counts those (counting them here too counted them twice).
      const lo = Math.max(fromTs, 0);
      if (lo > hi.ts || (lo === hi.ts && hi.id === 0)) {
        expect({ ...ctx, n: parts.length }).toEqual({ ...ctx, n: 0 });
        continue;
      }
      // Contiguous from (max(fromTs, 0), 0) to hi, no overlap, no gap.
      let at: [number, number] = [lo, 0];
      for (const [s0, s1, e0, e1] of ivs) {
        expect({ ...ctx, start: [s0, s1] }).toEqual({ ...ctx, start: at });
        expect(e0 > s0 || (e0 === s0 && e1 > s1)).toBe(true);
        at = [e0, e1];
      }
      expect({ ...ctx, end: at }).toEqual({ ...ctx, end: [hi.ts, hi.id] });
      // Rows are read one by one only where no finest bucket fits: within two adjacent ones.
      for (const p of parts.filter((q) => q.level < 0)) {
        const last = p.hiId > 0 ? p.hi : p.hi - 1;
        expect(Math.floor(last / HOUR) - Math.floor(p.lo / HOUR)).toBeLessThanOrEqual(1);
      }
      // At most two parts per level below the top, one at the top, two edges.
      expect(parts.length).toBeLessThanOrEqual(2 * BROADCAST_COUNT_LEVELS.length + 1);
    }
  });

  it('reads an open period that began at a bucket boundary as one range of the widest buckets', () => {
    expect(countParts(0, { ts: OPEN_PERIOD_END, id: 0 })).toEqual([
      { level: 2, lo: 0, hi: OPEN_PERIOD_END / HUNDRED_DAYS, hiId: 0 },
    ]);
    // One hour and one 2-day bucket past a 100-day boundary: the edges are buckets, not rows.
    const from = 5 * HUNDRED_DAYS - TWO_DAYS - HOUR;
    expect(countParts(from, { ts: OPEN_PERIOD_END, id: 0 })).toEqual([
      { level: 0, lo: from / HOUR, hi: (5 * HUNDRED_DAYS - TWO_DAYS) / HOUR, hiId: 0 },
      { level: 1, lo: (5 * HUNDRED_DAYS - TWO_DAYS) / TWO_DAYS, hi: (5 * HUNDRED_DAYS) / TWO_DAYS, hiId: 0 },
      { level: 2, lo: 5, hi: OPEN_PERIOD_END / HUNDRED_DAYS, hiId: 0 },
    ]);
  });

  it('reads nothing below ts 0 (the special rows there are counted by their own query)', () => {
    expect(countParts(-1000, { ts: OPEN_PERIOD_END, id: 0 })).toEqual([
      { level: 2, lo: 0, hi: OPEN_PERIOD_END / HUNDRED_DAYS, hiId: 0 },
    ]);
    expect(countParts(-1000, { ts: -10, id: 3 })).toEqual([]);
    expect(countParts(-1000, { ts: 0, id: 0 })).toEqual([]);
    expect(countParts(-1000, { ts: 0, id: 3 })).toEqual([{ level: -1, lo: 0, hi: 0, hiId: 3 }]);
    expect(countParts(-1000, { ts: 10, id: 0 })).toEqual([{ level: -1, lo: 0, hi: 10, hiId: 0 }]);
  });
});

const CHANNELS = ['0xc1', '0xc2', '0xc3'].map((c) => c.padEnd(42, '0'));

interface Note {
  id?: number;
  channel: string;
  type: number;
  ts: number;
  status: 'admitted' | 'pending_content' | 'failed';
  hidden: number;
  etime: number | null;
  idx: string | null;
}

function randomNote(rnd: () => number): Note {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  return {
    channel: pick(CHANNELS),
    type: rnd() < 0.8 ? 1 : pick([3, 4]),
    ts: edgyTs(rnd),
    status: rnd() < 0.8 ? 'admitted' : pick(['pending_content', 'failed'] as const),
    hidden: rnd() < 0.15 ? 1 : 0,
    etime: rnd() < 0.15 ? 1_700_000_000 : null,
    idx: rnd() < 0.2 ? '1-1' : null,
  };
}

let keys = 0;
const row = (n: Note) => ({
  ...n,
  input_key: `k${++keys}`,
  sender: `eip155:1:${n.channel}`,
  delegate: null,
  chain_id: 1,
  source: 'ETH_TEST_SEPOLIA',
  identity: '2+{}',
  payload: '{}',
  recipients: null,
  created_at: 0,
  content_attempts: 0,
  content_next_at: 0,
  content_error: null,
});

/** `broadcast_counts` recomputed from `notifications` by the definition (zero rows left out). */
async function expected(db: Kysely<DB>): Promise<string[]> {
  const rows = await db.selectFrom('notifications').selectAll().execute();
  const counts = new Map<string, number>();
  for (const r of rows) {
    const ts = Number(r.ts);
    const plain =
      Number(r.type) === 1 &&
      r.status === 'admitted' &&
      Number(r.hidden) === 0 &&
      r.etime === null &&
      r.idx === null &&
      ts >= 0;
    if (!plain) continue;
    for (const [level, w] of BROADCAST_COUNT_LEVELS.entries()) {
      const key = `${r.channel} ${level} ${Math.floor(ts / w)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts].map(([k, n]) => `${k} ${n}`).sort();
}

async function stored(db: Kysely<DB>): Promise<string[]> {
  const res = await sql<{ channel: string; level: number; bucket: number; n: number }>`
    SELECT channel, level, bucket, n FROM broadcast_counts WHERE n <> 0`.execute(db);
  return res.rows.map((r) => `${r.channel} ${r.level} ${r.bucket} ${r.n}`).sort();
}

describe.each(storeBackends())('broadcast_counts on $name', (backend: StoreBackend) => {
  afterAll(() => backend.cleanup());

  it('stays equal to its definition through bulk and single inserts, updates and deletes', async () => {
    const { db } = await backend.open();
    const rnd = prng(11);
    for (let round = 0; round < 6; round++) {
      await db
        .insertInto('notifications')
        .values(Array.from({ length: 60 }, () => row(randomNote(rnd))))
        .execute();
      for (let i = 0; i < 10; i++)
        await db
          .insertInto('notifications')
          .values(row(randomNote(rnd)))
          .execute();
      const ids = (await db.selectFrom('notifications').select('id').execute()).map((r) => Number(r.id));
      for (let i = 0; i < 25; i++) {
        const id = ids[Math.floor(rnd() * ids.length)] as number;
        const n = randomNote(rnd);
        const patch = [
          { status: n.status },
          { hidden: n.hidden },
          { etime: n.etime },
          { idx: n.idx },
          { ts: n.ts },
          { channel: n.channel },
          { type: n.type },
          { payload: '{"x":1}' },
          { status: 'admitted', ts: n.ts },
        ][Math.floor(rnd() * 9)] as Partial<Note>;
        await db.updateTable('notifications').set(patch).where('id', '=', id).execute();
      }
      // Several rows in one statement, as a bulk status change would.
      await db
        .updateTable('notifications')
        .set({ status: 'admitted' })
        .where('id', 'in', ids.slice(0, 5))
        .execute();
      await db
        .deleteFrom('notifications')
        .where(
          'id',
          'in',
          ids.filter(() => rnd() < 0.1),
        )
        .execute();
      expect(await stored(db)).toEqual(await expected(db));
    }
  });

  it('is restored exactly by a reorg rollback of journaled writes', async () => {
    const { db } = await backend.open();
    const rnd = prng(12);
    await db
      .insertInto('notifications')
      .values(Array.from({ length: 40 }, () => row({ ...randomNote(rnd), type: 1 })))
      .execute();
    const before = await stored(db);
    const ids = (await db.selectFrom('notifications').select('id').execute()).map((r) => Number(r.id));
    await db.transaction().execute(async (trx) => {
      const w = createWriter(trx, { chainId: 5, blockNumber: 100, journal: true });
      for (let i = 0; i < 10; i++)
        await w.insertReturningId('notifications', row({ ...randomNote(rnd), type: 1, status: 'admitted' }));
      for (const id of ids.slice(0, 10)) await w.update('notifications', { id }, { status: 'failed', ts: 1 });
      for (const id of ids.slice(10, 15)) await w.remove('notifications', { id });
    });
    expect(await stored(db)).toEqual(await expected(db));
    expect(await stored(db)).not.toEqual(before);
    await db.transaction().execute((trx) => rollbackJournal(trx, 5, 99));
    expect(await stored(db)).toEqual(before);
  });

  it('is filled from the notifications a store already holds when migration 005 runs', async () => {
    const schema = backend.name === 'postgres' ? freshSchemaName() : undefined;
    const database = await openDatabase(
      backend.name === 'postgres'
        ? { url: TEST_DATABASE_URL, schema, poolSize: 2 }
        : { sqlitePath: ':memory:' },
    );
    try {
      expect((await migrator(database).migrateTo('003-feed-indexes')).error).toBeUndefined();
      const rnd = prng(13);
      await database.db
        .insertInto('notifications')
        .values(Array.from({ length: 80 }, () => row(randomNote(rnd))))
        .execute();
      await migrateToLatest(database);
      const want = await expected(database.db);
      expect(want.length).toBeGreaterThan(10);
      expect(await stored(database.db)).toEqual(want);
    } finally {
      await database.close();
      if (schema) {
        const { default: pg } = await import('pg');
        const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      }
    }
  });
});

describe.each(storeBackends())('itemcount around ts 0 on $name', (backend: StoreBackend) => {
  afterAll(() => backend.cleanup());

  const C = CHANNELS[0] as string;
  const NOW = 1_700_000_000_000;
  const reader = (i: number) => `0x${'a'.repeat(39)}${i}`;

  it('counts a broadcast with ts < 0 once (itemcount equals what the pages list)', async () => {
    // A period starting below 0 used to get a row-by-row part [from, 0) over rows the special query counts too.
    const store = await backend.open();
    await store.db.insertInto('channels').values(testChannelRow(C)).execute();
    const note = (id: number, ts: number, extra: Partial<Note> = {}) =>
      row({ id, channel: C, type: 1, ts, status: 'admitted', hidden: 0, etime: null, idx: null, ...extra });
    await store.db
      .insertInto('notifications')
      .values([
        note(1, -500),
        note(2, -300, { hidden: 1 }),
        note(3, -100, { etime: NOW / 1000 + 3600 }),
        note(4, -1),
        note(5, 0),
        note(6, 10),
        note(7, 5 * HOUR + 1),
        note(8, 3 * HUNDRED_DAYS),
      ])
      .execute();
    const periods: [number, number][] = [
      [-1000, OPEN_PERIOD_END],
      [-1000, -200],
      [-400, 0],
      [-400, 11],
      [-1, 2 * TWO_DAYS],
      [0, OPEN_PERIOD_END],
    ];
    await store.db
      .insertInto('subscription_periods')
      .values(
        periods.map(([from_ts, to_ts], i) => ({
          channel: C,
          subscriber: reader(i),
          from_ts,
          to_ts,
          settings_raw: null,
        })),
      )
      .execute();
    for (const [i] of periods.entries()) {
      for (const showHidden of [false, true]) {
        const all = await listUserFeed(store.db, {
          user: reader(i),
          box: 'inbox',
          now: NOW,
          limit: 100,
          showHidden,
        });
        const ctx = { period: periods[i], showHidden };
        expect({ ...ctx, n: all.itemcount }).toEqual({ ...ctx, n: all.feeds.length });
        // And below a cursor under ts 0.
        const before = await listUserFeed(store.db, {
          user: reader(i),
          box: 'inbox',
          now: NOW,
          limit: 100,
          showHidden,
          before: 3,
        });
        expect({ ...ctx, before: before.itemcount }).toEqual({ ...ctx, before: before.feeds.length });
      }
    }
    const open = await listUserFeed(store.db, { user: reader(0), box: 'inbox', now: NOW, limit: 100 });
    expect(open.feeds.map((f) => f.payload_id)).toEqual([8, 7, 6, 5, 4, 3, 1]);
    expect(open.itemcount).toBe(7);
  });
});
