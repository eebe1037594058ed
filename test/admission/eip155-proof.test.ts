/**
 * `eip155:<chain>:<tx>` proofs over HTTP: the request stands for one log of the transaction (by the sender, to the
 * request's recipient, with its identity), is answered alike when repeated, and is undone by a reorg of its block.
 * A fake ChainClient stands in for the RPC: one transaction whose SendNotification logs are listed below.
 */
import type { Hex } from 'viem';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChainSink } from '../../src/chains/types.js';
import { isPushError } from '../../src/errors.js';
import type { SentNotificationLog } from '../../src/ingest/admission/chain-client.js';
import type { Admission, ChainClient } from '../../src/ingest/admission/index.js';
import type { AdmittedNotification } from '../../src/ingest/bus.js';
import type { Store } from '../../src/store/index.js';
import { listUserFeed } from '../../src/store/repos/feeds.js';
import { testChainLog } from '../support/chain-log.js';
import { storeBackends } from '../support/store-backends.js';
import { addr, CORE_ADMISSION_CHAIN, CORE_CHAIN_ID, seedChannel, testAdmission } from './support.js';

const CH = 1;
const A = 11;
const B = 12;
const C = 13;
const TX = `0x${'ab'.repeat(32)}` as Hex;
const BLOCK_HASH = `0x${'cd'.repeat(32)}` as Hex;
const IDENTITY = '0+3+Alert+your position';

async function code(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => v,
    (e) => (isPushError(e) ? e.code : e),
  );
}

describe.each(storeBackends())('eip155 proofs over HTTP on $name', (backend) => {
  let store: Store;
  let admission: Admission;
  let events: AdmittedNotification[];
  let sink: ChainSink;
  let logs: SentNotificationLog[];
  const clock = 1_700_000_000_000;

  afterAll(() => backend.cleanup());

  beforeEach(async () => {
    store = await backend.open();
    // One transaction (batchSendNotification): the channel sends the same identity to A and to B.
    logs = [
      {
        logIndex: 0,
        blockNumber: 10,
        blockHash: BLOCK_HASH,
        channel: addr(CH),
        recipient: addr(A),
        identity: IDENTITY,
      },
      {
        logIndex: 1,
        blockNumber: 10,
        blockHash: BLOCK_HASH,
        channel: addr(CH),
        recipient: addr(B),
        identity: IDENTITY,
      },
    ];
    const client: ChainClient = {
      async sendNotificationLogs(tx) {
        return tx === TX ? logs : [];
      },
      async isValidSignature() {
        return false;
      },
      async blockTimestamp() {
        return clock / 1000 - 60;
      },
    };
    ({ admission, events, sink } = testAdmission(store, {
      chains: [CORE_ADMISSION_CHAIN],
      chainClients: new Map([[CORE_CHAIN_ID, client]]),
      now: () => clock,
    }));
    await seedChannel(store.db, CH);
  });

  const body = (recipient: number) => ({
    verificationProof: `eip155:${CORE_CHAIN_ID}:${TX}`,
    sender: `eip155:${CORE_CHAIN_ID}:${addr(CH)}`,
    recipient: `eip155:${CORE_CHAIN_ID}:${addr(recipient)}`,
    source: 'ETH_TEST_SEPOLIA',
    identity: IDENTITY,
  });
  /** The tx's log to A as the indexer reads it from block `blockNumber` (mined or re-mined there). */
  const sentToA = (blockNumber: number, blockHash?: Hex) =>
    testChainLog(
      'SendNotification',
      { channel: addr(CH), recipient: addr(A), identity: IDENTITY },
      { blockNumber, blockHash, txHash: TX, timestamp: clock / 1000 - 30 },
    );
  const feed = async (user: number) => {
    const inbox = await listUserFeed(store.db, { user: addr(user), box: 'inbox', limit: 50, now: clock });
    const spam = await listUserFeed(store.db, { user: addr(user), box: 'spam', limit: 50, now: clock });
    return inbox.feeds.length + spam.feeds.length;
  };

  it('refuses a proof whose transaction never notified the requested recipient (no redirect of an on-chain notification)', async () => {
    // The tx sent this identity to A and B only; C is not named by any log.
    const r = await code(admission.admitPayload(body(C)));
    expect({ r, itemsForC: await feed(C) }).toEqual({ r: 'PUSH_ERR_TX_PROOF_INVALID', itemsForC: 0 });
  });

  it('answers the same eip155 proof twice with the same notification (no second one, no second event)', async () => {
    const first = await admission.admitPayload(body(A));
    const second = await admission.admitPayload(body(A));
    expect(second).toEqual({ ...first, duplicate: true });
    expect(events).toHaveLength(1);
    expect(await feed(A)).toBe(1);
  });

  it('answers a repeated eip155 proof like the first even after the channel was deactivated since', async () => {
    logs = [logs[0]!];
    const first = await admission.admitPayload(body(A));
    await store.db.updateTable('channels').set({ state: 2 }).where('channel', '=', addr(CH)).execute();
    const again = await code(admission.admitPayload(body(A)));
    expect(again).toEqual({ ...first, duplicate: true });
  });

  it('answers a proof of a log the indexer refused at its block as refused, whatever the channel is now', async () => {
    logs = [logs[0]!];
    // The indexer reaches the block while the channel is deactivated: the notification is refused there.
    await store.db.updateTable('channels').set({ state: 2 }).where('channel', '=', addr(CH)).execute();
    await sink.apply(CORE_CHAIN_ID, {
      fromBlock: 10,
      toBlock: 10,
      logs: [sentToA(10, BLOCK_HASH)],
      blocks: [],
      finalizedBlock: 10,
    });
    await store.db.updateTable('channels').set({ state: 1 }).where('channel', '=', addr(CH)).execute();
    expect(await code(admission.admitPayload(body(A)))).toBe('PUSH_ERR_TX_PROOF_INVALID');
    expect(await feed(A)).toBe(0);
    expect(events).toEqual([]);
  });

  it("does not consume B's log for A's repeated request: B still gets its notification from the indexer", async () => {
    await admission.admitPayload(body(A));
    await admission.admitPayload(body(A)); // a retry of the same request
    // The indexer now reaches the block and hands both logs to admission.
    const chainLogs = logs.map((l) =>
      testChainLog(
        'SendNotification',
        { channel: l.channel, recipient: l.recipient, identity: l.identity },
        {
          blockNumber: l.blockNumber,
          blockHash: l.blockHash,
          logIndex: l.logIndex,
          txHash: TX,
          timestamp: clock / 1000 - 60,
        },
      ),
    );
    await sink.apply(CORE_CHAIN_ID, {
      fromBlock: 10,
      toBlock: 10,
      logs: chainLogs,
      blocks: [],
      finalizedBlock: 10,
    });
    expect({ a: await feed(A), b: await feed(B) }).toEqual({ a: 1, b: 1 });
  });

  it('rolls back a notification admitted over HTTP from an eip155 proof when a reorg drops its block', async () => {
    // A single-log tx in block 10 (hash H1), not yet finalised.
    logs = [logs[0]!];
    await admission.admitPayload(body(A));
    expect(await feed(A)).toBe(1);
    // The indexer had reached block 9 and now sees a reorg from block 10 on; the tx is re-mined in block 11.
    await sink.apply(CORE_CHAIN_ID, { fromBlock: 9, toBlock: 9, logs: [], blocks: [], finalizedBlock: 0 });
    await sink.rollback(CORE_CHAIN_ID, 9);
    const remined = sentToA(11);
    await sink.apply(CORE_CHAIN_ID, {
      fromBlock: 10,
      toBlock: 11,
      logs: [remined],
      blocks: [],
      finalizedBlock: 0,
    });
    // One transaction, one SendNotification: one item for A (the chain-admitted copy of the reorged log is undone).
    expect(await feed(A)).toBe(1);
  });

  it('the same reorg with the log admitted by the indexer leaves one item', async () => {
    const first = sentToA(10, BLOCK_HASH);
    await sink.apply(CORE_CHAIN_ID, {
      fromBlock: 9,
      toBlock: 10,
      logs: [first],
      blocks: [],
      finalizedBlock: 0,
    });
    await sink.rollback(CORE_CHAIN_ID, 9);
    const remined = sentToA(11);
    await sink.apply(CORE_CHAIN_ID, {
      fromBlock: 10,
      toBlock: 11,
      logs: [remined],
      blocks: [],
      finalizedBlock: 0,
    });
    expect(await feed(A)).toBe(1);
  });
});
