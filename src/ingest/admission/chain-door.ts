import type { Logger } from 'pino';
import type { Counter, Histogram } from 'prom-client';
import type { ChainLog } from '../../chains/types.js';
import { isPushError } from '../../errors.js';
import type { Store } from '../../store/index.js';
import { lockChainWrites } from '../../store/locks.js';
import type { Executor, WriteOrigin } from '../../store/writer.js';
import type { AdmittedNotification, NotificationBus } from '../bus.js';
import { chainInputKey } from '../chain/inputs.js';
import type { ChainNotificationDoor } from '../chain/sink.js';
import { chainNotificationOf, createChainBatch, recordRefusal } from './chain-batch.js';
import type { AdmissionChain } from './chain-client.js';
import { resolveContent } from './content.js';
import { assertChannelCanSend, resolveChannel } from './gate.js';
import type { NotificationStore } from './notification-store.js';
import { type AdmitResult, asResult } from './payload-batch.js';

type Filed = AdmittedNotification;

export interface ChainDoorDeps {
  store: Store;
  coreChainId: number;
  chainOf(chainId: number, field: string): AdmissionChain;
  notifications: NotificationStore;
  bus: NotificationBus;
  publicUrl: string;
  logger: Logger;
  now(): number;
  metrics: { admitted: Counter<'door' | 'result'>; duration: Histogram<'door'> };
  /** Starts a round of content retries (content behind a gateway is stored as due). */
  retryPendingContent(): Promise<number>;
}

/**
 * SendNotification logs into admission: inside the chain sink's transaction (`chainDoor`), or one recorded log on its
 * own (`admitChainNotification`).
 */
export function createChainDoor(deps: ChainDoorDeps) {
  const { notifications, logger } = deps;

  /**
   * A SendNotification log, admitted inside the transaction that records it, in log order: the channel is checked
   * as of that log (the batch's later events are not applied yet), and the notification commits with the log, its
   * block and the cursor, so a crash cannot lose it between them. Content that needs the network (IPFS, subgraph)
   * is stored as due and fetched by the retry loop after the commit. Null for a log admitted before (an `eip155:`
   * request over HTTP may have brought it first).
   */
  async function admitChainIn(
    tx: Executor,
    log: ChainLog,
    origin: WriteOrigin,
  ): Promise<{ id: number; event: Filed | null } | null> {
    const n = chainNotificationOf(log, deps.chainOf(log.chainId, 'chainId'));
    if (await notifications.existing(n.key, tx)) return null;
    const { channel } = await resolveChannel(tx, deps.coreChainId, log.chainId, n.channelAddress, 'channel');
    assertChannelCanSend(channel, 'channel');
    const inline = n.identity.storageType === 0 || n.identity.storageType === 2;
    return notifications.storeIn(
      tx,
      {
        key: n.key,
        input: null,
        requestRecipient: null,
        origin,
        channel,
        sender: n.sender,
        chainId: log.chainId,
        source: n.source,
        proof: n.proof,
        delegate: null,
        identity: n.identityText,
        ts: n.ts,
        recipient: n.recipient,
        content: inline
          ? await resolveContent(n.identity, {}, { retryMismatch: true, field: 'identity' })
          : { kind: 'fetch' },
      },
      deps.now(),
    );
  }

  const admitRun = createChainBatch({
    store: deps.store,
    coreChainId: deps.coreChainId,
    chainOf: deps.chainOf,
    publicUrl: deps.publicUrl,
    logger,
    now: deps.now,
    count: (result) => deps.metrics.admitted.inc({ door: 'chain', result }),
  });

  /** After a transaction that admitted chain logs commits: publish what was filed, fetch what waits for content. */
  function afterChainCommit(stored: { event: Filed | null }[]): void {
    for (const s of stored) if (s.event) deps.bus.publish(s.event);
    if (stored.some((s) => !s.event)) {
      deps.retryPendingContent().catch((err) => logger.error({ err }, 'content retry round failed'));
    }
  }

  const chainDoor: ChainNotificationDoor = {
    // Counted per log (chain-batch.ts); not timed: a run is not one admission.
    async admitRun(tx, logs) {
      const { events, later } = await admitRun(tx, logs);
      // Content behind a gateway: stored as due one by one (finalised blocks: nothing to journal).
      const rest: (() => void)[] = [];
      for (const log of later) {
        const after = await chainDoor.admit(tx, log, {
          chainId: log.chainId,
          blockNumber: log.blockNumber,
          journal: false,
        });
        if (after) rest.push(after);
      }
      if (events.length === 0 && rest.length === 0) return null;
      return () => {
        for (const e of events) deps.bus.publish(e);
        for (const after of rest) after();
      };
    },
    async admit(tx, log, origin) {
      const end = deps.metrics.duration.startTimer({ door: 'chain' });
      try {
        const stored = await admitChainIn(tx, log, origin);
        deps.metrics.admitted.inc({
          door: 'chain',
          result: stored === null ? 'duplicate' : stored.event ? 'admitted' : 'pending_content',
        });
        return stored && (() => afterChainCommit([stored]));
      } catch (err) {
        if (!isPushError(err)) throw err;
        // Refused (channel inactive, malformed identity…): the log stays recorded, marked; the batch goes on.
        deps.metrics.admitted.inc({ door: 'chain', result: err.code });
        await recordRefusal(tx, log, err.code);
        logger.warn(
          { chainId: log.chainId, tx: log.txHash, logIndex: log.logIndex, code: err.code },
          `on-chain notification not admitted: ${err.message}`,
        );
        return null;
      } finally {
        end();
      }
    },
  };

  /** A recorded log admitted on its own (its batch was stored without a door; tests, tools). */
  async function admitChainNotification(log: ChainLog): Promise<AdmitResult | null> {
    const key = chainInputKey(log);
    const dup = await notifications.existing(key);
    if (dup) return asResult(dup, true);
    // The indexer records the log first; if a reorg removed it since, there is nothing to admit.
    const input = await deps.store.db
      .selectFrom('inputs')
      .select('key')
      .where('key', '=', key)
      .executeTakeFirst();
    if (!input) return null;
    const stored = await deps.store.db.transaction().execute(async (tx) => {
      await lockChainWrites(tx, deps.store.dialect);
      // Journaled whatever the block's finality: entries of finalised blocks are pruned with the chain's next batch.
      return admitChainIn(tx, log, { chainId: log.chainId, blockNumber: log.blockNumber, journal: true });
    });
    if (!stored) return asResult((await notifications.existing(key))!, true);
    afterChainCommit([stored]);
    return {
      notificationId: stored.id,
      status: stored.event ? 'admitted' : 'pending_content',
      duplicate: false,
    };
  }

  return { chainDoor, admitChainNotification };
}
