/**
 * The chains are indexed independently, so the alias chain may be indexed before the core chain's alias declaration:
 * the alias's opt-ins and notifications set aside then are applied when the handshake completes, and the final state
 * does not depend on which chain was indexed first.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { listUserFeed } from '../../src/store/repos/feeds.js';
import { storeBackends } from '../support/store-backends.js';
import { aliasActivity, aliasConfirm, CH, coreDeclaration as coreLogs, T0, USER } from './alias-scenario.js';
import { ALIAS_CHAIN_ID, addr, CORE_CHAIN_ID, testAdmission } from './support.js';

// The alias chain's logs, later in time: the alias confirms, a user opts in there, the alias sends a broadcast.
const aliasLogs = [aliasConfirm, ...aliasActivity];

describe.each(storeBackends())('alias chain indexed before/after the core chain on $name', (backend) => {
  afterAll(() => backend.cleanup());

  async function run(order: 'core-first' | 'alias-first') {
    const store = await backend.open();
    const { sink } = testAdmission(store, { now: () => (T0 + 3600) * 1000 });
    // Each chain's batch (its notifications admitted with it) commits before the other chain's batch.
    const core = async () => {
      await sink.apply(CORE_CHAIN_ID, {
        fromBlock: 100,
        toBlock: 100,
        logs: coreLogs,
        blocks: [],
        finalizedBlock: 100,
      });
    };
    const alias = async () => {
      await sink.apply(ALIAS_CHAIN_ID, {
        fromBlock: 50,
        toBlock: 52,
        logs: aliasLogs,
        blocks: [],
        finalizedBlock: 52,
      });
    };
    if (order === 'core-first') {
      await core();
      await alias();
    } else {
      await alias();
      await core();
    }
    const sub = await store.db
      .selectFrom('subscriptions')
      .select(['channel', 'subscriber', 'subscribed'])
      .where('subscriber', '=', addr(USER))
      .execute();
    const notifications = await store.db.selectFrom('notifications').select(['id', 'channel']).execute();
    const inbox = await listUserFeed(store.db, {
      user: addr(USER),
      box: 'inbox',
      limit: 10,
      now: (T0 + 3600) * 1000,
    });
    return {
      subscriptions: sub.map((s) => ({ ...s, subscribed: Number(s.subscribed) })),
      notifications: notifications.length,
      inbox: inbox.feeds.length,
    };
  }

  it('gives the same opt-ins and notifications whichever chain the indexer reached first', async () => {
    const coreFirst = await run('core-first');
    expect(coreFirst).toEqual({
      subscriptions: [{ channel: addr(CH), subscriber: addr(USER), subscribed: 1 }],
      notifications: 1,
      inbox: 1,
    });
    const aliasFirst = await run('alias-first');
    expect(aliasFirst).toEqual(coreFirst);
  });
});
