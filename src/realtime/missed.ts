import type { Kysely } from 'kysely';
import type { DB } from '../store/index.js';
import { listUserFeed } from '../store/repos/feeds.js';
import type { MissedFeedLoader, MissedItem } from './realtime.js';

const PAGE = 100;

/**
 * The resume backlog from the stored feeds: inbox and spam items newer than `lastId`, oldest first. Ids grow with
 * admission order, so "newer than the last one seen" is `|payload_id| > lastId`. Reads newest-first pages with the
 * keyset cursor until it passes `lastId` or holds `limit` items per box.
 */
export function createStoredMissedLoader(db: Kysely<DB>): MissedFeedLoader {
  async function box(
    user: string,
    which: 'inbox' | 'spam',
    lastId: number,
    limit: number,
  ): Promise<MissedItem[]> {
    const out: MissedItem[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await listUserFeed(db, {
        user,
        box: which,
        limit: PAGE,
        showHidden: true,
        count: false,
        ...(before !== undefined ? { before } : {}),
      });
      let done = page.feeds.length < PAGE;
      for (const item of page.feeds) {
        const id = Math.abs(item.payload_id);
        if (id <= lastId) {
          done = true;
          break;
        }
        out.push({ box: which, item });
      }
      if (done || out.length >= limit) break;
      before = Math.abs(page.feeds[page.feeds.length - 1]?.payload_id ?? 0);
    }
    // At most the newest `limit`: further behind, the socket says `truncated` and the client pages the REST feed.
    return out.slice(0, limit).reverse();
  }

  return async (address, lastId, limit) => {
    const [inbox, spam] = await Promise.all([
      box(address, 'inbox', lastId, limit),
      box(address, 'spam', lastId, limit),
    ]);
    const all = [...inbox, ...spam].sort((a, b) => Math.abs(a.item.payload_id) - Math.abs(b.item.payload_id));
    return all.slice(Math.max(0, all.length - limit));
  };
}
