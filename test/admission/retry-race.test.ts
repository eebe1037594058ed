/**
 * Late IPFS content retried by two node processes sharing one Postgres (README: "several node processes share one
 * Postgres"): the notification is filed and published once, by whichever process claims it first.
 */

import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { pushError } from '../../src/errors.js';
import { openStore, type Store } from '../../src/store/index.js';
import { freshSchemaName, TEST_DATABASE_URL } from '../support/store-backends.js';
import {
  addr,
  CORE_ADMISSION_CHAIN,
  CORE_CHAIN_ID,
  sdkPayloadJson,
  sdkSend,
  seedChannel,
  testAdmission,
} from './support.js';

const CH = 1;
const CID = 'bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a';

describe('content retry by two processes on postgres', () => {
  const schema = freshSchemaName();
  const stores: Store[] = [];
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close().catch(() => {})));
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it('publishes a notification whose content came late exactly once across processes', async () => {
    const s1 = await openStore({ databaseUrl: TEST_DATABASE_URL, schema, poolSize: 4 });
    stores.push(s1);
    const s2 = await openStore({ databaseUrl: TEST_DATABASE_URL, schema, poolSize: 4 });
    stores.push(s2);
    await seedChannel(s1.db, CH);
    let clock = 1_700_000_000_000;
    const json = JSON.parse(sdkPayloadJson(`eip155:${CORE_CHAIN_ID}:${addr(CH)}`, { title: 'late' }));
    let available = false;
    let waiting: (() => void)[] = [];
    const ipfs = {
      async fetchJson() {
        if (!available) throw pushError('PUSH_ERR_IPFS_UNAVAILABLE', 'not yet');
        // Both processes fetch at the same moment (as two timers firing on the same due row would).
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length === 2) {
            for (const w of waiting) w();
            waiting = [];
          }
        });
        return json;
      },
    };
    let published = 0;
    const make = (store: Store) => {
      const { admission, bus } = testAdmission(store, {
        chains: [CORE_ADMISSION_CHAIN],
        ipfs,
        now: () => clock,
      });
      bus.subscribe(() => {
        published += 1;
      });
      return admission;
    };
    const p1 = make(s1);
    const p2 = make(s2);
    const body = await sdkSend(CH, CORE_CHAIN_ID, addr(CH), { identity: `1+${CID}` });
    const first = await p1.admitPayload(body);
    expect(first.status).toBe('pending_content');

    available = true;
    clock += 60 * 60_000;
    await Promise.all([p1.retryPendingContent(), p2.retryPendingContent()]);
    expect(published).toBe(1);
  });
});
