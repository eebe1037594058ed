/**
 * On-chain SendNotification events are admitted inside the transaction of the batch that records them, in log order:
 * the channel is judged as of the notification's block whatever the batch boundaries, and a batch that fails midway
 * (the process dies) leaves nothing behind, so the restarted node admits every notification it records.
 */
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChainLog } from '../../src/chains/types.js';
import { createStoreChainSink } from '../../src/ingest/chain/sink.js';
import { testChainLog } from '../support/chain-log.js';
import { storeBackends } from '../support/store-backends.js';
import { addr, CORE_ADMISSION_CHAIN, CORE_CHAIN_ID, testAdmission } from './support.js';

const logger = pino({ level: 'silent' });
const CH = 1;
const USER = 11;

const history = [
  testChainLog(
    'AddChannel',
    {
      channel: addr(CH),
      channelType: 2n,
      identity: '1+bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a',
    },
    { blockNumber: 100 },
  ),
  testChainLog(
    'SendNotification',
    { channel: addr(CH), recipient: addr(USER), identity: '0+3+Sent while active+body' },
    { blockNumber: 101 },
  ),
  testChainLog('DeactivateChannel', { channel: addr(CH), amountRefunded: 0n }, { blockNumber: 102 }),
];

describe.each(storeBackends())('chain notification vs later channel state on $name', (backend) => {
  afterAll(() => backend.cleanup());

  async function setup() {
    const store = await backend.open();
    return { store, ...testAdmission(store, { chains: [CORE_ADMISSION_CHAIN] }) };
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
    const { store, sink } = await setup();
    for (const logs of batches) await sink.apply(CORE_CHAIN_ID, batchOf(logs));
    const rows = await store.db.selectFrom('notifications').select('id').execute();
    return rows.length;
  }

  it('stores nothing of a batch whose admission fails midway, and admits everything after the restart', async () => {
    const { store, sink: restarted } = await setup();
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

describe.each(storeBackends())('a backfill run of notifications on $name', (backend) => {
  afterAll(() => backend.cleanup());
  const OTHER = 12;
  const STRANGER = 2;
  const subset = JSON.parse(
    `{"notification":{"title":"s","body":"b"},"data":{"acta":"","aimg":"","amsg":"b","asub":"s","type":"4"},"recipients":{"eip155:${addr(USER)}":null,"eip155:${addr(OTHER)}":null}}`,
  );
  const logs = [
    testChainLog(
      'AddChannel',
      {
        channel: addr(CH),
        channelType: 2n,
        identity: '1+bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a',
      },
      { blockNumber: 100 },
    ),
    testChainLog('Subscribe', { channel: addr(CH), user: addr(USER) }, { blockNumber: 100, logIndex: 1 }),
    testChainLog(
      'SendNotification',
      { channel: addr(CH), recipient: addr(USER), identity: '0+3+to a subscriber+b' },
      { blockNumber: 101 },
    ),
    testChainLog(
      'SendNotification',
      { channel: addr(CH), recipient: addr(OTHER), identity: '0+3+to a stranger+b' },
      { blockNumber: 101, logIndex: 1 },
    ),
    testChainLog(
      'SendNotification',
      { channel: addr(CH), recipient: addr(CH), identity: '0+1+to everyone+b' },
      { blockNumber: 101, logIndex: 2 },
    ),
    testChainLog(
      'SendNotification',
      { channel: addr(CH), recipient: addr(CH), identity: `2+${JSON.stringify(subset)}` },
      { blockNumber: 101, logIndex: 3 },
    ),
    testChainLog(
      'SendNotification',
      { channel: addr(STRANGER), recipient: addr(USER), identity: '0+3+no channel+b' },
      { blockNumber: 101, logIndex: 4 },
    ),
    testChainLog(
      'SendNotification',
      { channel: addr(CH), recipient: addr(USER), identity: 'not an identity' },
      { blockNumber: 101, logIndex: 5 },
    ),
    testChainLog(
      'SendNotification',
      {
        channel: addr(CH),
        recipient: addr(USER),
        identity: '1+bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a',
      },
      { blockNumber: 101, logIndex: 6 },
    ),
    testChainLog('Subscribe', { channel: addr(CH), user: addr(OTHER) }, { blockNumber: 102 }),
    testChainLog(
      'SendNotification',
      { channel: addr(CH), recipient: addr(OTHER), identity: '0+3+now subscribed+b' },
      { blockNumber: 102, logIndex: 1 },
    ),
    testChainLog('DeactivateChannel', { channel: addr(CH), amountRefunded: 0n }, { blockNumber: 103 }),
    testChainLog(
      'SendNotification',
      { channel: addr(CH), recipient: addr(USER), identity: '0+3+inactive+b' },
      { blockNumber: 103, logIndex: 1 },
    ),
  ];

  /** What admission stored: each notification by its log, with its state and who got it in which box. */
  async function outcome(finalizedBlock: number) {
    const store = await backend.open();
    const { admission, events, sink } = testAdmission(store, { chains: [CORE_ADMISSION_CHAIN] });
    await sink.apply(CORE_CHAIN_ID, { fromBlock: 100, toBlock: 103, logs, blocks: [], finalizedBlock });
    // The IPFS one was stored as due and handed to the retry loop (no gateway here: it fails for good).
    await admission.retryPendingContent();
    const rows = await store.db
      .selectFrom('notifications')
      .select(['id', 'input_key', 'status', 'type', 'payload'])
      .orderBy('input_key')
      .execute();
    const entries = await store.db.selectFrom('feed_entries').selectAll().execute();
    const refused = await store.db
      .selectFrom('inputs')
      .select(['key', 'refused'])
      .where('refused', 'is not', null)
      .orderBy('key')
      .execute();
    return {
      refused,
      notifications: rows.map((r) => ({
        key: r.input_key,
        status: r.status,
        type: Number(r.type),
        // The feed title is "<channel name> - <title>"; the channel's metadata is never fetched here.
        title: r.payload
          ? (JSON.parse(r.payload) as { notification: { title: string } }).notification.title.replace(
              /^ - /,
              '',
            )
          : null,
        boxes: entries
          .filter((e) => Number(e.notification_id) === Number(r.id))
          .map((e) => `${e.recipient === addr(USER) ? 'user' : 'other'}:${e.box}`)
          .sort(),
      })),
      published: events.length,
    };
  }

  it('admits, files and refuses exactly as the one-by-one path does', async () => {
    const oneByOne = await outcome(0); // nothing final: every log through the journaled path
    const run = await outcome(103); // all final: the notifications in runs
    expect(run).toEqual(oneByOne);
    const byTitle = Object.fromEntries(run.notifications.map((n) => [n.title ?? n.status, n.boxes]));
    expect(byTitle).toEqual({
      'to a subscriber': ['user:inbox'],
      'to a stranger': ['other:spam'],
      'to everyone': [],
      s: ['other:spam', 'user:inbox'],
      'now subscribed': ['other:inbox'],
      failed: [],
    });
    // Refused at their block (no channel; not an identity; deactivated), marked on their inputs.
    expect(run.refused.map((r) => r.refused).sort()).toEqual([
      'PUSH_ERR_CHANNEL_INACTIVE',
      'PUSH_ERR_CHANNEL_NOT_FOUND',
      'PUSH_ERR_INVALID_IDENTITY',
    ]);
    expect(run.published).toBe(5);
  });
});
