import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { isPushError } from '../../src/errors.js';
import type { Admission } from '../../src/ingest/admission/index.js';
import type { AdmittedNotification } from '../../src/ingest/bus.js';
import { createVerifierPool } from '../../src/ingest/verify/index.js';
import type { Store } from '../../src/store/index.js';
import { storeBackends } from '../support/store-backends.js';
import { addr, CORE_ADMISSION_CHAIN, CORE_CHAIN_ID, sdkSend, seedChannel, testAdmission } from './support.js';

const CH = 1;
const OTHER_CH = 4;
const BLOCKED_CH = 5;
const UNKNOWN = 9;

/** What a request came to: its result, or its error code (or message, for an error that is not a PushError). */
async function settle(p: Promise<unknown>): Promise<unknown> {
  try {
    return await p;
  } catch (err) {
    return isPushError(err) ? err.code : `error: ${(err as Error).message}`;
  }
}

describe.each(storeBackends())('group commit of off-chain payloads on $name', (backend) => {
  let store: Store;
  let admission: Admission;
  let registry: Registry;
  let events: AdmittedNotification[];
  const clock = 1_700_000_000_000;

  afterAll(() => backend.cleanup());

  beforeEach(async () => {
    store = await backend.open();
    ({ admission, events, registry } = testAdmission(store, {
      chains: [CORE_ADMISSION_CHAIN],
      now: () => clock,
    }));
    await seedChannel(store.db, CH, { settings: '1+1-0', description: 'Breaking news' });
    await seedChannel(store.db, OTHER_CH);
    await seedChannel(store.db, BLOCKED_CH, { state: 3 });
  });

  /** Store transactions of payloads so far, and the payloads they held. */
  async function batches(): Promise<{ count: number; items: number }> {
    const m = (await registry.getMetricsAsJSON()).find((x) => x.name === 'push_node_admission_batch_items');
    const values = (m?.values ?? []) as { metricName?: string; value: number }[];
    const get = (suffix: string) =>
      values.find((v) => v.metricName === `push_node_admission_batch_items_${suffix}`)?.value ?? 0;
    return { count: get('count'), items: get('sum') };
  }

  const rows = (table: 'notifications' | 'inputs') =>
    store.db.selectFrom(table).selectAll().execute() as Promise<unknown[]>;

  it('gives each request of one batch its own outcome: one bad request never fails the others', async () => {
    const good1 = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: 'one' });
    const good2 = await sdkSend(OTHER_CH, CORE_CHAIN_ID, addr(OTHER_CH), { title: 'two' });
    const requests = [
      good1,
      await sdkSend(OTHER_CH, CORE_CHAIN_ID, addr(CH)), // signed by another channel
      { ...good1, verificationProof: `eip712v2:0x${'00'.repeat(65)}::uid::x` }, // not a signature
      await sdkSend(UNKNOWN, CORE_CHAIN_ID, addr(UNKNOWN)),
      await sdkSend(BLOCKED_CH, CORE_CHAIN_ID, addr(BLOCKED_CH)),
      await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { index: '7-1' }), // an index the channel's settings lack
      await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { identity: '2+{"notification":{}}' }), // no data
      good2,
    ];
    let visibleOnAnswer: unknown[] = [];
    const outcomes = await Promise.all(
      requests.map((body, i) =>
        settle(
          admission.admitPayload(body, { receivedAt: clock }).then(async (r) => {
            // Answered only once committed: the row is there for anyone to read.
            if (i === 0)
              visibleOnAnswer = await store.db
                .selectFrom('notifications')
                .select('id')
                .where('id', '=', r.notificationId)
                .execute();
            return r;
          }),
        ),
      ),
    );
    expect(await batches()).toEqual({ count: 1, items: requests.length });
    expect(outcomes.slice(1, 7)).toEqual([
      'PUSH_ERR_SIGNER_NOT_AUTHORIZED',
      'PUSH_ERR_SIGNATURE_INVALID',
      'PUSH_ERR_CHANNEL_NOT_FOUND',
      'PUSH_ERR_CHANNEL_BLOCKED',
      'PUSH_ERR_INVALID_INDEX',
      'PUSH_ERR_INVALID_PAYLOAD',
    ]);
    const [r1, r2] = [outcomes[0], outcomes[7]] as { notificationId: number }[];
    expect(r1).toMatchObject({ status: 'admitted', duplicate: false });
    expect(r2).toMatchObject({ status: 'admitted', duplicate: false });
    expect(r1!.notificationId).not.toBe(r2!.notificationId);
    expect(visibleOnAnswer).toEqual([{ id: r1!.notificationId }]);
    expect(events.map((e) => [e.notification.id, e.notification.channel])).toEqual([
      [r1!.notificationId, addr(CH)],
      [r2!.notificationId, addr(OTHER_CH)],
    ]);
    // The feed item carries the id the row got.
    expect(events.map((e) => e.feedItem.payload_id)).toEqual([r1!.notificationId, r2!.notificationId]);
    // Each request is stored once: its notification row is its durable record, field for field.
    const records = await store.db
      .selectFrom('notifications')
      .select(['input_key', 'sender', 'source', 'identity', 'recipient'])
      .orderBy('id')
      .execute();
    expect(records).toEqual(
      [good1, good2].map((b) => ({
        input_key: b.verificationProof,
        sender: b.sender.toLowerCase(),
        source: b.source,
        identity: b.identity,
        recipient: b.recipient,
      })),
    );
    expect(await rows('inputs')).toEqual([]);
  });

  it('stores a request sent twice in one batch once, answers both with its id, and publishes it once', async () => {
    const body = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: 'twice' });
    // The same proof over other content: verified like any request (and refused: the signature is not over it).
    const tampered = { ...body, identity: body.identity.replace('twice', 'thrice') };
    const [a, b, c] = await Promise.all(
      [body, { ...body }, tampered].map((x) => settle(admission.admitPayload(x, { receivedAt: clock }))),
    );
    expect(await batches()).toEqual({ count: 1, items: 3 });
    const first = a as { notificationId: number };
    expect(a).toMatchObject({ status: 'admitted', duplicate: false });
    expect(b).toEqual({ ...first, duplicate: true });
    expect(c).toBe('PUSH_ERR_SIGNER_NOT_AUTHORIZED');
    expect(events).toHaveLength(1);
    expect(await rows('notifications')).toHaveLength(1);
    // And in a later batch, from the store.
    expect(await admission.admitPayload(body, { receivedAt: clock + 1 })).toEqual({
      ...first,
      duplicate: true,
    });
    expect(events).toHaveLength(1);
  });

  it('fails every request of a batch whose transaction fails, acknowledges none, and the next batch works', async () => {
    // A real store failure in the middle of the batch's INSERT: a trigger refusing one row.
    if (store.dialect === 'sqlite') {
      await sql`create trigger refuse_boom before insert on notifications when new.identity like '%boom%'
        begin select raise(abort, 'boom refused'); end`.execute(store.db);
    } else {
      await sql`create function refuse_boom() returns trigger language plpgsql as $$
        begin if new.identity like '%boom%' then raise exception 'boom refused'; end if; return new; end $$`.execute(
        store.db,
      );
      await sql`create trigger refuse_boom before insert on notifications
        for each row execute function refuse_boom()`.execute(store.db);
    }
    const good1 = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: 'fine' });
    const boom = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: 'boom' });
    const good2 = await sdkSend(OTHER_CH, CORE_CHAIN_ID, addr(OTHER_CH), { title: 'fine too' });
    const outcomes = await Promise.all(
      [good1, boom, good2].map((x) => settle(admission.admitPayload(x, { receivedAt: clock }))),
    );
    expect(await batches()).toEqual({ count: 1, items: 3 });
    for (const o of outcomes) expect(o).toMatch(/^error: .*boom refused/);
    expect(await rows('notifications')).toEqual([]);
    expect(await rows('inputs')).toEqual([]);
    expect(events).toEqual([]);

    const [again1, again2] = await Promise.all(
      [good1, good2].map((x) => admission.admitPayload(x, { receivedAt: clock })),
    );
    expect(again1).toMatchObject({ status: 'admitted', duplicate: false });
    expect(again2).toMatchObject({ status: 'admitted', duplicate: false });
    expect(events.map((e) => e.notification.id)).toEqual([again1!.notificationId, again2!.notificationId]);
    expect(await rows('notifications')).toHaveLength(2);
  });

  it('answers as a duplicate when another writer stores the same proof first, and publishes nothing', async () => {
    // Another node process (Postgres) inserting the same proof while this batch runs, played by a trigger that
    // stores the row just before ours: our INSERT then meets the unique key.
    const copy = `(id, input_key, channel, sender, chain_id, source, type, ts, identity, payload, recipients, hidden,
      status, created_at, content_attempts, content_next_at) values (new.id + 1000000, new.input_key, new.channel,
      new.sender, new.chain_id, new.source, new.type, new.ts, 'stored by another node', new.payload, new.recipients,
      0, 'admitted', new.created_at, 0, 0)`;
    if (store.dialect === 'sqlite') {
      await sql
        .raw(`create trigger race before insert on notifications when new.identity like '%race%'
          begin insert into notifications ${copy}; end`)
        .execute(store.db);
    } else {
      await sql
        .raw(`create function race() returns trigger language plpgsql as $$
          begin if new.identity like '%race%' then insert into notifications ${copy}; end if; return new; end $$`)
        .execute(store.db);
      await sql`create trigger race before insert on notifications for each row execute function race()`.execute(
        store.db,
      );
    }
    const raced = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: 'race' });
    const fine = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: 'fine' });
    const [a, b] = await Promise.all(
      [raced, fine].map((x) => admission.admitPayload(x, { receivedAt: clock })),
    );
    const theirs = await store.db
      .selectFrom('notifications')
      .select('id')
      .where('identity', '=', 'stored by another node')
      .executeTakeFirstOrThrow();
    expect(a).toEqual({ notificationId: Number(theirs.id), status: 'admitted', duplicate: true });
    expect(b).toMatchObject({ status: 'admitted', duplicate: false });
    expect(events.map((e) => e.notification.id)).toEqual([b!.notificationId]);
    expect(await rows('notifications')).toHaveLength(2); // theirs and `fine`
  });

  it('admits through the verifier pool, concurrently, each notification once', async () => {
    const pool = createVerifierPool({ threads: 1 });
    try {
      await pool.ready();
      // Its own events: what the pooled admission published.
      const { admission: pooled, events } = testAdmission(store, {
        chains: [CORE_ADMISSION_CHAIN],
        verifier: pool,
        now: () => clock,
      });
      const bodies = await Promise.all(
        Array.from({ length: 20 }, (_, i) => sdkSend(CH, CORE_CHAIN_ID, addr(CH), { title: `n${i}` })),
      );
      const forged = await sdkSend(OTHER_CH, CORE_CHAIN_ID, addr(CH));
      const outcomes = await Promise.all(
        [...bodies, forged, ...bodies].map((b) => settle(pooled.admitPayload(b, { receivedAt: clock }))),
      );
      expect(outcomes[20]).toBe('PUSH_ERR_SIGNER_NOT_AUTHORIZED');
      const ids = outcomes.slice(0, 20).map((o) => (o as { notificationId: number }).notificationId);
      expect(new Set(ids).size).toBe(20);
      expect(outcomes.slice(21).map((o) => (o as { notificationId: number }).notificationId)).toEqual(ids);
      expect(events.map((e) => e.notification.id).sort((x, y) => x - y)).toEqual(
        [...ids].sort((x, y) => x - y),
      );
      await pooled.stop();
    } finally {
      await pool.close();
    }
  });
});
