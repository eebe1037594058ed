import { sql } from 'kysely';
import type { Logger } from 'pino';
import { pushError } from '../../errors.js';
import {
  checkIndexAgainstSettings,
  NOTIFICATION_TYPE,
  type NotificationPayload,
} from '../../protocol/index.js';
import { chunks, insertRows } from '../../store/bulk.js';
import type { DB, Store } from '../../store/index.js';
import { lockNotificationIds } from '../../store/locks.js';
import { channelSettingsOf } from '../../store/repos/feed-item.js';
import type { Executor } from '../../store/writer.js';
import type { AdmittedNotification, NotificationBus } from '../bus.js';
import type { Settled } from './batcher.js';
import {
  type DeliveryPlan,
  type FeedEntryRow,
  insertFeedRows,
  listedRecipients,
  planDelivery,
  subscribedAt,
} from './deliver.js';
import {
  type AliasRow,
  assertChannelCanSend,
  type ChannelRow,
  channelOfAlias,
  existingChannel,
} from './gate.js';
import type { RateLimiter } from './rate-limit.js';

export interface AdmitResult {
  notificationId: number;
  /**
   * `indexing`: an `eip155:` request for a block the indexer has not reached yet; checked, not stored — the indexer
   * admits the log when it gets there (`notificationId` 0 until then).
   */
  status: 'admitted' | 'pending_content' | 'indexing';
  duplicate: boolean;
}

export const asResult = (row: { id: number; status: string }, duplicate: boolean): AdmitResult => ({
  notificationId: Number(row.id),
  status: row.status === 'admitted' ? 'admitted' : 'pending_content',
  duplicate,
});

/**
 * Refuses an index the channel's settings do not define, a targeted notification with no one to target, and one whose
 * request names someone other than its signed content does: the body's `recipient` is not signed, so a proof lifted
 * from a public feed must not redirect the channel's message to another address.
 */
export function checkPayloadShape(
  payload: NotificationPayload,
  settingsOwner: ChannelRow,
  recipient: string | null,
): void {
  if (payload.data.index) {
    checkIndexAgainstSettings(
      channelSettingsOf(settingsOwner.settings_raw, settingsOwner.settings_description),
      payload.data.index,
      'identity.data.index',
    );
  }
  if (payload.data.type === NOTIFICATION_TYPE.TARGETED && !recipient && payload.recipients.length === 0) {
    throw pushError('PUSH_ERR_VALIDATION', 'A targeted notification needs a recipient', {
      field: 'recipient',
    });
  }
  const signed = payload.recipients[0];
  if (payload.data.type === NOTIFICATION_TYPE.TARGETED && recipient && signed && recipient !== signed) {
    throw pushError(
      'PUSH_ERR_RECIPIENT_MISMATCH',
      `recipient ${recipient} is not ${signed}, whom the signed content names`,
      { field: 'recipient', hint: 'send the recipient the payload names in `recipients`' },
    );
  }
}

/**
 * An off-chain payload checked as far as it can be without the store: well-formed, its signer recovered and its
 * inline content parsed. A recovery or content failure is carried, not thrown, so that the batch raises it in the
 * pipeline's order of checks (duplicate → channel → signer → rate limit → content), as a lone request would.
 */
export interface PreparedPayload {
  /** The verificationProof: the idempotency key. */
  key: string;
  /** Full CAIP of the sender, and its parts. */
  sender: string;
  senderChainId: number;
  senderAddress: string;
  source: string;
  identity: string;
  recipient: string | null;
  /** Send time, ms. */
  ts: number;
  /** The request's `recipient` as received: the notification row is the request's durable record. */
  requestRecipient: string;
  signer: { ok: true; address: string } | { ok: false; error: unknown };
  content: { ok: true; payload: NotificationPayload } | { ok: false; error: unknown };
  /** The sender's chain has an RPC, so a contract wallet (ERC-1271) may still vouch for a signer not allowed here. */
  erc1271: boolean;
}

/** The batch could not decide this item (a contract wallet may have signed): run the full pipeline for it. */
export const FULL_PATH: unique symbol = Symbol('admission full path');
export type BatchAnswer = AdmitResult | typeof FULL_PATH;

export interface PayloadBatchDeps {
  store: Store;
  coreChainId: number;
  channelLimiter: RateLimiter | null;
  bus: NotificationBus;
  now: () => number;
  publicUrl: string;
  logger: Logger;
}

/**
 * Most payloads per batch, all inserted by ONE statement: on Postgres the broadcast-count trigger (migration 005)
 * then takes its bucket-row locks in one sorted pass per batch, so that batches of two processes cannot deadlock on
 * them. 256 rows × ~20 columns stay far below SQLite's and Postgres's bound-parameter limits.
 */
export const MAX_BATCH_ITEMS = 256;
const INSERT_CHUNK = MAX_BATCH_ITEMS;

/** The columns a batch writes, in the order of `notificationTuple`. */
export const NOTIFICATION_COLUMNS = [
  'id',
  'input_key',
  'channel',
  'sender',
  'delegate',
  'chain_id',
  'source',
  'ts',
  'identity',
  'recipient',
  'created_at',
  'content_attempts',
  'content_next_at',
  'type',
  'payload',
  'recipients',
  'hidden',
  'etime',
  'status',
  'idx',
  'content_error',
] as const satisfies readonly (keyof DB['notifications'])[];

/** A notification inserted whole (admitted, its delivery planned), as batches write it. */
export interface NotificationRowFields {
  id: number;
  key: string;
  channel: string;
  sender: string;
  delegate: string | null;
  chainId: number;
  source: string;
  ts: number;
  identity: string;
  requestRecipient: string | null;
  plan: DeliveryPlan;
}

export function notificationTuple(n: NotificationRowFields, createdAt: number): unknown[] {
  const c = n.plan.columns;
  return [
    n.id,
    n.key,
    n.channel,
    n.sender,
    n.delegate,
    n.chainId,
    n.source,
    n.ts,
    n.identity,
    n.requestRecipient,
    createdAt,
    0,
    0,
    c.type,
    c.payload,
    c.recipients,
    c.hidden,
    c.etime,
    c.status,
    c.idx,
    c.content_error,
  ];
}

type KnownRow = { id: number; status: string; sender: string; identity: string };

/** An item that passed every check and will be inserted. */
interface Accepted {
  index: number;
  item: PreparedPayload;
  channel: ChannelRow;
  delegate: string | null;
  payload: NotificationPayload;
  id: number;
  plan: DeliveryPlan | null;
  /** False when a concurrent writer (another process) stored the same key first: the answer is its row. */
  inserted: boolean;
}

/**
 * `n` fresh notification ids. Reserved up front so that each row is inserted whole (its feed payload carries its
 * id) instead of inserted and then updated. SQLite: the batch runs in a write transaction on the node's one
 * connection, so the AUTOINCREMENT counter cannot move under it. Postgres: the serial's sequence.
 */
export async function reserveIds(trx: Executor, dialect: Store['dialect'], n: number): Promise<number[]> {
  if (n === 0) return [];
  if (dialect === 'postgres') {
    await lockNotificationIds(trx, dialect);
    const r = await sql<{
      id: number;
    }>`select nextval(pg_get_serial_sequence('notifications', 'id')) as id from generate_series(1, ${n})`.execute(
      trx,
    );
    return r.rows.map((x) => Number(x.id)).sort((a, b) => a - b);
  }
  const r = await sql<{ seq: number }>`select seq from sqlite_sequence where name = 'notifications'`.execute(
    trx,
  );
  const first = Number(r.rows[0]?.seq ?? 0) + 1;
  return Array.from({ length: n }, (_, i) => first + i);
}

/**
 * Admits a batch of prepared payloads in ONE transaction: one lookup per table for the whole batch (existing
 * proofs, aliases, channels, delegates — read inside the transaction, so a removed delegate or a deactivated
 * channel is seen at once, whichever process changed it), every item checked in order with its own outcome, then
 * multi-row inserts. Bus events are published after the commit, once per stored notification. If the transaction
 * fails, the whole batch fails (the batcher rejects every caller): nothing is acknowledged that was not committed.
 */
export function createPayloadBatch(deps: PayloadBatchDeps) {
  const db = deps.store.db;

  async function lookup(trx: Executor, items: readonly PreparedPayload[]) {
    const known = new Map<string, KnownRow>();
    for (const keys of chunks([...new Set(items.map((i) => i.key))])) {
      const rows = await trx
        .selectFrom('notifications')
        .select(['id', 'status', 'sender', 'identity', 'input_key'])
        .where('input_key', 'in', keys)
        .execute();
      for (const r of rows) known.set(r.input_key, { ...r, id: Number(r.id) });
    }

    const aliases = new Map<string, AliasRow>();
    const viaAlias = items.filter((i) => i.senderChainId !== deps.coreChainId);
    if (viaAlias.length > 0) {
      const rows = await trx
        .selectFrom('aliases')
        .selectAll()
        .where('alias_chain_id', 'in', [...new Set(viaAlias.map((i) => i.senderChainId))])
        .where('alias_address', 'in', [...new Set(viaAlias.map((i) => i.senderAddress))])
        .execute();
      for (const a of rows) aliases.set(`${Number(a.alias_chain_id)}:${a.alias_address}`, a);
    }

    const channelAddresses = new Set<string>();
    for (const i of items) {
      if (i.senderChainId === deps.coreChainId) channelAddresses.add(i.senderAddress);
      else {
        const a = aliases.get(`${i.senderChainId}:${i.senderAddress}`);
        if (a) channelAddresses.add(a.channel);
      }
    }
    const channels = new Map<string, ChannelRow>();
    for (const part of chunks([...channelAddresses])) {
      const rows = await trx.selectFrom('channels').selectAll().where('channel', 'in', part).execute();
      for (const c of rows) channels.set(c.channel, c);
    }

    // Only signers that are not the sender itself can be delegates.
    const delegates = new Set<string>();
    const maybeDelegated = items.filter((i) => i.signer.ok && i.signer.address !== i.senderAddress);
    if (maybeDelegated.length > 0) {
      const rows = await trx
        .selectFrom('delegates')
        .select(['chain_id', 'channel', 'delegate'])
        .where('channel', 'in', [...new Set(maybeDelegated.map((i) => i.senderAddress))])
        .where('delegate', 'in', [
          ...new Set(maybeDelegated.map((i) => (i.signer as { address: string }).address)),
        ])
        .execute();
      for (const d of rows) delegates.add(`${Number(d.chain_id)}:${d.channel}:${d.delegate}`);
    }
    return { known, aliases, channels, delegates };
  }

  /** Throws the item's refusal, or returns who signed for it (null: the sender itself) — or FULL_PATH. */
  function checkSigner(item: PreparedPayload, delegates: Set<string>): string | null | typeof FULL_PATH {
    const s = item.signer;
    if (s.ok) {
      if (s.address === item.senderAddress) return null;
      if (delegates.has(`${item.senderChainId}:${item.senderAddress}:${s.address}`)) return s.address;
      if (item.erc1271) return FULL_PATH;
      throw pushError(
        'PUSH_ERR_SIGNER_NOT_AUTHORIZED',
        `The request was signed by ${s.address}, who may not act for ${item.senderAddress}`,
        {
          field: 'verificationProof',
          hint: 'sign with the channel (or a delegate registered on that chain) over the exact string sent, with the domain {name:"EPNS COMM V1", chainId, verifyingContract: Comm of that chain}',
          details: { recovered: s.address },
        },
      );
    }
    const code = (s.error as { code?: string } | null)?.code;
    if (code === 'PUSH_ERR_SIGNATURE_INVALID' && item.erc1271) return FULL_PATH;
    throw s.error;
  }

  return async function run(items: PreparedPayload[]): Promise<Settled<BatchAnswer>[]> {
    const out = new Array<Settled<BatchAnswer>>(items.length);
    const accepted: Accepted[] = [];
    /** Items answered as duplicates of an item accepted earlier in this batch: index → that item. */
    const dupOfAccepted = new Map<number, Accepted>();
    const t = deps.now();
    const epoch = Math.floor(t / 1000);

    await db.transaction().execute(async (trx) => {
      const { known, aliases, channels, delegates } = await lookup(trx, items);
      const acceptedByKey = new Map<string, Accepted>();

      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        try {
          const prior = known.get(item.key) ?? acceptedByKey.get(item.key)?.item;
          if (prior && prior.sender === item.sender && prior.identity === item.identity) {
            const first = acceptedByKey.get(item.key);
            if (first) dupOfAccepted.set(i, first);
            else out[i] = { ok: true, value: asResult(known.get(item.key)!, true) };
            continue;
          }
          let channelAddress = item.senderAddress;
          if (item.senderChainId !== deps.coreChainId) {
            const alias = aliases.get(`${item.senderChainId}:${item.senderAddress}`);
            channelAddress = channelOfAlias(alias, item.senderChainId, item.senderAddress, 'sender');
          }
          const channel = existingChannel(channels.get(channelAddress), channelAddress, 'sender');
          assertChannelCanSend(channel, 'sender');
          const delegate = checkSigner(item, delegates);
          if (delegate === FULL_PATH) {
            out[i] = { ok: true, value: FULL_PATH };
            continue;
          }
          if (deps.channelLimiter) deps.channelLimiter.take(channel.channel, deps.now());
          if (!item.content.ok) throw item.content.error;
          checkPayloadShape(item.content.payload, channel, item.recipient);
          // The same proof with other content: it was verified like any request, and answers as the stored one.
          const first = acceptedByKey.get(item.key);
          if (first) {
            dupOfAccepted.set(i, first);
            continue;
          }
          const k = known.get(item.key);
          if (k) {
            out[i] = { ok: true, value: asResult(k, true) };
            continue;
          }
          const a: Accepted = {
            index: i,
            item,
            channel,
            delegate,
            payload: item.content.payload,
            id: 0,
            plan: null,
            inserted: false,
          };
          accepted.push(a);
          acceptedByKey.set(item.key, a);
        } catch (err) {
          out[i] = { ok: false, error: err };
        }
      }
      if (accepted.length === 0) return;

      const ids = await reserveIds(trx, deps.store.dialect, accepted.length);
      for (let j = 0; j < accepted.length; j++) {
        const a = accepted[j]!;
        a.id = ids[j]!;
        const resolved = {
          publicUrl: deps.publicUrl,
          id: a.id,
          ts: a.item.ts,
          channel: a.channel,
          sender: a.item.sender,
          source: a.item.source,
          proof: a.item.key,
          delegate: a.delegate,
          payload: a.payload,
          recipient: a.item.recipient,
          epoch,
        };
        const listed = listedRecipients(resolved);
        const subs =
          listed.length > 0 ? await subscribedAt(trx, a.channel.channel, listed, a.item.ts) : new Map();
        a.plan = planDelivery(resolved, subs);
      }

      for (const part of chunks(accepted, INSERT_CHUNK)) {
        // A concurrent writer (another process) may have stored the same proof: its row stands, ours is skipped.
        const written = await insertRows(
          trx,
          'notifications',
          NOTIFICATION_COLUMNS,
          part.map((a) =>
            notificationTuple(
              {
                id: a.id,
                key: a.item.key,
                channel: a.channel.channel,
                sender: a.item.sender,
                delegate: a.delegate,
                chainId: a.item.senderChainId,
                source: a.item.source,
                ts: a.item.ts,
                identity: a.item.identity,
                requestRecipient: a.item.requestRecipient,
                plan: a.plan!,
              },
              t,
            ),
          ),
          'on conflict ("input_key") do nothing',
        );
        if (written === part.length) {
          for (const a of part) a.inserted = true;
          continue;
        }
        // Rare: find which rows are ours by their reserved ids (no RETURNING of every key on the usual path).
        const ours = await trx
          .selectFrom('notifications')
          .select('id')
          .where(
            'id',
            'in',
            part.map((a) => a.id),
          )
          .execute();
        const ids = new Set(ours.map((r) => Number(r.id)));
        for (const a of part) a.inserted = ids.has(a.id);
      }
      const inserted = accepted.filter((a) => a.inserted);
      const feedRows: FeedEntryRow[] = [];
      for (const a of inserted) for (const r of a.plan!.feedRows) feedRows.push(r);
      await insertFeedRows(trx, feedRows);
    });

    // Committed: announce, then answer.
    const events: AdmittedNotification[] = [];
    const raced: Accepted[] = [];
    for (const a of accepted) {
      if (a.inserted) {
        events.push(a.plan!.event);
        out[a.index] = { ok: true, value: { notificationId: a.id, status: 'admitted', duplicate: false } };
      } else raced.push(a);
    }
    for (const e of events) {
      // Committed is committed: a failing publisher must neither skip the other events nor fail their callers.
      try {
        deps.bus.publish(e);
      } catch (err) {
        deps.logger.error(
          { err, notification: e.notification.id },
          'publishing an admitted notification failed',
        );
      }
    }
    if (raced.length > 0) {
      const rows = await db
        .selectFrom('notifications')
        .select(['id', 'status', 'input_key'])
        .where(
          'input_key',
          'in',
          raced.map((a) => a.item.key),
        )
        .execute();
      const byKey = new Map(rows.map((r) => [r.input_key, r]));
      for (const a of raced) {
        const row = byKey.get(a.item.key);
        out[a.index] = row
          ? { ok: true, value: asResult(row, true) }
          : {
              ok: false,
              error: pushError('PUSH_ERR_INTERNAL', 'A notification stored concurrently is missing', {
                details: { verificationProof: a.item.key },
              }),
            };
      }
    }
    for (const [i, first] of dupOfAccepted) {
      const o = out[first.index]!;
      out[i] = o.ok && o.value !== FULL_PATH ? { ok: true, value: { ...o.value, duplicate: true } } : o;
    }
    return out;
  };
}
