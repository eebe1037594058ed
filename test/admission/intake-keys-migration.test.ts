import { afterAll, describe, expect, it } from 'vitest';
import { migrationBackends } from '../support/migration-backends.js';
import { addr, CORE_ADMISSION_CHAIN, CORE_CHAIN_ID, sdkSend, seedChannel, testAdmission } from './support.js';

/**
 * Migration 004: a payload admitted before it (its request stored twice: an `inputs` row and its notification row)
 * keeps its record — the recipient moves into the notification row — and its idempotency.
 */
describe.each(migrationBackends())('migration 004-intake-keys on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it('moves each payload request into its notification row and answers it again as a duplicate', async () => {
    const { database, migrator } = await backend.open();
    expect((await migrator.migrateTo('003-feed-indexes')).error).toBeUndefined();
    await seedChannel(database.db, 1);

    const ts = 1_700_000_000_000;
    const body = await sdkSend(1, CORE_CHAIN_ID, addr(1), { type: 3, recipients: [`eip155:1:${addr(12)}`] });
    const chainKey = `chain:${CORE_CHAIN_ID}:0x${'ab'.repeat(32)}:3`;
    const inputs = [
      // An eip712 payload, as 003 stored it; an eip155 proof over HTTP (its key is its chain event's); a chain log.
      { key: body.verificationProof, kind: 'http' as const, body: JSON.stringify(body) },
      {
        key: chainKey,
        kind: 'http' as const,
        body: JSON.stringify({ ...body, recipient: 'eip155:1:0xcafe' }),
      },
      { key: `chain:${CORE_CHAIN_ID}:0x${'cd'.repeat(32)}:0`, kind: 'chain' as const, body: '{"args":{}}' },
    ];
    for (const i of inputs) {
      await database.db
        .insertInto('inputs')
        .values({ ...i, event: i.kind === 'http' ? 'Payload' : 'SendNotification', ts, created_at: ts })
        .execute();
    }
    for (const [n, input] of inputs.entries()) {
      await database.db
        .insertInto('notifications')
        .values({
          id: n + 1,
          input_key: input.key,
          channel: addr(1),
          sender: body.sender.toLowerCase(),
          chain_id: CORE_CHAIN_ID,
          source: body.source,
          type: 3,
          ts,
          identity: body.identity,
          payload: '{}',
          recipients: JSON.stringify([addr(12)]),
          hidden: 0,
          status: 'admitted',
          created_at: ts,
          content_attempts: 0,
          content_next_at: 0,
        })
        .execute();
    }

    expect((await migrator.migrateTo('004-intake-keys')).error).toBeUndefined();
    const rows = await database.db
      .selectFrom('notifications')
      .select(['id', 'input_key', 'recipient'])
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.recipient)).toEqual([body.recipient, 'eip155:1:0xcafe', null]);
    // The payload's input row was redundant and is gone; chain keys (shared with the indexer) stay.
    const kept = await database.db.selectFrom('inputs').select('key').orderBy('key').execute();
    expect(kept.map((r) => r.key)).toEqual([inputs[1]!.key, inputs[2]!.key].sort());

    const { admission } = testAdmission(database, { chains: [CORE_ADMISSION_CHAIN] });
    expect(await admission.admitPayload(body)).toEqual({
      notificationId: 1,
      status: 'admitted',
      duplicate: true,
    });
    await admission.stop();
  });
});
