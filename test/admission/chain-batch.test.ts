/**
 * On-chain SendNotification events are admitted inside the transaction of the batch that records them, in log order:
 * the channel is judged as of the notification's block whatever the batch boundaries, and a batch that fails midway
 * (the process dies) leaves nothing behind, so the restarted node admits every notification it records.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import type { Hex } from 'viem';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChainLog } from '../../src/chains/types.js';
import { createAdmission } from '../../src/ingest/admission/index.js';
import { createBus } from '../../src/ingest/bus.js';
import { createStoreChainSink } from '../../src/ingest/chain/sink.js';
import { storeBackends } from '../support/store-backends.js';
import { addr, CORE_CHAIN_ID, CORE_COMM } from './support.js';

const logger = pino({ level: 'silent' });
const CH = 1;
const USER = 11;
const T0 = 1_700_000_000;
const CORE = '0x5ab1520e2bd519bdab2e1347eee81c00a77f4946' as Hex;

function log(
  event: string,
  contract: 'core' | 'comm',
  blockNumber: number,
  args: Record<string, unknown>,
): ChainLog {
  return {
    chainId: CORE_CHAIN_ID,
    blockNumber,
    blockHash: `0x${blockNumber.toString(16).padStart(64, '0')}` as Hex,
    logIndex: 0,
    txHash: `0x${(blockNumber + 0x1000).toString(16).padStart(64, '0')}` as Hex,
    txIndex: 0,
    address: contract === 'core' ? CORE : (CORE_COMM.toLowerCase() as Hex),
    contract,
    event,
    args,
    timestamp: T0 + blockNumber * 12,
    topic0: '0x00' as Hex,
  };
}

const history = [
  log('AddChannel', 'core', 100, {
    channel: addr(CH),
    channelType: 2n,
    identity: '1+bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a',
  }),
  log('SendNotification', 'comm', 101, {
    channel: addr(CH),
    recipient: addr(USER),
    identity: '0+3+Sent while active+body',
  }),
  log('DeactivateChannel', 'core', 102, { channel: addr(CH), amountRefunded: 0n }),
];

describe.each(storeBackends())('chain notification vs later channel state on $name', (backend) => {
  afterAll(() => backend.cleanup());

  async function setup() {
    const store = await backend.open();
    const admission = createAdmission({
      store,
      coreChainId: CORE_CHAIN_ID,
      chains: [{ chainId: CORE_CHAIN_ID, comm: CORE_COMM, rpcUrls: [] }],
      bus: createBus({ logger }),
      logger,
      registry: new Registry(),
      limits: { perIp: null, perChannel: null },
    });
    return { store, admission };
  }

  const batchOf = (logs: ChainLog[]) => {
    const blocks = logs.map((l) => l.blockNumber);
    return {
      fromBlock: Math.min(...blocks),
      toBlock: Math.max(...blocks),
      logs,
      blocks: [],
      finalizedBlock: Math.max(...blocks),
    };
  };

  async function index(batches: ChainLog[][]): Promise<number> {
    const { store, admission } = await setup();
    const sink = createStoreChainSink({
      store,
      coreChainId: CORE_CHAIN_ID,
      logger,
      notifications: admission.chainDoor,
    });
    for (const logs of batches) await sink.apply(CORE_CHAIN_ID, batchOf(logs));
    const rows = await store.db.selectFrom('notifications').select('id').execute();
    return rows.length;
  }

  it('stores nothing of a batch whose admission fails midway, and admits everything after the restart', async () => {
    const { store, admission } = await setup();
    const dying = createStoreChainSink({
      store,
      coreChainId: CORE_CHAIN_ID,
      logger,
      notifications: {
        admit() {
          throw new Error('the process dies here');
        },
      },
    });
    await expect(dying.apply(CORE_CHAIN_ID, batchOf(history))).rejects.toThrow('the process dies here');
    const count = async (table: 'inputs' | 'notifications' | 'chain_cursors' | 'channels') =>
      (await store.db.selectFrom(table).selectAll().execute()).length;
    expect(await Promise.all([count('inputs'), count('channels'), count('chain_cursors')])).toEqual([
      0, 0, 0,
    ]);

    const restarted = createStoreChainSink({
      store,
      coreChainId: CORE_CHAIN_ID,
      logger,
      notifications: admission.chainDoor,
    });
    await restarted.apply(CORE_CHAIN_ID, batchOf(history));
    const recorded = await store.db
      .selectFrom('inputs')
      .select('key')
      .where('event', '=', 'SendNotification')
      .execute();
    const admitted = await store.db.selectFrom('notifications').select('input_key').execute();
    expect(admitted.map((n) => n.input_key)).toEqual(recorded.map((r) => r.key));
    expect(admitted).toHaveLength(1);
  });

  it('admits a notification sent while the channel was active, whatever the batch boundaries', async () => {
    const live = await index(history.map((l) => [l])); // one block per batch, as when following the head
    const backfill = await index([history]); // one batch, as in a backfill
    expect({ live, backfill }).toEqual({ live: 1, backfill: 1 });
  });
});
