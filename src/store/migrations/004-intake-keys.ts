import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * An off-chain payload is stored once. Until now a signed `POST /v1/payloads` request was written twice: whole, as an
 * `inputs` row keyed by its verificationProof, and again field by field in its notification row (`input_key` = the
 * proof, sender, source, identity). That is two unique indexes on the same random ~180-byte text: two random B-tree
 * leaves written per payload, the largest cost of admitting one. From here on the notification row is the request's
 * durable record: it gains the one field it lacked, `recipient` as received, and `input_key` stays the idempotency
 * key. `inputs` keeps chain events, opt-ins and `eip155:` payload proofs (their key is the chain event's, which the
 * indexer shares).
 *
 * Existing payload rows take their recipient from their input, whose now redundant row is then removed.
 */
export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('notifications').addColumn('recipient', 'text').execute();
  if (ctx.dialect === 'postgres') {
    await sql`UPDATE notifications n SET recipient = i.body::json ->> 'recipient' FROM inputs i
      WHERE i.key = n.input_key AND i.kind = 'http' AND i.event = 'Payload'`.execute(db);
  } else {
    await sql`UPDATE notifications SET recipient = (SELECT json_extract(i.body, '$.recipient') FROM inputs i
      WHERE i.key = notifications.input_key AND i.kind = 'http' AND i.event = 'Payload')
      WHERE input_key IN (SELECT key FROM inputs WHERE kind = 'http' AND event = 'Payload')`.execute(db);
  }
  await sql`DELETE FROM inputs WHERE kind = 'http' AND event = 'Payload' AND key NOT LIKE 'chain:%'
    AND key IN (SELECT input_key FROM notifications)`.execute(db);
}
