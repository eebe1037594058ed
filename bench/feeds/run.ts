/**
 * p50/p99 of a feed page (inbox and spam, page 1 and page 5, 10 items) for users subscribed to 50 channels, with N
 * notifications (default 1M: 80% broadcasts stored once, 10% targeted, 10% subsets of 10; see seed.ts) and 100k
 * subscribers, on SQLite and Postgres; one table per store. Baseline in the same run: reading one page's 10
 * notifications by primary key, the least any feed page costs. "+ itemcount" rows add the exact total the REST route
 * answers (per-channel bucket counts, migration 005). CPU columns: this process's CPU per query and, on Postgres, the
 * server backends' (the shared machine's load inflates latency, not these).
 *   npx tsx bench/feeds/run.ts [--notifications 1000000] [--subscribers 100000] [--queries 300]
 *     [--no-sqlite] [--no-postgres] [--sqlite-path <file>] [--pg-schema <name>] [--keep]
 * `--sqlite-path`/`--pg-schema` reuse a store seeded by an earlier run with `--keep` (same sizes), skipping the fill.
 * Postgres: PUSH_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), own schema, dropped after.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/index.js';
import { listUserFeed } from '../../src/store/repos/feeds.js';
import { seededRandom } from '../../test/support/seeded-random.js';
import { heavyUsers, seed } from './seed.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? def : (args[i + 1] as string);
};
const N = Number(opt('notifications', '1000000'));
const SUBSCRIBERS = Number(opt('subscribers', '100000'));
const QUERIES = Number(opt('queries', '300'));
const WARMUP = 20;
const KEEP = args.includes('--keep');
const POOL_SIZE = 4;
const PG_URL = process.env.PUSH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

interface Backend {
  store: Store;
  where: string;
  drop(): Promise<void>;
}

async function openSqlite(): Promise<Backend> {
  const given = opt('sqlite-path', '');
  const dir = given ? null : mkdtempSync('/tmp/push-bench-feeds-');
  const path = given || join(dir as string, 'db.sqlite');
  const store = await openStore({ sqlitePath: path });
  return {
    store,
    where: path,
    async drop() {
      await store.close();
      // 1.5 GB per run: a temporary store goes unless it is to be reused.
      if (dir && !KEEP) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openPostgres(): Promise<Backend> {
  const schema = opt('pg-schema', '') || `bench_feeds_${Date.now().toString(36)}`;
  const store = await openStore({ databaseUrl: PG_URL, schema, poolSize: POOL_SIZE });
  return {
    store,
    where: `schema ${schema}`,
    async drop() {
      await store.close();
      if (KEEP) return;
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}

/**
 * CPU time, which the shared machine's load does not inflate the way it inflates latency: this process's, and on
 * Postgres that of the server backends serving its pool (read from /proc; clock ticks, so only sums over many queries
 * mean anything).
 */
async function cpuMeter(store: Store, poolSize: number) {
  let pids: number[] = [];
  if (store.dialect === 'postgres') {
    // As many concurrent sleeps as the pool has connections: each runs on its own connection.
    const rows = await Promise.all(
      Array.from({ length: poolSize }, () =>
        sql<{ pid: number }>`SELECT pg_backend_pid() AS pid, pg_sleep(0.2)`.execute(store.db),
      ),
    );
    pids = [...new Set(rows.map((r) => Number(r.rows[0]?.pid)))];
  }
  const ticks = () => {
    let sum = 0;
    for (const pid of pids) {
      try {
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
        sum += Number(f[11]) + Number(f[12]);
      } catch {
        // Not on Linux, or the backend went away: server CPU is then not counted.
      }
    }
    return sum * 10; // ms: USER_HZ is 100 on Linux
  };
  return {
    read: () => {
      const c = process.cpuUsage();
      return { node: (c.user + c.system) / 1000, server: ticks() };
    },
  };
}

interface Kind {
  label: string;
  run(user: string): Promise<number>;
}

function kinds(store: Store): Kind[] {
  const page = (box: 'inbox' | 'spam', page: number, count: boolean) => async (user: string) =>
    (await listUserFeed(store.db, { user, box, limit: 10, page, count })).feeds.length;
  let ids: number[] = [];
  return [
    {
      label: 'baseline: 10 rows by primary key',
      async run() {
        // Ten ids spread over the table, as a page's are; new ones each time so no query hits a warm row only.
        const base = Math.floor(Math.random() * (N - 10 * 97)) + 1;
        ids = Array.from({ length: 10 }, (_, i) => base + i * 97);
        const rows = await store.db
          .selectFrom('notifications')
          .select(['id', 'sender', 'source', 'ts', 'etime', 'payload', 'type'])
          .where('id', 'in', ids)
          .execute();
        for (const r of rows) JSON.parse(r.payload ?? 'null');
        return rows.length;
      },
    },
    { label: 'inbox page 1', run: page('inbox', 1, false) },
    { label: 'inbox page 5', run: page('inbox', 5, false) },
    { label: 'spam page 1', run: page('spam', 1, false) },
    { label: 'spam page 5', run: page('spam', 5, false) },
    { label: 'inbox page 1 + itemcount', run: page('inbox', 1, true) },
    { label: 'spam page 1 + itemcount', run: page('spam', 1, true) },
  ];
}

async function run(name: 'sqlite' | 'postgres') {
  const backend = name === 'sqlite' ? await openSqlite() : await openPostgres();
  const { store } = backend;
  try {
    const have = Number(
      (await sql<{ c: number }>`SELECT COUNT(*) AS c FROM notifications`.execute(store.db)).rows[0]?.c ?? 0,
    );
    let fill = 'reused';
    if (have === 0) {
      const t = Date.now();
      await seed(store, { notifications: N, subscribers: SUBSCRIBERS });
      fill = `${((Date.now() - t) / 1000).toFixed(0)} s`;
    } else if (have !== N) {
      throw new Error(`${backend.where} holds ${have} notifications, not ${N}`);
    }
    const users = heavyUsers(SUBSCRIBERS);
    const rnd = seededRandom(7);
    const ks = kinds(store);
    const times = ks.map(() => [] as number[]);
    const items = ks.map(() => 0);
    const meter = await cpuMeter(store, POOL_SIZE);
    const cpu = ks.map(() => ({ node: 0, server: 0 }));
    // Interleaved, so background noise on the shared machine lands on every kind alike.
    for (let i = 0; i < QUERIES + WARMUP; i++) {
      const user = users[Math.floor(rnd() * users.length)]!;
      for (const [k, kind] of ks.entries()) {
        const c0 = meter.read();
        const s = process.hrtime.bigint();
        const n = await kind.run(user);
        const ms = Number(process.hrtime.bigint() - s) / 1e6;
        const c1 = meter.read();
        if (i < WARMUP) continue;
        times[k]!.push(ms);
        items[k]! += n;
        cpu[k]!.node += c1.node - c0.node;
        cpu[k]!.server += c1.server - c0.server;
      }
    }
    const floor = pct(times[0]!, 0.5);
    console.log(
      `\n${name} (${backend.where}): ${N} notifications, ${SUBSCRIBERS} subscribers, fill ${fill}; ${QUERIES} queries each, users following 50 channels`,
    );
    console.table(
      ks.map((k, i) => ({
        query: k.label,
        'p50 ms': pct(times[i]!, 0.5).toFixed(2),
        'p99 ms': pct(times[i]!, 0.99).toFixed(2),
        'p50 / baseline': (pct(times[i]!, 0.5) / floor).toFixed(1),
        'avg items': (items[i]! / QUERIES).toFixed(1),
        'CPU ms node': (cpu[i]!.node / QUERIES).toFixed(2),
        ...(name === 'postgres' ? { 'CPU ms server': (cpu[i]!.server / QUERIES).toFixed(2) } : {}),
      })),
    );
    if (KEEP) console.log(`kept: ${backend.where}`);
  } finally {
    await backend.drop();
  }
}

const backends = (['sqlite', 'postgres'] as const).filter((b) => !args.includes(`--no-${b}`));
for (const b of backends) await run(b);
