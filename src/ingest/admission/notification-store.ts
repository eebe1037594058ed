import type { Hex } from '../../chains/types.js';
import { type BackoffPolicy, nextAttemptAt } from '../../content/retry.js';
import type { NotificationPayload } from '../../protocol/index.js';
import { withoutNul } from '../../protocol/text.js';
import type { Store } from '../../store/index.js';
import { lockChainWrites, lockNotificationIds } from '../../store/locks.js';
import type { Executor, WriteOrigin } from '../../store/writer.js';
import type { AdmittedNotification, NotificationBus } from '../bus.js';
import { fileNotification } from './deliver.js';
import type { ChannelRow } from './gate.js';
import { type AdmitResult, asResult } from './payload-batch.js';

/** The chain log an `eip155:` request stands for, where it is on its chain. */
export interface ProvenLog {
  chainId: number;
  blockNumber: number;
  blockHash: Hex;
  logIndex: number;
  txHash: Hex;
  /** Block time, seconds. */
  timestamp: number;
}

/** A verified notification about to be stored, from any door. */
export interface NewNotification {
  key: string;
  /**
   * An `inputs` row to record with it: only an `eip155:` proof over HTTP, whose key is its chain event's. The log's
   * position is recorded too, so a reorg that orphans its block removes the request with everything it filed.
   */
  input: { kind: 'http'; body: string; log: ProvenLog } | null;
  /** The request's `recipient` as received (HTTP door), stored with the notification; null for chain events. */
  requestRecipient: string | null;
  origin: WriteOrigin | null;
  channel: ChannelRow;
  sender: string;
  chainId: number;
  source: string;
  proof: string;
  delegate: string | null;
  identity: string;
  ts: number;
  recipient: string | null;
  content:
    | { kind: 'ready'; payload: NotificationPayload }
    | { kind: 'later'; code: string; message: string }
    /** Not fetched yet: due for the retry loop at once (a chain batch's transaction never waits for a gateway). */
    | { kind: 'fetch' };
}

type Filed = AdmittedNotification;

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    e?.code === '23505' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    /UNIQUE constraint/.test(e?.message ?? '')
  );
}

export interface NotificationStoreDeps {
  store: Store;
  bus: NotificationBus;
  publicUrl: string;
  contentRetry: BackoffPolicy;
  now(): number;
}

/** Writes one verified notification at a time (the doors that are not batched), and finds one by its key. */
export function createNotificationStore(deps: NotificationStoreDeps) {
  async function existing(
    key: string,
    exec: Executor = deps.store.db,
  ): Promise<{ id: number; status: string; sender: string; identity: string } | undefined> {
    return exec
      .selectFrom('notifications')
      .select(['id', 'status', 'sender', 'identity'])
      .where('input_key', '=', key)
      .executeTakeFirst();
  }

  /** A reorg of the origin's block deletes the notification row `id`. */
  async function journalNewNotification(tx: Executor, origin: WriteOrigin, id: number): Promise<void> {
    await tx
      .insertInto('journal')
      .values({
        chain_id: origin.chainId,
        block_number: origin.blockNumber,
        table_name: 'notifications',
        row_key: JSON.stringify({ id }),
        old_row: null,
      })
      .execute();
  }

  /**
   * Writes a verified notification in the caller's transaction (and files it when its content is known). Returns its
   * id and the event to publish once that transaction commits.
   */
  async function storeIn(
    tx: Executor,
    n: NewNotification,
    t: number,
  ): Promise<{ id: number; event: Filed | null }> {
    let event: Filed | null = null;
    // Before any row it writes: a row lock taken first could be what the ids lock's holder waits for.
    await lockNotificationIds(tx, deps.store.dialect);
    if (n.input) {
      await tx
        .insertInto('inputs')
        .values({
          key: n.key,
          kind: 'http',
          event: 'Payload',
          chain_id: n.input.log.chainId,
          block_number: n.input.log.blockNumber,
          block_hash: n.input.log.blockHash,
          log_index: n.input.log.logIndex,
          tx_hash: n.input.log.txHash,
          body: n.input.body,
          ts: n.ts,
          created_at: t,
        })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
    }
    const ready = n.content.kind === 'ready';
    const inserted = await tx
      .insertInto('notifications')
      .values({
        input_key: n.key,
        channel: n.channel.channel,
        sender: n.sender,
        delegate: n.delegate,
        chain_id: n.chainId,
        source: n.source,
        type: ready ? (n.content as { payload: NotificationPayload }).payload.data.type : 0,
        ts: n.ts,
        identity: n.identity,
        recipient: n.requestRecipient,
        payload: null,
        recipients: null,
        hidden: 0,
        etime: null,
        status: 'pending_content',
        created_at: t,
        idx: null,
        content_attempts: n.content.kind === 'later' ? 1 : 0,
        content_next_at: n.content.kind === 'later' ? nextAttemptAt(1, t, deps.contentRetry) : t,
        content_error:
          n.content.kind === 'later' ? withoutNul(`${n.content.code}: ${n.content.message}`) : null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const newId = Number(inserted.id);
    if (n.origin?.journal) await journalNewNotification(tx, n.origin, newId);
    if (n.content.kind === 'ready') {
      event = await fileNotification(tx, n.origin, {
        publicUrl: deps.publicUrl,
        id: newId,
        ts: n.ts,
        channel: n.channel,
        sender: n.sender,
        source: n.source,
        proof: n.proof,
        delegate: n.delegate,
        payload: n.content.payload,
        recipient: n.recipient,
        epoch: Math.floor(t / 1000),
      });
    }
    return { id: newId, event };
  }

  /** Stores a verified notification (and files it when its content is known), then announces it. */
  async function store(n: NewNotification): Promise<AdmitResult> {
    let stored: { id: number; event: Filed | null };
    try {
      stored = await deps.store.db.transaction().execute(async (tx) => {
        // Journaled under a block (an eip155 request): serialised with that chain's batches and rollbacks.
        if (n.origin?.journal) await lockChainWrites(tx, deps.store.dialect);
        return storeIn(tx, n, deps.now());
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // A concurrent request with the same proof won the race: same outcome, no second event.
      const row = await existing(n.key);
      if (!row) throw err;
      return asResult(row, true);
    }
    if (stored.event) deps.bus.publish(stored.event);
    return {
      notificationId: stored.id,
      status: stored.event ? 'admitted' : 'pending_content',
      duplicate: false,
    };
  }

  return { existing, journalNewNotification, storeIn, store };
}

export type NotificationStore = ReturnType<typeof createNotificationStore>;
