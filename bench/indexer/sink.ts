/**
 * The store half of the indexer benchmark, without a chain: synthetic Comm logs (SendNotification + Subscribe, as
 * bench/indexer/run.ts emits them) applied to the store sink in indexer-sized batches.
 *   npx tsx bench/indexer/sink.ts [--events 100000] [--per-block 500] [--blocks-per-batch 20] [--postgres] [--admission]
 * `--admission`: the SendNotification logs are admitted in the batch's transaction as the node does (the channel
 * exists; each is a targeted notification filed to its recipient), instead of only recorded.
 * Prints wall and CPU µs per event for the whole apply next to the wall time per event the whole indexer may take
 * to reach 0.8× of a raw ceiling of `--ceiling` events/s (default 33,000, measured on a quiet machine).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pino from 'pino';
import { Registry } from 'prom-client';
import { keccak256, toHex } from 'viem';
import type { ChainBatch, ChainLog, Hex } from '../../src/chains/types.js';
import { createAdmission } from '../../src/ingest/admission/index.js';
import { createBus } from '../../src/ingest/bus.js';
import { type ChainNotificationDoor, createStoreChainSink } from '../../src/ingest/chain/sink.js';
import { openStore } from '../../src/store/index.js';
import { testChannelRow } from '../../test/support/channel-row.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? def : (args[i + 1] as string);
};
const EVENTS = Number(opt('events', '100000'));
const PER_BLOCK = Number(opt('per-block', '500'));
const BLOCKS_PER_BATCH = Number(opt('blocks-per-batch', '20'));
const CEILING = Number(opt('ceiling', '33000'));
const POSTGRES = args.includes('--postgres');
const ADMISSION = args.includes('--admission');
const CHAIN_ID = 31337;
const CHANNEL = '0x1111111111111111111111111111111111111111';
const COMM = '0x2222222222222222222222222222222222222222' as Hex;
const IDENTITY = '0+3+Benchmark notification+A body long enough to look like a real minimal payload';

const hex32 = (s: string) => keccak256(toHex(s));
const addrOf = (s: string) => `0x${hex32(s).slice(26)}` as Hex;

function makeBatches(): ChainBatch[] {
  const blocks = Math.ceil(EVENTS / PER_BLOCK);
  const batches: ChainBatch[] = [];
  for (let b0 = 0; b0 < blocks; b0 += BLOCKS_PER_BATCH) {
    const logs: ChainLog[] = [];
    const last = Math.min(blocks, b0 + BLOCKS_PER_BATCH) - 1;
    for (let b = b0; b <= last; b++) {
      const blockHash = hex32(`block${b}`);
      const txHash = hex32(`tx${b}`);
      const n = Math.min(PER_BLOCK, EVENTS - b * PER_BLOCK);
      const notifications = Math.ceil(n / 2);
      for (let i = 0; i < n; i++) {
        const isNote = i < notifications;
        logs.push({
          chainId: CHAIN_ID,
          blockNumber: b + 1,
          blockHash,
          logIndex: i,
          txHash,
          txIndex: 0,
          address: COMM,
          contract: 'comm',
          event: isNote ? 'SendNotification' : 'Subscribe',
          args: isNote
            ? { channel: CHANNEL, recipient: addrOf(`r${b}:${i}`), identity: IDENTITY }
            : { channel: CHANNEL, user: addrOf(`u${b}:${i}`) },
          timestamp: 1_700_000_000 + b,
          topic0: hex32(isNote ? 'SendNotification' : 'Subscribe'),
        });
      }
    }
    // Far behind the head, as in a backfill: every block is final.
    batches.push({ fromBlock: b0 + 1, toBlock: last + 1, logs, blocks: [], finalizedBlock: blocks + 100 });
  }
  return batches;
}

const logger = pino({ level: 'warn' });
const dir = mkdtempSync(join(tmpdir(), 'push-bench-sink-'));
const schema = `bench_sink_${process.pid}`;
const store = await openStore(
  POSTGRES
    ? { databaseUrl: process.env.PUSH_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test', schema }
    : { sqlitePath: join(dir, 'bench.sqlite') },
);
let notifications: ChainNotificationDoor | undefined;
if (ADMISSION) {
  await store.db
    .insertInto('channels')
    .values(testChannelRow(CHANNEL, { core_chain_id: CHAIN_ID }))
    .execute();
  notifications = createAdmission({
    store,
    coreChainId: CHAIN_ID,
    chains: [{ chainId: CHAIN_ID, comm: COMM, rpcUrls: [] }],
    bus: createBus({ logger }),
    logger,
    registry: new Registry(),
    limits: { perIp: null, perChannel: null },
  }).chainDoor;
}
const sink = createStoreChainSink({
  store,
  coreChainId: CHAIN_ID,
  logger,
  ...(notifications ? { notifications } : {}),
});
const batches = makeBatches();
const started = performance.now();
const cpu0 = process.cpuUsage();
for (const batch of batches) await sink.apply(CHAIN_ID, batch);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuPerEvent = (cpu.user + cpu.system) / EVENTS;
const admitted = ADMISSION
  ? Number(
      (
        await store.db
          .selectFrom('notifications')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirst()
      )?.n,
    )
  : 0;
if (ADMISSION && admitted !== EVENTS / 2)
  throw new Error(`admitted ${admitted} of ${EVENTS / 2} notifications`);
if (POSTGRES) await sql.raw(`drop schema "${schema}" cascade`).execute(store.db);
await store.close();
rmSync(dir, { recursive: true, force: true });

const perEvent = (seconds * 1e6) / EVENTS;
console.table([
  {
    store: (POSTGRES ? 'postgres' : 'sqlite') + (ADMISSION ? ' + admission' : ''),
    events: EVENTS,
    batches: batches.length,
    seconds: Number(seconds.toFixed(2)),
    'µs/event': Number(perEvent.toFixed(1)),
    'cpu µs/event': Number(cpuPerEvent.toFixed(1)),
    'events/s': Math.round(EVENTS / seconds),
  },
]);
console.log(
  `(at 0.8× of a ${CEILING.toLocaleString('en-US')} ev/s raw ceiling the whole indexer has ${(1e6 / (0.8 * CEILING)).toFixed(1)} µs/event of wall time, decoding included)`,
);
