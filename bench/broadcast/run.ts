/**
 * Admission time of one broadcast to channels of 1k, 100k and 1M subscribers (SQLite, and Postgres when reachable).
 * A broadcast is stored once and resolved per reader, so the time must not grow with the audience.
 *   npx tsx bench/broadcast/run.ts [--sizes 1000,100000,1000000] [--runs 30] [--no-postgres]
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { createAdmission } from '../../src/ingest/admission/index.js';
import { createBus } from '../../src/ingest/bus.js';
import { openStore, type Store } from '../../src/store/index.js';
import { addr, CORE_CHAIN_ID, CORE_COMM, sdkSend, seedChannel } from '../../test/admission/support.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? def : (args[i + 1] as string);
};
const sizes = opt('sizes', '1000,100000,1000000').split(',').map(Number);
const runs = Number(opt('runs', '30'));
const PG_URL = process.env.PUSH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function fillSubscribers(store: Store, channel: string, n: number): Promise<void> {
  const chunk = store.dialect === 'postgres' ? 5000 : 500;
  for (let i = 0; i < n; i += chunk) {
    const rows = [];
    for (let j = i; j < Math.min(n, i + chunk); j++) {
      rows.push({
        channel,
        subscriber: `0x${j.toString(16).padStart(40, '0')}`,
        from_ts: 0,
        to_ts: 8_640_000_000_000_000,
        settings_raw: null,
      });
    }
    await store.db
      .insertInto('subscription_periods' as never)
      .values(rows as never)
      .execute();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;

async function measure(store: Store, size: number): Promise<{ median: number; p99: number }> {
  await seedChannel(store.db, 1);
  await fillSubscribers(store, addr(1), size);
  const admission = createAdmission({
    store,
    coreChainId: CORE_CHAIN_ID,
    chains: [{ chainId: CORE_CHAIN_ID, comm: CORE_COMM, rpcUrls: [] }],
    bus: createBus(),
    limits: { perIp: null, perChannel: null },
  });
  const bodies = await Promise.all(
    Array.from({ length: runs + 5 }, (_, i) => sdkSend(1, CORE_CHAIN_ID, addr(1), { title: `b${i}` })),
  );
  const times: number[] = [];
  for (const [i, body] of bodies.entries()) {
    const t = process.hrtime.bigint();
    await admission.admitPayload(body);
    if (i >= 5) times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { median: median(times), p99: p99(times) };
}

async function openBackend(
  name: 'sqlite' | 'postgres',
): Promise<{ store: Store; drop: () => Promise<void> }> {
  if (name === 'sqlite') {
    const store = await openStore({ sqlitePath: join(mkdtempSync('/tmp/push-bench-bcast-'), 'db.sqlite') });
    return { store, drop: () => store.close() };
  }
  const schema = `bench_${Date.now().toString(36)}`;
  const store = await openStore({ databaseUrl: PG_URL, schema, poolSize: 4 });
  return {
    store,
    drop: async () => {
      await store.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}

const backends: ('sqlite' | 'postgres')[] = args.includes('--no-postgres')
  ? ['sqlite']
  : ['sqlite', 'postgres'];
const table: Record<string, string | number>[] = [];
for (const b of backends) {
  const base: Record<number, number> = {};
  for (const size of sizes) {
    const { store, drop } = await openBackend(b);
    try {
      if (b === 'postgres') await sql`SELECT 1`.execute(store.db);
      const r = await measure(store, size);
      base[size] = r.median;
      table.push({
        backend: b,
        subscribers: size,
        'median ms': r.median.toFixed(2),
        'p99 ms': r.p99.toFixed(2),
        'vs smallest': (r.median / (base[sizes[0]!] ?? r.median)).toFixed(2),
      });
    } finally {
      await drop();
    }
  }
}
console.table(table);
