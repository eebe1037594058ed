import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { type Address, stringToHex } from 'viem';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createChainIndexer } from '../../src/chains/indexer.js';
import { loadPushArtifacts } from '../../src/contracts/artifacts.js';
import {
  type DevChain,
  deployPush,
  devnetAccounts,
  sendContractCall,
  startChain,
} from '../../src/devnet/index.js';
import { createStoreChainSink } from '../../src/ingest/chain/sink.js';
import { openStore } from '../../src/store/index.js';
import { killStrayClis, spawnCli, waitForLog } from '../support/cli.js';
import { projectionSnapshot } from '../support/projections.js';
import { testTempDirs } from '../support/temp-dir.js';

const logger = pino({ level: 'silent' });
const accounts = devnetAccounts();
let chain: DevChain;
let comm: Address;
let core: Address;
let startBlock: number;
const BLOCKS = 30;
const PER_BLOCK = 200;

beforeAll(async () => {
  chain = await startChain({ chainId: 11155111, logger });
  const deployment = await deployPush(chain, {
    core: '0x5ab1520e2bd519bdab2e1347eee81c00a77f4946',
    comm: '0x9dDCD7ed7151afab43044E4D694FA064742C428c',
    admin: accounts[0]!.address,
  });
  comm = deployment.comm;
  core = deployment.core!;
  startBlock = deployment.startBlock;
  const { comm: commArtifact, core: coreArtifact } = await loadPushArtifacts();
  const channel = accounts[1]!;
  // A channel, so that the node admits the batches' notifications (its metadata is never fetched: no gateway).
  await sendContractCall(chain, channel.privateKey, {
    address: core,
    abi: coreArtifact.abi,
    functionName: 'createChannel',
    args: [2, stringToHex('1+bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a')],
  });
  for (let b = 0; b < BLOCKS; b++) {
    const users = Array.from(
      { length: PER_BLOCK },
      (_, i) => `0x${(b * PER_BLOCK + i + 1).toString(16).padStart(40, '0')}` as Address,
    );
    if (b % 2 === 0) {
      await sendContractCall(chain, accounts[0]!.privateKey, {
        address: comm,
        abi: commArtifact.abi,
        functionName: 'migrateSubscribeData',
        args: [users.map(() => channel.address), users],
      });
    } else {
      await sendContractCall(chain, channel.privateKey, {
        address: comm,
        abi: commArtifact.abi,
        functionName: 'batchSendNotification',
        args: [channel.address, users, stringToHex('0+3+Title+Body')],
      });
    }
  }
}, 180_000);

afterAll(async () => {
  await chain?.stop();
});

async function syncedBlock(dbPath: string): Promise<number> {
  const store = await openStore({ sqlitePath: dbPath, migrate: false });
  try {
    const row = await store.db.selectFrom('chain_cursors').select('block').executeTakeFirst();
    return row?.block ?? -1;
  } finally {
    await store.close();
  }
}

const tempDirs = testTempDirs('push-crash-');

// One hook, so the directories go only after any CLI still running in them is killed.
afterEach(() => {
  killStrayClis();
  tempDirs.removeAll();
});

describe('a node killed with SIGKILL mid-backfill', () => {
  it('resumes after restart and loses and duplicates nothing', async () => {
    const dir = tempDirs.make();
    const configPath = join(dir, 'node.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        port: 0,
        dataDir: dir,
        chains: [
          {
            chainId: 11155111,
            rpcUrls: [chain.rpcUrl],
            startBlock,
            finalityDepth: 1,
            blockTimeMs: 500,
            maxBlockRange: 2,
          },
          { chainId: 80002, enabled: false },
        ],
      }),
    );
    const dbPath = join(dir, 'push-node.sqlite');
    const head = Number(
      (
        (await (
          await fetch(chain.rpcUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
          })
        ).json()) as { result: string }
      ).result,
    );

    const first = spawnCli(['start', '--config', configPath], { PUSH_NODE_LOG_LEVEL: 'info' }, dir);
    await waitForLog(first, 'push node listening');
    // Kill it once it has committed some, but not all, of the backfill.
    let seen = -1;
    for (let i = 0; i < 400 && (seen <= startBlock + 2 || seen >= head - 2); i++) {
      await new Promise((r) => setTimeout(r, 25));
      seen = await syncedBlock(dbPath).catch(() => -1);
      if (seen >= head - 2) break;
    }
    first.kill('SIGKILL');
    await once(first, 'exit');
    const atKill = await syncedBlock(dbPath);
    expect(atKill).toBeLessThan(head);

    const second = spawnCli(['start', '--config', configPath], { PUSH_NODE_LOG_LEVEL: 'info' }, dir);
    await waitForLog(second, 'push node listening');
    for (let i = 0; i < 600 && (await syncedBlock(dbPath)) < head; i++)
      await new Promise((r) => setTimeout(r, 50));
    second.kill('SIGTERM');
    await once(second, 'exit');

    const recovered = await openStore({ sqlitePath: dbPath });
    const fresh = await openStore({ sqlitePath: ':memory:' });
    const indexer = createChainIndexer({
      spec: {
        chainId: 11155111,
        name: 'fresh',
        rpcUrls: [chain.rpcUrl],
        wsUrls: [],
        core,
        comm,
        startBlock,
        finalityDepth: 1,
        blockTimeMs: 500,
      },
      sink: createStoreChainSink({ store: fresh, coreChainId: 11155111, logger }),
      logger,
      registry: new Registry(),
      progress: 'off',
    });
    await indexer.start();
    await indexer.whenSynced(head);
    await indexer.stop();
    try {
      const a = await projectionSnapshot(recovered.db);
      const b = await projectionSnapshot(fresh.db);
      expect(a.inputs.length).toBeGreaterThan(BLOCKS * PER_BLOCK);
      expect(a).toEqual(b);
      // Every recorded notification was admitted once, each to its one recipient: none lost at the kill.
      const sent = await recovered.db
        .selectFrom('inputs')
        .select('key')
        .where('event', '=', 'SendNotification')
        .orderBy('key')
        .execute();
      const admitted = await recovered.db
        .selectFrom('notifications')
        .select('input_key')
        .where('status', '=', 'admitted')
        .orderBy('input_key')
        .execute();
      expect(sent).toHaveLength((BLOCKS / 2) * PER_BLOCK);
      expect(admitted.map((n) => n.input_key)).toEqual(sent.map((s) => s.key));
      const entries = await recovered.db.selectFrom('feed_entries').select('recipient').execute();
      expect(entries).toHaveLength(sent.length);
    } finally {
      await recovered.close();
      await fresh.close();
    }
  }, 180_000);
});
