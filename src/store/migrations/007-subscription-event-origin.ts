import { type Kysely, sql } from 'kysely';

/**
 * `subscription_events` becomes the whole truth of opt-ins: with the request's `origin` kept on each command, both
 * `subscriptions` (the newest command) and `subscription_periods` can be derived from it alone. A reorg rollback
 * re-derives them for the pairs it touched instead of trusting the row images it restored, which predate any
 * off-chain (unjournaled) command made since. Existing rows: the origin of each pair's current command is copied
 * from `subscriptions`; older commands never had one recorded.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('subscription_events').addColumn('origin', 'text').execute();
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
