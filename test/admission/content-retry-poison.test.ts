/**
 * A pending notification whose retry throws every time (here: its recorded input no longer parses) is rescheduled by
 * the retry loop instead of staying due: otherwise it stays first in line, and a round's worth of such rows would
 * starve every other notification waiting for its content.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createIpfsClient } from '../../src/content/ipfs.js';
import { DEFAULT_ADMISSION_LIMITS } from '../../src/ingest/admission/index.js';
import { testChainLog } from '../support/chain-log.js';
import { storeBackends } from '../support/store-backends.js';
import { addr, CORE_ADMISSION_CHAIN, CORE_CHAIN_ID, testAdmission } from './support.js';

const CH = 1;
// Content no gateway has: the notification waits for it.
const MISSING = 'bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a';

describe.each(storeBackends())('a content retry that throws, on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it('is rescheduled, not left due at the head of the queue', async () => {
    const store = await backend.open();
    const clock = 1_000_000;
    const { admission, sink } = testAdmission(store, {
      chains: [CORE_ADMISSION_CHAIN],
      ipfs: createIpfsClient({ gateways: ['http://127.0.0.1:9/ipfs/'], timeoutMs: 500, maxBytes: 1 << 20 }),
      now: () => clock,
      limits: { contentRetry: { ...DEFAULT_ADMISSION_LIMITS.contentRetry, batch: 1 } },
    });
    const logs = [
      testChainLog(
        'AddChannel',
        { channel: addr(CH), channelType: 2n, identity: `1+${MISSING}` },
        { blockNumber: 100 },
      ),
      testChainLog(
        'SendNotification',
        { channel: addr(CH), recipient: addr(CH), identity: `1+${MISSING}` },
        { blockNumber: 101 },
      ),
    ];
    await sink.apply(CORE_CHAIN_ID, { fromBlock: 100, toBlock: 101, logs, blocks: [], finalizedBlock: 101 });
    // The commit kicked a first attempt (the gateway is down): wait for that round.
    await admission.retryPendingContent();
    const row = await store.db
      .selectFrom('notifications')
      .select(['id', 'status', 'content_attempts', 'input_key'])
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('pending_content');
    // Poison: the recorded input no longer parses, so every retry of it throws.
    await store.db.updateTable('inputs').set({ body: 'not json' }).where('key', '=', row.input_key).execute();
    await store.db
      .updateTable('notifications')
      .set({ content_next_at: 0 })
      .where('id', '=', row.id)
      .execute();

    await admission.retryPendingContent();
    const after = await store.db
      .selectFrom('notifications')
      .select(['status', 'content_attempts', 'content_next_at'])
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(after.status).toBe('pending_content');
    expect(Number(after.content_attempts)).toBe(Number(row.content_attempts) + 1);
    expect(Number(after.content_next_at)).toBeGreaterThan(clock);
  });
});
