/**
 * A channel's on-chain `1+<cid>` notification whose IPFS content is not JSON: the retry loop marks it failed with the
 * parser's message, and V8 quotes the offending text in it raw. With a U+0000 there, Postgres refused the write, the
 * row stayed due and first in line, and with a round's worth of such rows the loop retried them for ever: no other
 * notification's content was fetched again. The message is stored with U+0000 replaced, and the queue moves on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainLog } from '../../src/chains/types.js';
import { createIpfsClient } from '../../src/content/ipfs.js';
import { createIpfsGateway, type IpfsGateway } from '../../src/devnet/index.js';
import { DEFAULT_ADMISSION_LIMITS } from '../../src/ingest/admission/index.js';
import { testChainLog } from '../support/chain-log.js';
import { storeBackends } from '../support/store-backends.js';
import { testTempDirs } from '../support/temp-dir.js';
import { addr, CORE_ADMISSION_CHAIN, CORE_CHAIN_ID, sdkPayloadJson, testAdmission } from './support.js';

const CH = 1;
const tempDirs = testTempDirs('push-review-content-nul-');
let gateway: IpfsGateway;
let badCid: string;
let goodCid: string;

beforeAll(async () => {
  gateway = await createIpfsGateway({ dir: tempDirs.make() });
  badCid = await gateway.add('{"title": \u0000 }');
  goodCid = await gateway.add(sdkPayloadJson(`eip155:${CORE_CHAIN_ID}:${addr(CH)}`, { title: 'good' }));
});

afterAll(async () => {
  await gateway?.close();
  tempDirs.removeAll();
});

const batchOf = (logs: ChainLog[]) => ({
  fromBlock: logs[0]!.blockNumber,
  toBlock: logs[logs.length - 1]!.blockNumber,
  logs,
  blocks: [],
  finalizedBlock: logs[logs.length - 1]!.blockNumber,
});

describe.each(storeBackends())('IPFS content whose parse error quotes a NUL, on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it('is marked failed, and the notification behind it still gets its content', async () => {
    const store = await backend.open();
    let clock = 1_000_000;
    const { admission, sink } = testAdmission(store, {
      chains: [CORE_ADMISSION_CHAIN],
      ipfs: createIpfsClient({ gateways: [gateway.gatewayUrl], timeoutMs: 2000, maxBytes: 1 << 20 }),
      now: () => clock,
      // One row a round: the poisoned row is first in line.
      limits: { contentRetry: { ...DEFAULT_ADMISSION_LIMITS.contentRetry, batch: 1 } },
    });
    const send = (blockNumber: number, cid: string) =>
      testChainLog(
        'SendNotification',
        { channel: addr(CH), recipient: addr(CH), identity: `1+${cid}` },
        { blockNumber },
      );
    const addChannel = testChainLog(
      'AddChannel',
      {
        channel: addr(CH),
        channelType: 2n,
        identity: '1+bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a',
      },
      { blockNumber: 100 },
    );
    await sink.apply(CORE_CHAIN_ID, batchOf([addChannel, send(101, badCid)]));
    await admission.retryPendingContent();
    clock += 1000;
    await sink.apply(CORE_CHAIN_ID, batchOf([send(102, goodCid)]));
    for (let round = 0; round < 4; round++) {
      clock += 1000;
      await admission.retryPendingContent();
    }

    const rows = await store.db
      .selectFrom('notifications')
      .select(['identity', 'status', 'content_error'])
      .orderBy('identity')
      .execute();
    const byCid = new Map(rows.map((r) => [r.identity, r]));
    expect(byCid.get(`1+${badCid}`)?.status).toBe('failed');
    expect(byCid.get(`1+${badCid}`)?.content_error).toMatch(/^PUSH_ERR_INVALID_PAYLOAD: .*not JSON/);
    expect(byCid.get(`1+${badCid}`)?.content_error).not.toContain('\u0000');
    expect(byCid.get(`1+${goodCid}`)?.status).toBe('admitted');
  });
});
