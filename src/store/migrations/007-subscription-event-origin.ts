import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * `subscription_events` becomes the whole truth of opt-ins: with the request's `origin` kept on each command, both
 * `subscriptions` (the newest command) and `subscription_periods` can be derived from it alone. A reorg rollback
 * re-derives them for the pairs it touched instead of trusting the row images it restored, which predate any
 * off-chain (unjournaled) command made since. Existing rows: a signed command's origin is read from its request as
 * `inputs` recorded it (key `<subscribe|unsubscribe>:<signature>:<ts>`, the event's order being `h:<signature>`); the
 * current command's is also copied from `subscriptions`.
 */
export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('subscription_events').addColumn('origin', 'text').execute();
  const originOf =
    ctx.dialect === 'postgres' ? `(i.body::json)->>'origin'` : `json_extract(i.body, '$.origin')`;
  await sql
    .raw(`
    update subscription_events set origin = (
      select ${originOf} from inputs i
      where i.key = (case when subscription_events.subscribed = 1 then 'subscribe:' else 'unsubscribe:' end)
        || substr(subscription_events.ts_order, 3) || ':' || subscription_events.ts
    )
    where subscription_events.ts_order like 'h:%'`)
    .execute(db);
  await sql`
    update subscription_events set origin = (
      select s.origin from subscriptions s
      where s.channel = subscription_events.channel and s.subscriber = subscription_events.subscriber
        and s.ts = subscription_events.ts and s.ts_order = subscription_events.ts_order
    )
    where exists (
      select 1 from subscriptions s
      where s.channel = subscription_events.channel and s.subscriber = subscription_events.subscriber
        and s.ts = subscription_events.ts and s.ts_order = subscription_events.ts_order and s.origin is not null
    )`.execute(db);
}
