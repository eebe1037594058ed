import { sql } from 'kysely';
import type { Dialect } from './database.js';
import type { Executor } from './writer.js';

/** The advisory lock's key: any constant, the same in every process of one database ("push" in ASCII). */
const CHAIN_WRITES_KEY = 0x70757368;

/**
 * Serialises, across processes, the transactions that write chain-derived state: chain batches and rollbacks of every
 * chain, channel metadata (it may complete an alias handshake), late content of chain notifications and `eip155:`
 * requests (both journaled under a block). Each reads state another may be changing — an alias half, the undo
 * journal — so on Postgres, where transactions overlap, one must wait for the other's commit. Held until the
 * transaction ends. SQLite has one writer: its transactions are serialised already.
 */
export async function lockChainWrites(tx: Executor, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(${CHAIN_WRITES_KEY})`.execute(tx);
}
