/**
 * p50/p99 of a feed page (inbox and spam) for users subscribed to 50 channels, with N notifications (default 1M,
 * 80% broadcasts stored once, 20% targeted with a feed entry) and 100k subscribers, on SQLite and Postgres.
 *   npx tsx bench/feeds/run.ts [--notifications 1000000] [--subscribers 100000] [--queries 300] [--no-postgres]
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/index.js';
import { listUserFeed } from '../../src/store/repos/feeds.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? def : (args[i + 1] as string);
};
const N = Number(opt('notifications', '1000000'));
const SUBSCRIBERS = Number(opt('subscribers', '100000'));
const QUERIES = Number(opt('queries', '300'));
const CHANNELS = 1000;
const PER_USER = 50;
const PG_URL = process.env.PUSH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let seed = 42;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const hexAddr = (prefix: string, i: number) =>
  `0x${prefix}${i.toString(16).padStart(40 - prefix.length, '0')}`;
const channelAddr = (i: number) => hexAddr('c', i);
const userAddr = (i: number) => hexAddr('a', i);

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

async function fill(store: Store): Promise<void> {
  const db = store.db as never as import('kysely').Kysely<Record<string, Record<string, unknown>>>;
  const chunk = store.dialect === 'postgres' ? 2000 : 400;
  const channels = [];
  for (let c = 0; c < CHANNELS; c++) {
    channels.push({
      channel: channelAddr(c),
      core_chain_id: 11155111,
      channel_type: 2,
      identity: '1+x',
      ipfs_hash: null,
      name: 'Bench',
      info: null,
      url: null,
      icon: null,
      tags: null,
      state: 1,
      verified_by: null,
      settings_raw: null,
      settings_description: null,
      subgraph: null,
      metadata_status: 'ok',
      metadata_attempts: 0,
      metadata_next_at: 0,
      created_block: 1,
      created_at: 0,
      updated_at: 0,
    });
  }
  for (let i = 0; i < channels.length; i += chunk / 4)
    await db
      .insertInto('channels')
      .values(channels.slice(i, i + chunk / 4))
      .execute();
  // Each subscriber follows PER_USER channels (every 20th a whole block of 50; the rest 5, to keep the table ~1M rows).
  let periods: Record<string, unknown>[] = [];
  const flush = async () => {
    if (periods.length) await db.insertInto('subscription_periods').values(periods).execute();
    periods = [];
  };
  for (let u = 0; u < SUBSCRIBERS; u++) {
    const count = u % 20 === 0 ? PER_USER : 5;
    const start = Math.floor(rnd() * CHANNELS);
    for (let k = 0; k < count; k++) {
      periods.push({
        channel: channelAddr((start + k * 7) % CHANNELS),
        subscriber: userAddr(u),
        from_ts: 0,
        to_ts: 8_640_000_000_000_000,
        settings_raw: null,
      });
      if (periods.length >= chunk) await flush();
    }
  }
  await flush();
  let rows: Record<string, unknown>[] = [];
  let entries: Record<string, unknown>[] = [];
  const flushN = async () => {
    if (rows.length) await db.insertInto('notifications').values(rows).execute();
    if (entries.length) await db.insertInto('feed_entries').values(entries).execute();
    rows = [];
    entries = [];
  };
  const t0 = 1_600_000_000_000;
  for (let i = 1; i <= N; i++) {
    const c = channelAddr(Math.floor(rnd() * CHANNELS));
    const type = rnd() < 0.8 ? 1 : 3;
    const ts = t0 + i * 1000;
    rows.push({
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
    if (type === 3) {
      const u = Math.floor(rnd() * SUBSCRIBERS);
      entries.push({ recipient: userAddr(u), notification_id: i, box: rnd() < 0.5 ? 'inbox' : 'spam', ts });
    }
    if (rows.length >= chunk / 2) await flushN();
  }
  await flushN();
  if (store.dialect === 'postgres') {
    const { sql } = await import('kysely');
    await sql`SELECT setval(pg_get_serial_sequence('notifications','id'), ${N})`.execute(store.db);
    await sql`ANALYZE`.execute(store.db);
  } else {
    const { sql } = await import('kysely');
    await sql`ANALYZE`.execute(store.db);
  }
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

async function run(name: 'sqlite' | 'postgres') {
  let store: Store;
  let drop: () => Promise<void>;
  if (name === 'sqlite') {
    store = await openStore({ sqlitePath: join(mkdtempSync('/tmp/push-bench-feeds-'), 'db.sqlite') });
    drop = () => store.close();
  } else {
    const schema = `bench_feeds_${Date.now().toString(36)}`;
    store = await openStore({ databaseUrl: PG_URL, schema, poolSize: 4 });
    drop = async () => {
      await store.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    };
  }
  try {
    const t = Date.now();
    await fill(store);
    const fillS = (Date.now() - t) / 1000;
    const out: Record<string, string | number>[] = [];
    const heavyUsers = Array.from({ length: SUBSCRIBERS / 20 }, (_, i) => userAddr(i * 20));
    for (const [label, q] of [
      ['inbox p1 (count off)', { box: 'inbox' as const, count: false }],
      ['inbox p5 (count off)', { box: 'inbox' as const, count: false, page: 5 }],
      ['inbox p1 (with itemcount)', { box: 'inbox' as const, count: true }],
      ['spam p1 (with itemcount)', { box: 'spam' as const, count: true }],
    ] as const) {
      const times: number[] = [];
      let items = 0;
      for (let i = 0; i < QUERIES + 20; i++) {
        const user = heavyUsers[Math.floor(rnd() * heavyUsers.length)]!;
        const s = process.hrtime.bigint();
        const page = await listUserFeed(store.db, { user, limit: 10, ...q });
        const ms = Number(process.hrtime.bigint() - s) / 1e6;
        if (i >= 20) {
          times.push(ms);
          items += page.feeds.length;
        }
      }
      out.push({
        backend: name,
        query: label,
        'p50 ms': pct(times, 0.5).toFixed(2),
        'p99 ms': pct(times, 0.99).toFixed(2),
        'avg items': (items / QUERIES).toFixed(1),
      });
    }
    console.log(`${name}: filled ${N} notifications, ${SUBSCRIBERS} subscribers in ${fillS.toFixed(0)} s`);
    console.table(out);
  } finally {
    await drop();
  }
}

for (const b of args.includes('--no-postgres') ? (['sqlite'] as const) : (['sqlite', 'postgres'] as const))
  await run(b);
