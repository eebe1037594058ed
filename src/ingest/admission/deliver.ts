import {
  buildFeedPayload,
  channelIconLink,
  formatIndex,
  NOTIFICATION_TYPE,
  type NotificationPayload,
} from '../../protocol/index.js';
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
async function subscribedAt(
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

/**
 * Files a notification whose content is known: decides each recipient's box (inbox if subscribed at send time and
 * the settings let it through, spam if not subscribed; a broadcast is stored once and resolved per reader), writes
 * the feed entries and the feed payload, marks it admitted, and returns the bus event to publish after commit.
 */
export async function fileNotification(
  exec: Executor,
  origin: WriteOrigin | null,
  n: ResolvedNotification,
): Promise<AdmittedNotification> {
  const db = exec;
  const channel = n.channel.channel;
  const d = n.payload.data;
  const settings = channelSettingsOf(n.channel.settings_raw, n.channel.settings_description);
  const indexRaw = d.index === null ? null : formatIndex(d.index);
  const senderAddress = n.sender.slice(n.sender.lastIndexOf(':') + 1);
  const isSelf = (a: string) => a === channel || a === senderAddress;

  let listed: string[] = [];
  if (d.type === NOTIFICATION_TYPE.TARGETED) {
    const r = n.recipient ?? n.payload.recipients[0];
    listed = r ? [r] : [];
  } else if (d.type === NOTIFICATION_TYPE.SUBSET) {
    listed = n.payload.recipients.length > 0 ? n.payload.recipients : n.recipient ? [n.recipient] : [];
  }

  const inbox: string[] = [];
  const spam: string[] = [];
  if (listed.length > 0) {
    const subs = await subscribedAt(db, channel, listed, n.ts);
    for (const r of listed) {
      if (isSelf(r)) inbox.push(r);
      else if (subs.has(r)) {
        if (reachesSubscriber(settings, subs.get(r) ?? null, indexRaw)) inbox.push(r);
      } else spam.push(r);
    }
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
  const w = createWriter(exec as never, origin);
  await w.update('notifications', { id: n.id }, {
    type: d.type,
    payload: payloadJson,
    recipients: JSON.stringify(d.type === NOTIFICATION_TYPE.BROADCAST ? [] : listed),
    hidden: d.hidden ? 1 : 0,
    etime: d.etime,
    status: 'admitted',
    idx: indexRaw,
    content_error: null,
  } as never);

  const rows = [
    ...inbox.map((recipient) => ({ recipient, notification_id: n.id, box: 'inbox' as const, ts: n.ts })),
    ...spam.map((recipient) => ({ recipient, notification_id: n.id, box: 'spam' as const, ts: n.ts })),
  ];
  if (origin?.journal) {
    for (const row of rows) await w.put('feed_entries', row);
  } else {
    for (let i = 0; i < rows.length; i += CHUNK) {
      await db
        .insertInto('feed_entries')
        .values(rows.slice(i, i + CHUNK))
        .onConflict((oc) => oc.columns(['recipient', 'notification_id']).doNothing())
        .execute();
    }
  }

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
    feedItem: feedItemOf(row, 'inbox'),
    spamFeedItem: spam.length > 0 ? feedItemOf(row, 'spam') : null,
  };
}
