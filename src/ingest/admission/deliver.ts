import {
  buildFeedPayload,
  channelIconLink,
  formatIndex,
  NOTIFICATION_TYPE,
  type NotificationPayload,
} from '../../protocol/index.js';
import { inKeyOrder, insertRows } from '../../store/bulk.js';
import { channelSettingsOf, feedItemOf, reachesSubscriber } from '../../store/repos/feed-item.js';
import { createWriter, type Executor, type WriteOrigin } from '../../store/writer.js';
import type { AdmittedNotification } from '../bus.js';
import type { ChannelRow } from './gate.js';

export interface ResolvedNotification {
  id: number;
  ts: number;
  channel: ChannelRow;
  /** Full CAIP of the sender (channel or alias). */
  sender: string;
  source: string;
  proof: string;
  delegate: string | null;
  payload: NotificationPayload;
  /** The request's recipient address (targeted: the user; broadcast/subset: usually the channel). */
  recipient: string | null;
  /** Unix seconds, for `data.epoch`. */
  epoch: number;
  /** The node's public URL: data-URI channel icons are linked to its icon route. */
  publicUrl: string;
}

const CHUNK = 400;

/** Who of `addresses` was subscribed to `channel` at `ts`, with the settings then in force. */
export async function subscribedAt(
  db: Executor,
  channel: string,
  addresses: readonly string[],
  ts: number,
): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (let i = 0; i < addresses.length; i += CHUNK) {
    const rows = await db
      .selectFrom('subscription_periods')
      .select(['subscriber', 'settings_raw'])
      .where('channel', '=', channel)
      .where('subscriber', 'in', addresses.slice(i, i + CHUNK))
      .where('from_ts', '<=', ts)
      .where('to_ts', '>', ts)
      .execute();
    for (const r of rows) out.set(r.subscriber, r.settings_raw);
  }
  return out;
}

/** The addresses a targeted or subset notification names (none for a broadcast: it is resolved per reader). */
export function listedRecipients(n: Pick<ResolvedNotification, 'payload' | 'recipient'>): string[] {
  const type = n.payload.data.type;
  if (type === NOTIFICATION_TYPE.TARGETED) {
    const r = n.recipient ?? n.payload.recipients[0];
    return r ? [r] : [];
  }
  if (type === NOTIFICATION_TYPE.SUBSET) {
    return n.payload.recipients.length > 0 ? n.payload.recipients : n.recipient ? [n.recipient] : [];
  }
  return [];
}

export interface FeedEntryRow {
  recipient: string;
  notification_id: number;
  box: 'inbox' | 'spam';
  ts: number;
}

/** What filing a notification writes and announces, decided without touching the store. */
export interface DeliveryPlan {
  /** The notification row's columns once filed (status `admitted`). */
  columns: {
    type: number;
    payload: string;
    recipients: string;
    hidden: number;
    etime: number | null;
    status: 'admitted';
    idx: string | null;
    content_error: null;
  };
  feedRows: FeedEntryRow[];
  /** The bus event to publish once the write has committed. */
  event: AdmittedNotification;
}

/**
 * Decides each listed recipient's box (inbox if subscribed at send time and the settings let it through, spam if not
 * subscribed; a broadcast is stored once and resolved per reader) given `subs` (from `subscribedAt` over
 * `listedRecipients(n)`), and builds the feed payload, the feed rows and the bus event.
 */
export function planDelivery(
  n: ResolvedNotification,
  subs: ReadonlyMap<string, string | null>,
): DeliveryPlan {
  const channel = n.channel.channel;
  const d = n.payload.data;
  const settings = channelSettingsOf(n.channel.settings_raw, n.channel.settings_description);
  const indexRaw = d.index === null ? null : formatIndex(d.index);
  const senderAddress = n.sender.slice(n.sender.lastIndexOf(':') + 1);
  const isSelf = (a: string) => a === channel || a === senderAddress;
  const listed = listedRecipients(n);

  const inbox: string[] = [];
  const spam: string[] = [];
  for (const r of listed) {
    if (isSelf(r)) inbox.push(r);
    else if (subs.has(r)) {
      if (reachesSubscriber(settings, subs.get(r) ?? null, indexRaw)) inbox.push(r);
    } else spam.push(r);
  }

  const feedPayload = buildFeedPayload({
    payload: n.payload,
    channel: {
      name: n.channel.name ?? '',
      icon: channelIconLink(n.publicUrl, channel, n.channel.icon) ?? '',
      url: n.channel.url ?? '',
    },
    sender: n.sender,
    sid: n.id,
    epoch: n.epoch,
    verificationProof: n.proof,
    ...(d.type === NOTIFICATION_TYPE.BROADCAST ? {} : { recipients: listed }),
  });
  const payloadJson = JSON.stringify(feedPayload);
  const feedRows: FeedEntryRow[] = [
    ...inbox.map((recipient) => ({ recipient, notification_id: n.id, box: 'inbox' as const, ts: n.ts })),
    ...spam.map((recipient) => ({ recipient, notification_id: n.id, box: 'spam' as const, ts: n.ts })),
  ];
  const row = {
    id: n.id,
    sender: n.sender,
    source: n.source,
    ts: n.ts,
    etime: d.etime,
    payload: payloadJson,
    type: d.type,
  };
  return {
    columns: {
      type: d.type,
      payload: payloadJson,
      recipients: JSON.stringify(d.type === NOTIFICATION_TYPE.BROADCAST ? [] : listed),
      hidden: d.hidden ? 1 : 0,
      etime: d.etime,
      status: 'admitted',
      idx: indexRaw,
      content_error: null,
    },
    feedRows,
    event: {
      notification: {
        id: n.id,
        channel,
        sender: n.sender,
        type: d.type,
        ts: n.ts,
        source: n.source,
        verificationProof: n.proof,
        delegate: n.delegate,
      },
      recipients: { inbox: d.type === NOTIFICATION_TYPE.BROADCAST ? 'subscribers' : inbox, spam },
      audience: {
        channelSettingsRaw: n.channel.settings_raw,
        channelSettingsDescription: n.channel.settings_description,
        index: indexRaw,
      },
      feedItem: feedItemOf(row, 'inbox', feedPayload),
      spamFeedItem: spam.length > 0 ? feedItemOf(row, 'spam', feedPayload) : null,
    },
  };
}

const FEED_COLUMNS = ['recipient', 'notification_id', 'box', 'ts'] as const;

/**
 * Inserts feed rows, many per statement and in key order (recipients are random addresses: in order, each B-tree
 * page is touched once per statement); a row already there is left alone.
 */
export async function insertFeedRows(db: Executor, rows: readonly FeedEntryRow[]): Promise<void> {
  if (rows.length === 0) return;
  await insertRows(
    db,
    'feed_entries',
    FEED_COLUMNS,
    inKeyOrder(
      rows.map((r) => [r.recipient, r.notification_id, r.box, r.ts] as const),
      2,
    ),
    'on conflict ("recipient", "notification_id") do nothing',
  );
}

/**
 * Files a stored notification whose content is known: plans its delivery (`planDelivery`), writes the feed entries
 * and the feed payload, marks it admitted, and returns the bus event to publish after commit.
 */
export async function fileNotification(
  exec: Executor,
  origin: WriteOrigin | null,
  n: ResolvedNotification,
): Promise<AdmittedNotification> {
  const listed = listedRecipients(n);
  const subs = listed.length > 0 ? await subscribedAt(exec, n.channel.channel, listed, n.ts) : new Map();
  const plan = planDelivery(n, subs);
  const w = createWriter(exec as never, origin);
  await w.update('notifications', { id: n.id }, plan.columns as never);
  if (origin?.journal) {
    for (const row of plan.feedRows) await w.put('feed_entries', row);
  } else {
    await insertFeedRows(exec, plan.feedRows);
  }
  return plan.event;
}
