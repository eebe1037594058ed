import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testChannelRow } from '../../test/support/channel-row.js';
import { storeBackends } from '../../test/support/store-backends.js';
import { createIpfsClient } from '../content/ipfs.js';
import { createIpfsGateway, type IpfsGateway } from '../devnet/ipfs-gateway.js';
import type { Store } from '../store/index.js';
import { createChannelMetadataWorker } from './channel-metadata.js';

let gateway: IpfsGateway;
beforeAll(async () => {
  gateway = await createIpfsGateway({ dir: mkdtempSync(join(tmpdir(), 'push-meta-')) });
});
afterAll(() => gateway.close());

async function addChannel(store: Store, channel: string, cid: string) {
  await store.db
    .insertInto('channels')
    .values(testChannelRow(channel, { identity: `1+${cid}`, ipfs_hash: cid, metadata_status: 'pending' }))
    .execute();
}

const CH = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const ALIAS = '0xbcd4042de499d14e55001ccbb24a551f3b954096';

describe.each(storeBackends())('channel metadata worker on $name', (backend) => {
  afterAll(() => backend.cleanup());

  function worker(store: Store, now = () => 1_000) {
    const ipfs = createIpfsClient({ gateways: [gateway.gatewayUrl], timeoutMs: 2_000, maxBytes: 1 << 20 });
    return createChannelMetadataWorker({
      store,
      ipfs,
      logger: pino({ level: 'silent' }),
      now,
      backoff: { baseMs: 1_000, maxMs: 8_000, jitter: 'none' },
      maxAttempts: 3,
    });
  }

  it('fills name, info, url, icon and tags, and declares aliases from aliasDetails', async () => {
    const store = await backend.open();
    const cid = await gateway.add(
      JSON.stringify({
        name: 'Alpha',
        info: 'News',
        url: 'https://alpha.example',
        icon: 'data:image/png;base64,iVBORw0KGgo=',
        aliasDetails: { 'eip155:80002': ALIAS },
        tags: ['defi'],
      }),
    );
    await addChannel(store, CH, cid);
    expect(await worker(store).runOnce()).toBe(1);
    const row = await store.db.selectFrom('channels').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      name: 'Alpha',
      info: 'News',
      url: 'https://alpha.example',
      metadata_status: 'ok',
    });
    expect(JSON.parse(row.tags!)).toEqual(['defi']);
    expect(await store.db.selectFrom('aliases').selectAll().execute()).toEqual([
      expect.objectContaining({
        alias_chain_id: 80002,
        alias_address: ALIAS,
        channel: CH,
        declared: 1,
        confirmed: 0,
      }),
    ]);
  });

  it('retries unavailable content with backoff, then gives up; invalid metadata fails at once', async () => {
    const store = await backend.open();
    let t = 1_000;
    const w = worker(store, () => t);
    const missing = 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4';
    await addChannel(store, CH, missing);
    await w.runOnce();
    let row = await store.db.selectFrom('channels').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ metadata_status: 'pending', metadata_attempts: 1, metadata_next_at: 2_000 });
    expect(await w.runOnce()).toBe(0); // not due yet
    t = 2_000;
    await w.runOnce();
    t = 10_000;
    await w.runOnce();
    row = await store.db.selectFrom('channels').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ metadata_status: 'failed', metadata_attempts: 3 });

    const other = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc';
    await addChannel(store, other, await gateway.add('{"name": 42}'));
    await w.runOnce();
    const bad = await store.db
      .selectFrom('channels')
      .selectAll()
      .where('channel', '=', other)
      .executeTakeFirstOrThrow();
    expect(bad).toMatchObject({ metadata_status: 'failed', metadata_attempts: 1, name: null });
  });
});
