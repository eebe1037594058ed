/**
 * Seeds the feeds benchmark's data set straight into the tables (the admission path would take hours for 1M):
 * CHANNELS channels; every 20th subscriber (a "heavy" user) follows PER_USER channels, the others 5 (the periods
 * table stays ~1M rows); N notifications on random channels: 80% broadcasts (stored once), 10% targeted (one feed
 * entry) and 10% subsets of SUBSET recipients (one entry each). Each entry's recipient is a heavy user half of the
 * time, so their spam boxes hold ~50 items (page 5 exists); each entry is inbox or spam at even odds.
 * Deterministic: the same options give the same rows.
 */
import { type Kysely, sql } from 'kysely';
import type { Store } from '../../src/store/index.js';
import { testChannelRow } from '../../test/support/channel-row.js';
import { seededRandom } from '../../test/support/seeded-random.js';

export const CHANNELS = 1000;
export const PER_USER = 50;
const SUBSET = 10;

export interface SeedOptions {
  notifications: number;
  subscribers: number;
}

const hexAddr = (prefix: string, i: number) =>
  `0x${prefix}${i.toString(16).padStart(40 - prefix.length, '0')}`;
export const channelAddr = (i: number) => hexAddr('c', i);
export const userAddr = (i: number) => hexAddr('a', i);
/** Users that follow PER_USER channels. */
export const heavyUsers = (subscribers: number) =>
  Array.from({ length: Math.ceil(subscribers / 20) }, (_, i) => userAddr(i * 20));

function payloadJson(id: number, type: number, channel: string): string {
  return JSON.stringify({
    data: {
      type,
      app: 'Bench',
      icon: 'https://i',
      url: 'https://u',
      sid: String(id),
      epoch: '1700000000',
      asub: `t${id}`,
      amsg: 'bench body',
      acta: '',
      aimg: '',
      etime: null,
      hidden: '0',
      silent: '0',
      sectype: null,
      additionalMeta: null,
    },
    notification: { title: `Bench - t${id}`, body: 'bench body' },
    recipients: `eip155:11155111:${channel}`,
    verificationProof: `eip712v2:0x${'ab'.repeat(65)}::uid::${id}`,
  });
}

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

/**
 * Multi-row inserts inside transactions of ~`perTx` rows: one commit (SQLite WAL append, Postgres fsync) per
 * transaction instead of per statement is what keeps 1M rows in the minutes range.
 */
function batcher(store: Store) {
  const rowsPerInsert = store.dialect === 'postgres' ? 1000 : 500;
  const perTx = 50_000;
  const queue: { table: string; rows: Record<string, unknown>[] }[] = [];
  let queued = 0;
  const pending = new Map<string, Record<string, unknown>[]>();
  async function commit() {
    const work = queue.splice(0);
    queued = 0;
    if (!work.length) return;
    await (store.db as never as AnyDb).transaction().execute(async (trx) => {
      for (const w of work) await trx.insertInto(w.table).values(w.rows).execute();
    });
  }
  return {
    async add(table: string, row: Record<string, unknown>) {
      const rows = pending.get(table) ?? [];
      if (rows.length === 0) pending.set(table, rows);
      rows.push(row);
      if (rows.length >= rowsPerInsert) {
        queue.push({ table, rows: rows.splice(0) });
        queued += rowsPerInsert;
        if (queued >= perTx) await commit();
      }
    },
    async flush() {
      for (const [table, rows] of pending) if (rows.length) queue.push({ table, rows: rows.splice(0) });
      await commit();
    },
  };
}

/**
 * While seeding SQLite: a page cache that holds the indexes being filled (their inserts land at random places; the
 * node's 64 MiB cache made the fill I/O-bound) and no syncs (scratch data). Both are put back before measuring.
 */
async function sqliteFillMode(store: Store): Promise<() => Promise<void>> {
  if (store.dialect !== 'sqlite') return async () => {};
  const pragma = async (text: string) =>
    (await sql<Record<string, number>>`${sql.raw(`PRAGMA ${text}`)}`.execute(store.db)).rows[0];
  const cache = Object.values((await pragma('cache_size')) ?? {})[0];
  const sync = Object.values((await pragma('synchronous')) ?? {})[0];
  await pragma('cache_size = -1048576');
  await pragma('synchronous = OFF');
  return async () => {
    await pragma(`cache_size = ${Number(cache)}`);
    await pragma(`synchronous = ${Number(sync)}`);
  };
}

export async function seed(store: Store, opts: SeedOptions): Promise<void> {
  const rnd = seededRandom(42);
  const b = batcher(store);
  const restore = await sqliteFillMode(store);
  for (let c = 0; c < CHANNELS; c++) {
    await b.add('channels', { ...testChannelRow(channelAddr(c), { name: 'Bench' }) });
  }
  for (let u = 0; u < opts.subscribers; u++) {
    const count = u % 20 === 0 ? PER_USER : 5;
    const start = Math.floor(rnd() * CHANNELS);
    for (let k = 0; k < count; k++) {
      await b.add('subscription_periods', {
        channel: channelAddr((start + k * 7) % CHANNELS),
        subscriber: userAddr(u),
        from_ts: 0,
        to_ts: 8_640_000_000_000_000,
        settings_raw: null,
      });
    }
  }
  const t0 = 1_600_000_000_000;
  for (let i = 1; i <= opts.notifications; i++) {
    const c = channelAddr(Math.floor(rnd() * CHANNELS));
    const draw = rnd();
    const type = draw < 0.8 ? 1 : draw < 0.9 ? 3 : 4;
    const ts = t0 + i * 1000;
    await b.add('notifications', {
      id: i,
      input_key: `k${i}`,
      channel: c,
      sender: `eip155:11155111:${c}`,
      delegate: null,
      chain_id: 11155111,
      source: 'ETH_TEST_SEPOLIA',
      type,
      ts,
      identity: '2+{}',
      payload: payloadJson(i, type, c),
      recipients: null,
      hidden: 0,
      etime: null,
      status: 'admitted',
      created_at: ts,
      idx: null,
      content_attempts: 0,
      content_next_at: 0,
      content_error: null,
    });
    const recipients = new Set<number>();
    while (recipients.size < (type === 1 ? 0 : type === 3 ? 1 : SUBSET)) {
      const heavy = rnd() < 0.5;
      recipients.add(
        heavy ? Math.floor(rnd() * (opts.subscribers / 20)) * 20 : Math.floor(rnd() * opts.subscribers),
      );
    }
    for (const u of recipients) {
      await b.add('feed_entries', {
        recipient: userAddr(u),
        notification_id: i,
        box: rnd() < 0.5 ? 'inbox' : 'spam',
        ts,
      });
    }
  }
  await b.flush();
  await restore();
  if (store.dialect === 'postgres') {
    await sql`SELECT setval(pg_get_serial_sequence('notifications','id'), ${opts.notifications})`.execute(
      store.db,
    );
    // Index-only scans need the visibility map, which only VACUUM sets.
    await sql`VACUUM ANALYZE`.execute(store.db);
  }
  // No ANALYZE on SQLite: the node never runs it, so its planner works without statistics; so does the bench.
}
