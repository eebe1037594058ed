import type { Logger } from 'pino';
import type { ChainBatch, ChainCursor, ChainLog, ChainSink, Hex } from '../../chains/types.js';
import type { Store } from '../../store/index.js';
import { lockChainWrites } from '../../store/locks.js';
import {
  createWriter,
  type Executor,
  pruneJournal,
  rollbackJournal,
  type WriteOrigin,
  type Writer,
} from '../../store/writer.js';
import {
  applySubscriptionsBulk,
  readSubscriptionRows,
  rederiveSubscriptions,
  type SubscriptionCommand,
  type SubscriptionRow,
} from '../subscriptions.js';
import {
  aliasesBeforeRollback,
  brokenAliases,
  metadataDeclarationsBeforeRollback,
  reassertAliasChainDeclarations,
  reassertConfirmations,
  undoAliasEffects,
} from './alias-undo.js';
import { applyChainEvent, isHandledEvent, isOptInEvent } from './handlers.js';
import { recordChainInputs } from './inputs.js';

/** Tables whose rows are one (channel, subscriber) pair's opt-in state or history. */
const OPT_IN_TABLES = new Set(['subscriptions', 'subscription_periods', 'subscription_events']);

/**
 * Admits a SendNotification log inside the transaction of the batch that records it, after every earlier event of the
 * batch is applied: the channel is judged as of that log, and the notification commits with the log and the cursor.
 */
export interface ChainNotificationDoor {
  /** Returns what to run once the transaction commits (publish to the bus), or null when nothing was admitted. */
  admit(tx: Executor, log: ChainLog, origin: WriteOrigin): Promise<(() => void) | null>;
  /** A run of consecutive logs of finalised blocks (nothing to journal), admitted together; optional. */
  admitRun?(tx: Executor, logs: readonly ChainLog[]): Promise<(() => void) | null>;
}

export interface ChainSinkDeps {
  store: Store;
  coreChainId: number;
  logger: Logger;
  /**
   * Admission's door for SendNotification logs (`admission.chainDoor`); without it they are recorded as inputs only
   * (benchmarks, tools) and can be admitted later with `admitChainNotification`.
   */
  notifications?: ChainNotificationDoor;
  /** Called after a batch commits with the opt-in state it changed (for live fan-out indexes). */
  onSubscriptions?: (rows: SubscriptionRow[]) => void;
  now?: () => number;
}

/**
 * Persists what the chain indexer reads: each batch is one transaction that records the verified inputs (idempotent
 * by (chainId, blockHash, logIndex)), projects them, remembers unfinalised blocks and moves the cursor.
 */
export function createStoreChainSink(deps: ChainSinkDeps): ChainSink {
  const { store, coreChainId, logger } = deps;
  const now = deps.now ?? Date.now;
  const db = store.db;

  return {
    async getCursor(chainId: number): Promise<ChainCursor | null> {
      const cursor = await db
        .selectFrom('chain_cursors')
        .selectAll()
        .where('chain_id', '=', chainId)
        .executeTakeFirst();
      if (!cursor) return null;
      const blocks = await db
        .selectFrom('blocks')
        .selectAll()
        .where('chain_id', '=', chainId)
        .where('number', '<=', cursor.block)
        .orderBy('number', 'asc')
        .execute();
      return {
        block: cursor.block,
        recent: blocks.map((b) => ({
          number: b.number,
          hash: b.hash as Hex,
          parentHash: b.parent_hash as Hex,
          timestamp: b.timestamp,
        })),
      };
    },

    apply,
    rollback,
  };

  async function apply(chainId: number, batch: ChainBatch): Promise<void> {
    const logs = batch.logs.filter((l) => isHandledEvent(l, coreChainId));
    let fresh: ChainLog[] = [];
    const changedSubscriptions: { channel: string; subscriber: string }[] = [];
    const committed: (() => void)[] = [];
    let announced: SubscriptionRow[] = [];
    await db.transaction().execute(async (tx) => {
      // Batches of all chains one at a time: an alias chain's batch must see a handshake the core chain's batch
      // completed, or be seen by it (aliasVerified in handlers.ts).
      await lockChainWrites(tx, store.dialect);
      const t = now();
      fresh = await recordChainInputs(tx, chainId, batch.fromBlock, batch.toBlock, logs, t);
      // Opt-ins and notifications of finalised blocks are applied in runs (the backfill's hot path). Invariant: at
      // most one of the two buffers holds anything, and both are flushed before any other event, so every event
      // still sees the state of all events before it.
      const pending: SubscriptionCommand[] = [];
      const notes: ChainLog[] = [];
      const flushOptIns = async () => {
        if (pending.length === 0) return;
        for (const c of await applySubscriptionsBulk(tx, pending)) changedSubscriptions.push(c);
        pending.length = 0;
      };
      const flushNotes = async () => {
        if (notes.length === 0 || !deps.notifications?.admitRun) return;
        const after = await deps.notifications.admitRun(tx, notes);
        if (after) committed.push(after);
        notes.length = 0;
      };
      const flush = async () => {
        await flushOptIns();
        await flushNotes();
      };
      let w: Writer | undefined;
      // Invariant: a log whose input row already existed was applied before; replays change nothing.
      for (const log of fresh) {
        const journal = log.blockNumber > batch.finalizedBlock;
        if (log.event === 'SendNotification') {
          if (!deps.notifications) continue;
          // Opt-ins before it decide its recipients' boxes.
          await flushOptIns();
          if (!journal && deps.notifications.admitRun) {
            notes.push(log);
            continue;
          }
          await flushNotes();
          const after = await deps.notifications.admit(tx, log, {
            chainId,
            blockNumber: log.blockNumber,
            journal,
          });
          if (after) committed.push(after);
          continue;
        }
        const bulk = !journal && isOptInEvent(log);
        if (bulk) await flushNotes();
        else await flush();
        // One writer per block and journal mode: a backfill batch holds thousands of logs of a few blocks.
        if (!w || w.origin?.blockNumber !== log.blockNumber || w.origin.journal !== journal) {
          w = createWriter(tx, { chainId, blockNumber: log.blockNumber, journal });
        }
        await applyChainEvent({
          w,
          log,
          batch: logs,
          coreChainId,
          logger,
          changedSubscriptions,
          committed,
          ...(deps.notifications ? { notifications: deps.notifications } : {}),
          ...(bulk ? { pendingSubscriptions: pending } : {}),
        });
      }
      await flush();
      for (const b of batch.blocks) {
        await tx
          .insertInto('blocks')
          .values({
            chain_id: chainId,
            number: b.number,
            hash: b.hash,
            parent_hash: b.parentHash,
            timestamp: b.timestamp,
          })
          .onConflict((oc) =>
            oc
              .columns(['chain_id', 'number'])
              .doUpdateSet({ hash: b.hash, parent_hash: b.parentHash, timestamp: b.timestamp }),
          )
          .execute();
      }
      // The block at the finalised height stays: it anchors the reorg check of the first unfinalised block.
      await tx
        .deleteFrom('blocks')
        .where('chain_id', '=', chainId)
        .where((eb) => eb.or([eb('number', '<', batch.finalizedBlock), eb('number', '>', batch.toBlock)]))
        .execute();
      await pruneJournal(tx, chainId, batch.finalizedBlock);
      await tx
        .insertInto('chain_cursors')
        .values({ chain_id: chainId, block: batch.toBlock, updated_at: t })
        .onConflict((oc) => oc.column('chain_id').doUpdateSet({ block: batch.toBlock, updated_at: t }))
        .execute();
      announced = await subscriptionsToAnnounce(tx, changedSubscriptions);
    });
    // Committed is committed: the logs are no longer fresh, so nothing here may skip the rest or fail the batch.
    // Opt-ins first: a broadcast that follows an opt-in in the batch reaches the new subscriber's socket. (One that
    // precedes an opt-out in the same batch no longer reaches the leaver live; it is in their feed.)
    announce(announced);
    for (const after of committed) {
      try {
        after();
      } catch (err) {
        logger.error({ err, chainId }, 'publishing what a chain batch admitted failed');
      }
    }
  }

  async function rollback(chainId: number, toBlock: number): Promise<void> {
    // Opt-ins the rollback restored: live fan-out must forget orphaned ones (and regain undone opt-outs).
    const changedSubscriptions: { channel: string; subscriber: string }[] = [];
    let announced: SubscriptionRow[] = [];
    await db.transaction().execute(async (tx) => {
      await lockChainWrites(tx, store.dialect);
      const linked = await aliasesBeforeRollback(tx, chainId, toBlock);
      const declaredByMetadata =
        chainId === coreChainId ? [] : await metadataDeclarationsBeforeRollback(tx, chainId, toBlock);
      const undone = await rollbackJournal(tx, chainId, toBlock);
      for (const u of undone) {
        if (OPT_IN_TABLES.has(u.table))
          changedSubscriptions.push({
            channel: String(u.key.channel),
            subscriber: String(u.key.subscriber),
          });
      }
      // The restored images of these rows predate any opt-in written since without this chain's journal (signed
      // requests, other chains): the history the rollback left decides their state.
      await rederiveSubscriptions(tx, changedSubscriptions);
      // Restored alias images may predate the other chain's half of a handshake: the half its chain still holds stays.
      const touched = undone
        .filter((u) => u.table === 'aliases')
        .map((u) => u.key as { alias_chain_id: number; alias_address: string });
      if (chainId === coreChainId) await reassertConfirmations(tx, coreChainId, touched);
      else await reassertAliasChainDeclarations(tx, coreChainId, chainId, touched, declaredByMetadata);
      // A handshake the rollback undid (its declaration or confirmation orphaned) no longer makes the alias chain's
      // logs the channel's, including those journaled under the other chain or applied from final blocks.
      for (const link of await brokenAliases(tx, linked)) {
        changedSubscriptions.push(...(await undoAliasEffects(tx, link)));
        logger.warn(
          { chainId, toBlock, ...link },
          'reorg undid an alias handshake: its alias-chain effects are undone',
        );
      }
      const removed = await tx
        .deleteFrom('inputs')
        .where('chain_id', '=', chainId)
        .where('block_number', '>', toBlock)
        .executeTakeFirst();
      await tx.deleteFrom('blocks').where('chain_id', '=', chainId).where('number', '>', toBlock).execute();
      await tx
        .updateTable('chain_cursors')
        .set({ block: toBlock, updated_at: now() })
        .where('chain_id', '=', chainId)
        .execute();
      logger.warn(
        { chainId, toBlock, undoneRows: undone.length, removedInputs: Number(removed.numDeletedRows) },
        'reorg rolled back',
      );
      announced = await subscriptionsToAnnounce(tx, changedSubscriptions);
    });
    announce(announced);
  }

  /**
   * The opt-in state of the pairs a batch or rollback changed, read in its transaction: as it commits. Read after the
   * commit, it would queue for the connection behind whatever queued while the batch ran (the SQLite writer lets the
   * event loop turn mid-batch), and a broadcast that one commits would miss the batch's new subscribers' sockets.
   */
  async function subscriptionsToAnnounce(
    tx: Executor,
    pairs: { channel: string; subscriber: string }[],
  ): Promise<SubscriptionRow[]> {
    return pairs.length === 0 || !deps.onSubscriptions ? [] : readSubscriptionRows(tx, pairs);
  }

  /** Tells live fan-out, right after the commit (no await before it), what the batch changed; failures are logged. */
  function announce(rows: SubscriptionRow[]): void {
    if (rows.length === 0 || !deps.onSubscriptions) return;
    try {
      deps.onSubscriptions(rows);
    } catch (err) {
      logger.error({ err }, 'opt-in changes could not be announced to live fan-out');
    }
  }
}
