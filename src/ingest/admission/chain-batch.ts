import type { Logger } from 'pino';
import type { ChainLog } from '../../chains/types.js';
import { isPushError } from '../../errors.js';
import {
  type NotificationPayload,
  type ParsedIdentity,
  parseIdentity,
  rewriteLegacyIdentity,
  sourceForChainId,
} from '../../protocol/index.js';
import { chunks, insertRows } from '../../store/bulk.js';
import type { Store } from '../../store/index.js';
import type { Executor } from '../../store/writer.js';
import type { AdmittedNotification } from '../bus.js';
import { chainInputKey } from '../chain/inputs.js';
import type { AdmissionChain } from './chain-client.js';
import { resolveContent } from './content.js';
import {
  type DeliveryPlan,
  insertFeedRows,
  listedRecipients,
  planDelivery,
  type ResolvedNotification,
  subscribedAt,
} from './deliver.js';
import { assertChannelCanSend, type ChannelRow, resolveChannel } from './gate.js';
import { MAX_BATCH_ITEMS, NOTIFICATION_COLUMNS, notificationTuple, reserveIds } from './payload-batch.js';

/** What a SendNotification log says, read the same way by the one-by-one and the batch paths. */
export interface ChainNotification {
  key: string;
  channelAddress: string;
  /** The log's `recipient` when it is an address. */
  recipient: string | null;
  identityText: string;
  identity: ParsedIdentity;
  sender: string;
  source: string;
  proof: string;
  /** ms */
  ts: number;
}

/** Reads a log's notification; throws the PushError of a malformed identity. */
export function chainNotificationOf(log: ChainLog, chain: AdmissionChain): ChainNotification {
  const channelAddress = String(log.args.channel ?? '').toLowerCase();
  const recipient = String(log.args.recipient ?? '').toLowerCase();
  const identityText = rewriteLegacyIdentity(
    String(log.args.identity ?? ''),
    log.blockNumber,
    chain.npipBlock,
  );
  return {
    key: chainInputKey(log),
    channelAddress,
    recipient: /^0x[0-9a-f]{40}$/.test(recipient) ? recipient : null,
    identityText,
    identity: parseIdentity(identityText, 'identity'),
    sender: `eip155:${log.chainId}:${channelAddress}`,
    source: sourceForChainId(log.chainId) ?? `eip155:${log.chainId}`,
    proof: `eip155:${log.chainId}:${log.txHash}`,
    ts: log.timestamp * 1000,
  };
}

/** Marks a log's input as refused at its block (migration 006): an `eip155:` request for it is answered alike. */
export async function recordRefusal(tx: Executor, log: ChainLog, code: string): Promise<void> {
  await tx.updateTable('inputs').set({ refused: code }).where('key', '=', chainInputKey(log)).execute();
}

export interface ChainBatchDeps {
  store: Store;
  coreChainId: number;
  chainOf(chainId: number, field: string): AdmissionChain;
  publicUrl: string;
  logger: Logger;
  now(): number;
  /** Counts each log's outcome (admitted, duplicate, or a refusal's code). */
  count(result: string): void;
}

interface Accepted {
  log: ChainLog;
  n: ChainNotification;
  channel: ChannelRow;
  payload: NotificationPayload;
  id: number;
  plan: DeliveryPlan | null;
}

/**
 * Admits a run of SendNotification logs of finalised blocks (a backfill's hot path) in the caller's transaction with
 * multi-row writes: one lookup of known keys, channels resolved once per run, ids reserved up front so each row is
 * inserted whole, subscriptions at send time read once per (channel, block time), one INSERT per 256 rows.
 * Returns the logs it could not take (content behind a gateway: the one-by-one path stores them as due) and the
 * events to publish after the commit. Refused logs (inactive channel, malformed identity) are logged and counted,
 * like the one-by-one path; nothing is journaled (finalised blocks cannot be reorged away).
 */
export function createChainBatch(deps: ChainBatchDeps) {
  return async function admitRun(
    tx: Executor,
    logs: readonly ChainLog[],
  ): Promise<{ events: AdmittedNotification[]; later: ChainLog[] }> {
    const later: ChainLog[] = [];
    const accepted: Accepted[] = [];
    const channels = new Map<string, ChannelRow | Error>();
    const known = new Set<string>();
    const keys = logs.map((l) => chainInputKey(l));
    for (const part of chunks(keys)) {
      const rows = await tx
        .selectFrom('notifications')
        .select('input_key')
        .where('input_key', 'in', part)
        .execute();
      for (const r of rows) known.add(r.input_key);
    }
    for (const log of logs) {
      try {
        const n = chainNotificationOf(log, deps.chainOf(log.chainId, 'chainId'));
        if (known.has(n.key)) {
          deps.count('duplicate');
          continue;
        }
        known.add(n.key);
        if (n.identity.storageType !== 0 && n.identity.storageType !== 2) {
          later.push(log);
          continue;
        }
        const where = `${log.chainId}:${n.channelAddress}`;
        let channel = channels.get(where);
        if (channel === undefined) {
          channel = await resolveChannel(tx, deps.coreChainId, log.chainId, n.channelAddress, 'channel').then(
            (r) => r.channel,
            (err: unknown) => {
              if (isPushError(err)) return err;
              throw err;
            },
          );
          channels.set(where, channel);
        }
        if (channel instanceof Error) throw channel;
        assertChannelCanSend(channel, 'channel');
        const content = await resolveContent(n.identity, {}, { retryMismatch: true, field: 'identity' });
        if (content.kind !== 'ready') {
          later.push(log);
          continue;
        }
        accepted.push({ log, n, channel, payload: content.payload, id: 0, plan: null });
      } catch (err) {
        if (!isPushError(err)) throw err;
        deps.count(err.code);
        await recordRefusal(tx, log, err.code);
        deps.logger.warn(
          { chainId: log.chainId, tx: log.txHash, logIndex: log.logIndex, code: err.code },
          `on-chain notification not admitted: ${err.message}`,
        );
      }
    }
    if (accepted.length === 0) return { events: [], later };

    const t = deps.now();
    const epoch = Math.floor(t / 1000);
    const ids = await reserveIds(tx, deps.store.dialect, accepted.length);
    const resolved: ResolvedNotification[] = accepted.map((a, j) => {
      a.id = ids[j]!;
      return {
        publicUrl: deps.publicUrl,
        id: a.id,
        ts: a.n.ts,
        channel: a.channel,
        sender: a.n.sender,
        source: a.n.source,
        proof: a.n.proof,
        delegate: null,
        payload: a.payload,
        recipient: a.n.recipient,
        epoch,
      };
    });
    // Who was subscribed at send time, read once per (channel, time): a run shares a few blocks and channels.
    const groups = new Map<string, { channel: string; ts: number; listed: Set<string> }>();
    for (const r of resolved) {
      const listed = listedRecipients(r);
      if (listed.length === 0) continue;
      const k = `${r.channel.channel}|${r.ts}`;
      let g = groups.get(k);
      if (!g) {
        g = { channel: r.channel.channel, ts: r.ts, listed: new Set() };
        groups.set(k, g);
      }
      for (const a of listed) g.listed.add(a);
    }
    const subs = new Map<string, ReadonlyMap<string, string | null>>();
    for (const [k, g] of groups) subs.set(k, await subscribedAt(tx, g.channel, [...g.listed], g.ts));
    const none = new Map<string, string | null>();
    accepted.forEach((a, j) => {
      const r = resolved[j]!;
      a.plan = planDelivery(r, subs.get(`${r.channel.channel}|${r.ts}`) ?? none);
    });

    for (const part of chunks(accepted, MAX_BATCH_ITEMS)) {
      await insertRows(
        tx,
        'notifications',
        NOTIFICATION_COLUMNS,
        part.map((a) =>
          notificationTuple(
            {
              id: a.id,
              key: a.n.key,
              channel: a.channel.channel,
              sender: a.n.sender,
              delegate: null,
              chainId: a.log.chainId,
              source: a.n.source,
              ts: a.n.ts,
              identity: a.n.identityText,
              requestRecipient: null,
              plan: a.plan!,
            },
            t,
          ),
        ),
      );
    }
    await insertFeedRows(
      tx,
      accepted.flatMap((a) => a.plan!.feedRows),
    );
    for (let i = 0; i < accepted.length; i++) deps.count('admitted');
    return { events: accepted.map((a) => a.plan!.event), later };
  };
}
