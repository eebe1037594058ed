/**
 * A signed opt-in can be replayed by anyone holding it, as often as the per-IP limit lets (the SDK's messages carry no
 * nonce, so a known proof cannot be refused), and each replay is a new command in the pair's history. Every command
 * re-derived the pair's periods from its whole history, inside the chain-writes lock: a day of replays made each
 * further one (and every chain batch waiting for the lock) cost seconds. A command newer than the whole history (every
 * signed request: it is stamped on receipt) now extends the periods instead of re-deriving them.
 */
import type { KyselyPlugin } from 'kysely';
import { getAddress } from 'viem';
import { afterAll, describe, expect, it } from 'vitest';
import { applySubscription, EVENT_COLUMNS, periodsOf } from '../../src/ingest/subscriptions.js';
import { insertRows } from '../../src/store/bulk.js';
import type { Store } from '../../src/store/index.js';
import { OPEN_PERIOD_END } from '../../src/store/schema.js';
import { createWriter } from '../../src/store/writer.js';
import { seededRandom } from '../support/seeded-random.js';
import { storeBackends } from '../support/store-backends.js';
import { addr, CORE_CHAIN_ID, seedChannel, signData, testAdmission } from './support.js';

const CH = 1;
const USER = 2;
const HISTORY = 3000;

/** Counts the rows every query on a Kysely returns. */
function rowCounter(): KyselyPlugin & { rows: number } {
  return {
    rows: 0,
    transformQuery: (args) => args.node,
    async transformResult(args) {
      this.rows += args.result.rows.length;
      return args.result;
    },
  };
}

async function periodsAndEvents(store: Store, channel: string, subscriber: string) {
  const events = await store.db
    .selectFrom('subscription_events')
    .select(['ts', 'ts_order', 'subscribed', 'settings_raw'])
    .where('channel', '=', channel)
    .where('subscriber', '=', subscriber)
    .execute();
  const periods = await store.db
    .selectFrom('subscription_periods')
    .select(['from_ts', 'to_ts', 'settings_raw'])
    .where('channel', '=', channel)
    .where('subscriber', '=', subscriber)
    .orderBy('from_ts')
    .execute();
  const norm = (p: { from_ts: number; to_ts: number; settings_raw: string | null }) => ({
    from_ts: Number(p.from_ts),
    to_ts: Number(p.to_ts),
    settings_raw: p.settings_raw,
  });
  return {
    stored: periods.map(norm),
    derived: periodsOf(events.map((e) => ({ ...e, ts: Number(e.ts) })))
      .map(norm)
      .sort((a, b) => a.from_ts - b.from_ts),
  };
}

describe.each(storeBackends())('opt-in history on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it(`a replayed opt-in reads a handful of rows after ${HISTORY} replays`, async () => {
    const store = await backend.open();
    await seedChannel(store.db, CH);
    const channel = addr(CH);
    const subscriber = addr(USER);
    const message = JSON.stringify(
      {
        channel: getAddress(channel),
        subscriber: getAddress(subscriber),
        action: 'Subscribe',
        userSetting: '',
      },
      null,
      4,
    );
    const body = { verificationProof: `eip712v2:${await signData(USER, CORE_CHAIN_ID, message)}`, message };
    // The history replays leave, written directly (as the door writes them, one command per receipt time).
    const order = 'h:replayed';
    await insertRows(
      store.db,
      'subscription_events',
      EVENT_COLUMNS,
      Array.from({ length: HISTORY }, (_, i) => [
        channel,
        subscriber,
        1_000 + i,
        order,
        1,
        null,
        'p',
        1,
        null,
      ]),
    );
    await store.db
      .insertInto('subscription_periods')
      .values({ channel, subscriber, from_ts: 1_000, to_ts: OPEN_PERIOD_END, settings_raw: null })
      .execute();
    await store.db
      .insertInto('subscriptions')
      .values({
        channel,
        subscriber,
        subscribed: 1,
        settings_raw: null,
        ts: 1_000 + HISTORY - 1,
        ts_order: order,
        proof: 'p',
        origin: null,
        chain_id: 1,
      })
      .execute();

    const counter = rowCounter();
    const { admission } = testAdmission({ ...store, db: store.db.withPlugin(counter) });
    const ch = `eip155:${CORE_CHAIN_ID}:${getAddress(channel)}`;
    await admission.subscribe(ch, body, { receivedAt: 1_000_000 });
    expect(counter.rows).toBeLessThan(50);
    await admission.subscribe(ch, body, { receivedAt: 1_000_001 });
    expect(counter.rows).toBeLessThan(100);

    const { stored, derived } = await periodsAndEvents(store, channel, subscriber);
    expect(stored).toEqual(derived);
    expect(stored).toEqual([{ from_ts: 1_000, to_ts: OPEN_PERIOD_END, settings_raw: null }]);
  });

  it('periods extended command by command are what the whole history implies (seeded commands)', async () => {
    const store = await backend.open();
    const random = seededRandom(5);
    const channel = addr(CH);
    const settings = [null, '1+1-1', '1+1-0'];
    for (const pair of [3, 4, 5, 6]) {
      const subscriber = addr(pair);
      let ts = 1_000;
      for (let i = 0; i < 40; i++) {
        // Mostly newer commands (the extended path); now and then one at the same time or older (re-derived).
        const r = random();
        ts += r < 0.15 ? 0 : r < 0.25 ? -Math.floor(random() * 50) : Math.floor(random() * 20) + 1;
        const subscribed = random() < 0.6;
        await applySubscription(createWriter(store.db, null), {
          channel,
          subscriber,
          subscribed,
          settingsRaw: subscribed ? settings[Math.floor(random() * settings.length)]! : null,
          ts,
          order: `h:${String(i).padStart(3, '0')}`,
          proof: `p${i}`,
          origin: null,
          chainId: 1,
        });
        const { stored, derived } = await periodsAndEvents(store, channel, subscriber);
        expect(stored, `pair ${pair} after command ${i}`).toEqual(derived);
      }
    }
  });
});
