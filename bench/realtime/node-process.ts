/**
 * The Push Node under test, alone in its process: an embedded SQLite store in a temp dir, seeded before start with
 * one channel and `--subscribers` opted-in users, no chain indexing. Answers the runner over IPC.
 *   (started by run.ts) node-process.ts --subscribers 10000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { privateKeyToAccount } from 'viem/accounts';
import { loadConfig } from '../../src/config/load.js';
import { createNode, type PushNode } from '../../src/node.js';
import { openStore, type Store } from '../../src/store/index.js';
import { OPEN_PERIOD_END } from '../../src/store/schema.js';
import { testChannelRow } from '../../test/support/channel-row.js';
import {
  argValue,
  CHANNEL_KEY,
  CORE_CHAIN_ID,
  type Command,
  type Reply,
  settledMemory,
  subscriberAddress,
} from './shared.js';

const subscribers = argValue(process.argv.slice(2), 'subscribers', 10_000);
const send = (r: Reply) => process.send?.(r);
const dataDir = mkdtempSync(join(tmpdir(), 'push-bench-realtime-'));

/** Channel and subscription rows written as the chain sink would have left them (current state + open period). */
async function seed(store: Store, n: number) {
  const channel = privateKeyToAccount(CHANNEL_KEY).address.toLowerCase();
  const now = Date.now();
  await store.db
    .insertInto('channels')
    .values(
      testChannelRow(channel, {
        core_chain_id: CORE_CHAIN_ID,
        identity: '1+bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a',
        name: 'Realtime Bench',
        info: 'a channel with many live subscribers',
        url: 'https://bench.example',
        icon: 'https://bench.example/icon.png',
        created_at: now - 60_000,
        updated_at: now - 60_000,
      }),
    )
    .execute();
  const CHUNK = 500;
  await store.db.transaction().execute(async (trx) => {
    for (let from = 0; from < n; from += CHUNK) {
      const subs = [];
      const periods = [];
      for (let i = from; i < Math.min(n, from + CHUNK); i++) {
        const subscriber = subscriberAddress(i);
        subs.push({
          channel,
          subscriber,
          subscribed: 1,
          settings_raw: null,
          ts: now - 30_000,
          ts_order: `bench-${i}`,
          proof: `bench-proof-${i}`,
          origin: null,
          chain_id: CORE_CHAIN_ID,
        });
        periods.push({
          channel,
          subscriber,
          from_ts: now - 30_000,
          to_ts: OPEN_PERIOD_END,
          settings_raw: null,
        });
      }
      await trx.insertInto('subscriptions').values(subs).execute();
      // subscription_periods is migration 002's table, outside the foundation's typed schema.
      await trx
        .insertInto('subscription_periods' as never)
        .values(periods as never)
        .execute();
    }
  });
}

let node: PushNode | null = null;

async function main() {
  const store = await openStore({ dataDir, createDataDir: false, logger: pino({ level: 'silent' }) });
  await seed(store, subscribers);
  await store.close();

  const config = loadConfig({
    env: {},
    overrides: {
      network: 'local',
      host: '127.0.0.1',
      port: 0,
      dataDir,
      logLevel: 'warn',
      indexer: { enabled: false },
      // The core chain must be known for its EIP-712 domain; its RPC is never called for an EOA signer.
      chains: [
        { chainId: CORE_CHAIN_ID, rpcUrls: ['http://127.0.0.1:9'] },
        { chainId: 80002, enabled: false },
      ],
    },
  });
  node = await createNode(config);
  await node.start();
  send({ type: 'ready', url: node.url });
}

async function shutdown(code: number) {
  const n = node;
  node = null;
  try {
    await n?.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(code);
  }
}

process.on('message', (m: Command) => {
  if (m.cmd === 'rss') send({ type: 'rss', ...settledMemory(), sockets: node?.realtime.socketCount() ?? 0 });
  else if (m.cmd === 'stop') void shutdown(0);
});
// The runner died or let go: never outlive it.
process.on('disconnect', () => void shutdown(0));

main().catch((err) => {
  send({ type: 'error', message: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) });
  void shutdown(1);
});
