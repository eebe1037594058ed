/**
 * A SendNotification anyone with a channel can emit: an inline payload whose legacy `additionalMeta` is nested
 * thousands of levels deep. Re-serialising it overflowed the stack (a RangeError, not a refusal), which failed the
 * whole chain batch, retried forever: the chain stalled. It is refused like any malformed payload, the batch goes on.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ChainLog } from '../../src/chains/types.js';
import { testChainLog } from '../support/chain-log.js';
import { storeBackends } from '../support/store-backends.js';
import { addr, CORE_ADMISSION_CHAIN, CORE_CHAIN_ID, testAdmission } from './support.js';

const CH = 1;
const USER = 11;
const DEPTH = 20_000;

const deepIdentity = `2+${JSON.stringify({
  notification: { title: 't', body: 'b' },
  data: { type: '3', acta: '', aimg: '', amsg: '', asub: '' },
  recipients: `eip155:${CORE_CHAIN_ID}:${addr(USER)}`,
}).replace('"asub":""', `"asub":"","additionalMeta":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`)}`;

const logs = (first: number) => [
  testChainLog(
    'AddChannel',
    {
      channel: addr(CH),
      channelType: 2n,
      identity: '1+bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a',
    },
    { blockNumber: first },
  ),
  testChainLog(
    'SendNotification',
    { channel: addr(CH), recipient: addr(USER), identity: deepIdentity },
    { blockNumber: first + 1 },
  ),
  testChainLog(
    'SendNotification',
    { channel: addr(CH), recipient: addr(USER), identity: '0+3+After the deep one+body' },
    { blockNumber: first + 2 },
  ),
];

const batchOf = (l: ChainLog[], finalizedBlock: number) => ({
  fromBlock: l[0]!.blockNumber,
  toBlock: l[l.length - 1]!.blockNumber,
  logs: l,
  blocks: [],
  finalizedBlock,
});

describe.each(storeBackends())('a deeply nested additionalMeta on chain, on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it.each([
    ['final blocks (run admission)', 10_000],
    ['unfinalised blocks (one by one)', 0],
  ])('is refused and the batch commits: %s', async (_name, finalizedBlock) => {
    expect(deepIdentity.length).toBeGreaterThan(2 * DEPTH);
    const store = await backend.open();
    const { sink } = testAdmission(store, { chains: [CORE_ADMISSION_CHAIN] });
    const batch = logs(100);
    await sink.apply(CORE_CHAIN_ID, batchOf(batch, finalizedBlock));

    const cursor = await store.db.selectFrom('chain_cursors').select('block').executeTakeFirst();
    expect(Number(cursor?.block)).toBe(102);
    const inputs = await store.db
      .selectFrom('inputs')
      .select(['block_number', 'refused'])
      .where('event', '=', 'SendNotification')
      .orderBy('block_number')
      .execute();
    expect(inputs.map((i) => [Number(i.block_number), i.refused])).toEqual([
      [101, 'PUSH_ERR_INVALID_PAYLOAD'],
      [102, null],
    ]);
    const notes = await store.db.selectFrom('notifications').select('identity').execute();
    expect(notes.map((n) => n.identity)).toEqual(['0+3+After the deep one+body']);
  });
});
