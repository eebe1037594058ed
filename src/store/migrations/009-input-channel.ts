import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/** The Comm events an alias chain's indexer attributes to a channel through its alias (alias-inputs.ts, as of now). */
const CHANNEL_EVENTS = [
  'Subscribe',
  'Unsubscribe',
  'UserNotifcationSettingsAdded',
  'SendNotification',
] as const;

/**
 * `inputs.channel`: the channel a recorded Comm opt-in or notification log names (lower case), indexed with its chain
 * and position. When an alias handshake completes, what its chain recorded for the alias is applied: that lookup
 * matched every recorded log of the chain as text (~300 ms per handshake at 300,000 logs, inside the chain batch's
 * transaction), so a backfill cost grew with logs × handshakes. The index is partial: other rows pay nothing.
 */
export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await sql`ALTER TABLE inputs ADD COLUMN channel text`.execute(db);
  const events = sql.join(CHANNEL_EVENTS.map((e) => sql.lit(e)));
  const arg = (name: string) =>
    ctx.dialect === 'postgres'
      ? // A body recorded before chainText may hold an escaped U+0000, which jsonb refuses (the whole UPDATE with it).
        sql`(replace(body, '\\u0000', '\\ufffd')::jsonb -> 'args' ->> ${sql.lit(name)})`
      : sql`json_extract(body, ${sql.lit(`$.args.${name}`)})`;
  await sql`UPDATE inputs SET channel = lower(coalesce(${arg('channel')}, ${arg('_channel')}))
    WHERE kind = 'chain' AND event IN (${events})`.execute(db);
  await sql`CREATE INDEX inputs_chain_channel ON inputs (chain_id, channel, block_number, log_index)
    WHERE channel IS NOT NULL`.execute(db);
}
