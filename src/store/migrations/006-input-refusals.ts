import type { Kysely } from 'kysely';

/**
 * A chain event that admission refused at its block (its channel could not send then, its identity was invalid) keeps
 * the refusal's code on its input row. An `eip155:` request over HTTP for the same log is then answered alike, instead
 * of being judged again against the channel as it is now. Null: admitted, or never judged (a sink without admission:
 * tools and benchmarks record logs only).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('inputs').addColumn('refused', 'text').execute();
}
