import { sql } from 'kysely';
import type { Dialect } from './database.js';
import type { Executor } from './writer.js';

/**
 * Cross-process write locks (Postgres advisory transaction locks; SQLite has one writer, its transactions are
 * serialised already). Both are held until the transaction ends.
 *
 * Invariant (no deadlock): a transaction takes them in this order only — chain writes, then notification ids — and
 * takes no other advisory lock after the ids lock.
 */

/**
 * Any constants, the same in every process ("push", "pnid" in ASCII). Advisory locks are database-wide: each is
 * qualified by the schema's hash, so nodes (or test runs) in separate schemas of one database never wait on each other.
 */
export const CHAIN_WRITES_KEY = 0x70757368;
export const NOTIFICATION_IDS_KEY = 0x706e6964;

async function lockInSchema(tx: Executor, key: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(current_schema()), ${key})`.execute(tx);
}

/**
 * Serialises the transactions that write chain-derived state: chain batches and rollbacks of every chain, channel
 * metadata (it may complete an alias handshake), late content of chain notifications and `eip155:` requests (both
 * journaled under a block), and signed opt-ins (a rollback re-derives opt-in state from the command history). Each reads state another may be changing — an alias half, the undo journal — so one must
 * wait for the other's commit.
 */
export async function lockChainWrites(tx: Executor, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await lockInSchema(tx, CHAIN_WRITES_KEY);
}

/**
 * Taken before a transaction draws notification ids, so that ids become visible in the order they were drawn: a
 * sequence hands ids out at insert, and without this a transaction holding id 7 could commit after one holding id 8
 * had been read — a socket resuming from 8 (`?lastId=`, "what I missed after the last id I saw") would never get 7.
 * Held from the first id drawn to the commit: writers of notifications take turns for that span only.
 */
export async function lockNotificationIds(tx: Executor, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await lockInSchema(tx, NOTIFICATION_IDS_KEY);
}
