import type { Kysely } from 'kysely';
import type { DB } from '../store/index.js';
import { listMissedFeed } from '../store/repos/missed.js';
import type { MissedFeedLoader } from './realtime.js';

/**
 * The resume backlog from the stored feeds (`listMissedFeed`): inbox and spam items whose notification id is above
 * `lastId`, by id — ids follow admission order, send times do not — oldest first, the newest `limit` of them.
 */
export function createStoredMissedLoader(db: Kysely<DB>): MissedFeedLoader {
  return (address, lastId, limit) => listMissedFeed(db, { user: address, lastId, limit });
}
