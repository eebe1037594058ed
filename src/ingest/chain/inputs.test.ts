import { afterAll, describe, expect, it } from 'vitest';
import { storeBackends } from '../../../test/support/store-backends.js';
import type { ChainLog, Hex } from '../../chains/types.js';
import { chainInputKey, recordChainInputs } from './inputs.js';

const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex;
const log = (block: number, logIndex: number, event = 'SendNotification'): ChainLog => ({
  chainId: 5,
  blockNumber: block,
  blockHash: hash(block),
  logIndex,
  txHash: hash(1000 + block),
  txIndex: 0,
  address: '0x00000000000000000000000000000000000000cc',
  contract: 'comm',
  event,
  args: { channel: '0x01', recipient: '0x02', identity: '0+1+t+b', amount: 7n },
  timestamp: 1_700_000_000 + block,
  topic0: hash(9),
});

describe.each(storeBackends())('recordChainInputs on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it('records new logs once, returns only those, and keeps the decoded args', async () => {
    const store = await backend.open();
    const first = [log(1, 0), log(1, 1), log(2, 0, 'Subscribe')];
    expect(await recordChainInputs(store.db, 5, 1, 2, first, 10)).toEqual(first);
    // A replay of the same range, and an overlap that adds one log.
    expect(await recordChainInputs(store.db, 5, 1, 2, first, 11)).toEqual([]);
    const more = [log(2, 0, 'Subscribe'), log(3, 0)];
    expect(await recordChainInputs(store.db, 5, 2, 3, more, 12)).toEqual([log(3, 0)]);
    const rows = await store.db.selectFrom('inputs').selectAll().orderBy('key').execute();
    expect(rows.map((r) => r.key)).toEqual(
      [log(1, 0), log(1, 1), log(2, 0), log(3, 0)].map(chainInputKey).sort(),
    );
    const body = JSON.parse(rows[0]!.body) as { args: Record<string, unknown> };
    expect(body.args).toEqual({ channel: '0x01', recipient: '0x02', identity: '0+1+t+b', amount: '7' });
    expect(Number(rows[0]!.block_number)).toBe(1);
  });

  it('records the channel an opt-in or notification names, lower case, and none for other events', async () => {
    const store = await backend.open();
    const named = (logIndex: number, event: string, args: Record<string, unknown>) => ({
      ...log(6, logIndex, event),
      args,
    });
    const CH = '0x00000000000000000000000000000000000000Ab';
    await recordChainInputs(
      store.db,
      5,
      6,
      6,
      [
        named(0, 'Subscribe', { channel: CH, user: '0x02' }),
        named(1, 'UserNotifcationSettingsAdded', { _channel: CH, _user: '0x02' }),
        named(2, 'AddDelegate', { channel: CH, delegate: '0x03' }),
      ],
      30,
    );
    const rows = await store.db
      .selectFrom('inputs')
      .select(['log_index', 'channel'])
      .orderBy('log_index')
      .execute();
    expect(rows.map((r) => r.channel)).toEqual([CH.toLowerCase(), CH.toLowerCase(), null]);
  });

  it('treats a log that an eip155 proof already brought in over HTTP as not fresh', async () => {
    const store = await backend.open();
    const proven = log(4, 2);
    await store.db
      .insertInto('inputs')
      .values({
        key: chainInputKey(proven),
        kind: 'http',
        event: 'Payload',
        body: '{}',
        ts: 1,
        created_at: 1,
      })
      .execute();
    const batch = [log(4, 1), proven, log(4, 3)];
    expect(await recordChainInputs(store.db, 5, 4, 4, batch, 20)).toEqual([log(4, 1), log(4, 3)]);
    const kept = await store.db
      .selectFrom('inputs')
      .select(['kind', 'body'])
      .where('key', '=', chainInputKey(proven))
      .executeTakeFirstOrThrow();
    expect(kept).toEqual({ kind: 'http', body: '{}' });
  });
});
