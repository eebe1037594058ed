/**
 * `mode=delivery` sockets are admitted by client address (`api.deliveryNodes`): one from outside the list is
 * disconnected before it is registered, so it receives no `liveFeeds` (nor makes each broadcast read its channel's
 * audience); one from inside the list (the default: loopback and private networks) is served.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { seedChannel } from '../admission/support.js';
import { testTempDirs } from '../support/temp-dir.js';
import { connected, type TestLiveApp, testConfig, testLiveApp } from './fixtures.js';

describe('delivery sockets by client address', () => {
  const dirs = testTempDirs('push-delivery-access-');
  let store: Store | undefined;
  let api: TestLiveApp | undefined;
  afterEach(async () => {
    await api?.close();
    await store?.close();
    dirs.removeAll();
  });

  async function start(deliveryNodes: 'any' | string[]) {
    store = await openStore({ sqlitePath: join(dirs.make(), 'db.sqlite') });
    await seedChannel(store.db, 1);
    api = await testLiveApp(store, { config: { ...testConfig, api: { ...testConfig.api, deliveryNodes } } });
    return api;
  }

  it('disconnects one from an address outside the list', async () => {
    const app = await start(['10.0.0.0/8']);
    const d = app.open({ mode: 'delivery' });
    const reason = await new Promise<string>((resolve) => d.on('disconnect', resolve));
    expect(reason).toBe('io server disconnect');
    expect(app.realtime.socketCount()).toBe(0);
  });

  it('serves one from loopback under the default list', async () => {
    const app = await start(testConfig.api.deliveryNodes);
    const d = app.open({ mode: 'delivery' });
    await connected(d);
    const reply = new Promise<{ count: number }>((r) => d.once('historicalFeeds', r));
    d.emit('historicalFeeds', { startTime: 0, endTime: 2_000_000_000, page: 1, pageSize: 10 });
    expect(await reply).toMatchObject({ count: 0 });
    expect(d.connected).toBe(true);
  });
});
