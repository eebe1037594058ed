import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom as rng } from '../../test/support/seeded-random.js';
import { storeBackends } from '../../test/support/store-backends.js';
import { createWriter } from '../store/writer.js';
import { applySubscription, applySubscriptionsBulk, type SubscriptionCommand } from './subscriptions.js';

function history(seed: number, n: number): SubscriptionCommand[] {
  const r = rng(seed);
  const channels = ['0xc1', '0xc2'];
  const users = ['0xu1', '0xu2', '0xu3', '0xu4'];
  return Array.from({ length: n }, (_, i) => {
    const subscribed = r() < 0.6;
    const ts = 1_000 + Math.floor(r() * 20) * 1000; // many equal timestamps: exercises the order tie-break
    return {
      channel: channels[Math.floor(r() * channels.length)]!,
      subscriber: users[Math.floor(r() * users.length)]!,
      subscribed,
      settingsRaw: subscribed && r() < 0.3 ? `1+1-${Math.floor(r() * 2)}` : null,
      ts,
      order: `c:1:${String(Math.floor(r() * 50)).padStart(12, '0')}:${String(i).padStart(6, '0')}`,
      proof: `eip155:1:0x${i}`,
      origin: 'onchain',
      chainId: 1,
    };
  });
}

async function state(db: Parameters<typeof createWriter>[0]) {
  return {
    subs: await db.selectFrom('subscriptions').selectAll().orderBy('channel').orderBy('subscriber').execute(),
    periods: await db
      .selectFrom('subscription_periods')
      .selectAll()
      .orderBy('channel')
      .orderBy('subscriber')
      .orderBy('from_ts')
      .execute(),
  };
}

describe.each(storeBackends())('bulk opt-ins on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it.each([1, 2, 3, 4])('end in the same state as one-by-one application (seed %i)', async (seed) => {
    const cmds = history(seed, 60);
    const one = await backend.open();
    for (const c of cmds) await applySubscription(createWriter(one.db, null), c);
    const bulk = await backend.open();
    // Split into uneven bulk calls, with a replayed slice: replays must change nothing.
    await applySubscriptionsBulk(bulk.db, cmds.slice(0, 17));
    await applySubscriptionsBulk(bulk.db, cmds.slice(10, 45));
    await applySubscriptionsBulk(bulk.db, cmds.slice(45));
    expect(await state(bulk.db)).toEqual(await state(one.db));
  });
});
