import type { Logger } from 'pino';
import { nextAttemptAt } from '../../content/retry.js';
import { isPushError } from '../../errors.js';
import { parseEip155, parseIdentity } from '../../protocol/index.js';
import { withoutNul } from '../../protocol/text.js';
import type { Store } from '../../store/index.js';
import { lockChainWrites, lockNotificationIds } from '../../store/locks.js';
import type { Executor, WriteOrigin } from '../../store/writer.js';
import type { NotificationBus } from '../bus.js';
import { type ContentIpfs, type ContentSubgraph, resolveContent } from './content.js';
import { fileNotification } from './deliver.js';
import type { NotificationStore } from './notification-store.js';
import { checkPayloadShape } from './payload-batch.js';

export interface ContentRetryDeps {
  store: Store;
  bus: NotificationBus;
  notifications: NotificationStore;
  ipfs?: ContentIpfs | undefined;
  subgraph?: ContentSubgraph | undefined;
  limits: {
    contentRetry: { baseMs: number; maxMs: number; maxAttempts: number; intervalMs: number; batch: number };
  };
  publicUrl: string;
  logger: Logger;
  now(): number;
}

/**
 * Notifications whose content was not available yet (IPFS, subgraph): fetched again with backoff, bounded, then filed
 * (under a fresh id) or marked failed — visibly, in the row. One round at a time per process; rows are claimed, so
 * several processes may run it.
 */
export function createContentRetry(deps: ContentRetryDeps) {
  const db = deps.store.db;
  const { limits, logger, now } = deps;

  async function retryOne(row: {
    id: number;
    input_key: string;
    identity: string;
    content_attempts: number;
    chain_id: number;
    sender: string;
    source: string;
    ts: number;
    recipient: string | null;
    delegate: string | null;
  }): Promise<void> {
    // An off-chain payload's row holds its request; a chain key also names a recorded input (the log, or the
    // request that brought its proof), which says where the notification came from.
    const input = row.input_key.startsWith('chain:')
      ? await db.selectFrom('inputs').selectAll().where('key', '=', row.input_key).executeTakeFirst()
      : undefined;
    let recipientText = row.recipient;
    let origin: WriteOrigin | null = null;
    // The proof a feed item shows: the request's own text, or for a log the indexer found, its transaction.
    let proof = row.input_key;
    if (input) {
      const body = JSON.parse(input.body) as {
        recipient?: string;
        verificationProof?: string;
        args?: { recipient?: string };
      };
      recipientText ??= (input.kind === 'chain' ? body.args?.recipient : body.recipient) ?? null;
      proof =
        input.kind === 'chain'
          ? `eip155:${row.chain_id}:${input.tx_hash ?? ''}`
          : (body.verificationProof ?? row.input_key);
      // A log's position (the indexer's, or the one an eip155 request proved) journals what the retry files.
      if (input.block_number !== null)
        origin = { chainId: Number(input.chain_id), blockNumber: Number(input.block_number), journal: true };
    }
    let recipient: string | null = null;
    try {
      recipient = !recipientText || recipientText.includes(',') ? null : parseEip155(recipientText).address;
    } catch {
      recipient = null;
    }
    const t = now();
    const attempts = Number(row.content_attempts) + 1;
    const fail = async (message: string, permanent: boolean) => {
      const failed = permanent || attempts >= limits.contentRetry.maxAttempts;
      await db
        .updateTable('notifications')
        .set({
          content_attempts: attempts,
          content_next_at: failed ? 0 : nextAttemptAt(attempts, t, limits.contentRetry),
          // It may quote the content it refused (V8's JSON.parse errors do, raw): unwritable, the row would stay due.
          content_error: withoutNul(message),
          status: failed ? 'failed' : 'pending_content',
        })
        .where('id', '=', row.id)
        .execute();
      if (failed)
        logger.warn(
          { notification: row.id, attempts, message },
          'notification content could not be resolved; marked failed',
        );
    };
    let outcome: Awaited<ReturnType<typeof resolveContent>>;
    try {
      outcome = await resolveContent(parseIdentity(row.identity), deps, {
        retryMismatch: true,
        field: 'identity',
      });
    } catch (err) {
      await fail(isPushError(err) ? `${err.code}: ${err.message}` : String(err), true);
      return;
    }
    if (outcome.kind === 'later') {
      await fail(`${outcome.code}: ${outcome.message}`, false);
      return;
    }
    const payload = outcome.payload;
    let refused: unknown = null;
    const event = await deps.store.db.transaction().execute(async (trx) => {
      const tx: Executor = trx;
      // Its journal entries (a chain-keyed row) must not slip past a concurrent rollback of that block.
      if (origin) await lockChainWrites(tx, deps.store.dialect);
      const channelRow = await tx
        .selectFrom('notifications as n')
        .innerJoin('channels as c', 'c.channel', 'n.channel')
        .selectAll('c')
        .where('n.id', '=', row.id)
        .executeTakeFirst();
      if (!channelRow) return null;
      // A request's content gets the checks it would have had at the door, had it been there (a log's is the chain's).
      if (input?.kind !== 'chain') {
        try {
          checkPayloadShape(payload, channelRow, recipient);
        } catch (err) {
          refused = err;
          return null;
        }
      }
      // Claimed by deleting the pending row: of two processes retrying it, the second deletes nothing (it waits for
      // the first's commit on Postgres) and files nothing, so it is filed and published once.
      const claimed = await tx
        .deleteFrom('notifications')
        .where('id', '=', row.id)
        .where('status', '=', 'pending_content')
        .returningAll()
        .executeTakeFirst();
      if (!claimed) return null;
      // Filed under a fresh id. Invariant: ids grow in the order notifications become visible, which is what a
      // resuming socket's `lastId` counts on (an item that waited for its content is new to every reader).
      const { id: _old, ...rest } = claimed;
      await lockNotificationIds(tx, deps.store.dialect);
      const { id: fresh } = await tx
        .insertInto('notifications')
        .values({ ...rest, content_attempts: attempts })
        .returning('id')
        .executeTakeFirstOrThrow();
      const id = Number(fresh);
      if (origin?.journal) await deps.notifications.journalNewNotification(tx, origin, id);
      return fileNotification(tx, origin, {
        publicUrl: deps.publicUrl,
        id,
        ts: Number(row.ts),
        channel: channelRow,
        sender: row.sender,
        source: row.source,
        proof,
        delegate: row.delegate,
        payload,
        recipient,
        epoch: Math.floor(t / 1000),
      });
    });
    if (refused)
      await fail(isPushError(refused) ? `${refused.code}: ${refused.message}` : String(refused), true);
    if (event) deps.bus.publish(event);
  }

  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;

  async function retryPendingContent(): Promise<number> {
    if (running) return running;
    running = (async () => {
      const due = await db
        .selectFrom('notifications')
        .select([
          'id',
          'input_key',
          'identity',
          'content_attempts',
          'chain_id',
          'sender',
          'source',
          'ts',
          'recipient',
          'delegate',
        ])
        .where('status', '=', 'pending_content')
        .where('content_next_at', '<=', now())
        .orderBy('content_next_at')
        .limit(limits.contentRetry.batch)
        .execute();
      for (const row of due) {
        try {
          await retryOne({ ...row, id: Number(row.id) });
        } catch (err) {
          logger.error({ err, notification: row.id }, 'content retry failed');
          // Best effort: a row whose retry fails every time must not stay due, first in line ahead of every other.
          const attempts = Number(row.content_attempts) + 1;
          await db
            .updateTable('notifications')
            .set({
              content_attempts: attempts,
              content_next_at: nextAttemptAt(attempts, now(), limits.contentRetry),
            })
            .where('id', '=', row.id)
            .where('status', '=', 'pending_content')
            .execute()
            .catch((e: unknown) =>
              logger.error({ err: e, notification: row.id }, 'content retry not rescheduled'),
            );
        }
      }
      return due.length;
    })();
    try {
      return await running;
    } finally {
      running = null;
    }
  }

  return {
    retryPendingContent,
    start() {
      if (timer) return;
      timer = setInterval(() => {
        retryPendingContent().catch((err) => logger.error({ err }, 'content retry round failed'));
      }, limits.contentRetry.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      if (running) await running.catch(() => {});
    },
  };
}
