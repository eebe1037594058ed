import type { Kysely } from 'kysely';
import { toChecksum } from '../../protocol/index.js';
import type { DB } from '../../store/index.js';
import { type FeedItem, feedItemOf } from '../../store/repos/feed-item.js';
import type { Page } from './pagination.js';

/** Distinct channels that put something in a user's spam box, with the alias address they sent from (if any). */
export async function listSpamChannels(
  db: Kysely<DB>,
  user: string,
  coreChainId: number,
): Promise<{ channel: string; alias_address: string | null }[]> {
  const rows = await db
    .selectFrom('feed_entries as fe')
    .innerJoin('notifications as n', 'n.id', 'fe.notification_id')
    .select(['n.channel as channel', 'n.sender as sender'])
    .distinct()
    .where('fe.recipient', '=', user)
    .where('fe.box', '=', 'spam')
    .orderBy('n.channel')
    .orderBy('n.sender')
    .execute();
  return rows.map((r) => {
    const [, chain, address] = r.sender.split(':');
    const alias = Number(chain) !== coreChainId && address ? toChecksum(address) : null;
    return { channel: toChecksum(r.channel), alias_address: alias };
  });
}

/**
 * What one sender CAIP (the channel on the core chain, or its alias on an alias chain) has sent, as v1 feed items,
 * newest first; hidden notifications are left out, as in the original, and so are expired ones (etime past: the
 * original deletes them, push-node-reference §1.6), counts included.
 */
export async function listSenderFeeds(
  kdb: Kysely<DB>,
  q: { channel: string; sender: string; type?: number | undefined },
  page: Page,
  now: number = Date.now(),
): Promise<{ feeds: FeedItem[]; itemcount: number }> {
  const db = kdb;
  const nowSec = Math.floor(now / 1000);
  const base = db
    .selectFrom('notifications')
    .where('channel', '=', q.channel)
    .where('sender', '=', q.sender)
    .where('status', '=', 'admitted')
    .where('hidden', '=', 0)
    .where((eb) => eb.or([eb('etime', 'is', null), eb('etime', '>', nowSec)]))
    .$if(q.type !== undefined, (qb) => qb.where('type', '=', q.type as number));
  const total = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  const rows = await base
    .select(['id', 'sender', 'source', 'ts', 'etime', 'payload', 'type'])
    .orderBy('ts', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return {
    feeds: rows.filter((r) => r.payload).map((r) => feedItemOf({ ...r, id: Number(r.id) }, 'inbox')),
    itemcount: Number(total?.n ?? 0),
  };
}
