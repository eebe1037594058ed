import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexedTopics } from '../../src/chains/abi.js';
import { createLogFetcher } from '../../src/chains/get-logs.js';
import { createChainIndexer } from '../../src/chains/indexer.js';
import { createRpcClient, type RpcClient } from '../../src/chains/rpc.js';
import { startTestChain, type TestChain } from '../../src/chains/testing/chain.js';
import { referenceIndex } from '../../src/chains/testing/reference.js';
import { startTamperProxy } from '../../src/chains/testing/tamper-proxy.js';
import type { ChainLog, Hex, RawLog } from '../../src/chains/types.js';
import { recordChainInputs } from '../../src/ingest/chain/inputs.js';
import { createStoreChainSink } from '../../src/ingest/chain/sink.js';
import { openStore, type Store } from '../../src/store/index.js';
import { storeBackends } from '../support/store-backends.js';

/**
 * eth_getLogs answers with logs outside the asked range (some load-balanced providers and buggy proxies send them).
 * Applied, a log of a later block lands in an earlier batch, out of (block, logIndex) order, and is recorded as an
 * input: when its own range comes it is "not fresh" and skipped (an UpdateChannel applied before its AddChannel is
 * lost). An earlier log arriving again was applied twice: recordChainInputs only looked for existing keys inside the
 * batch's blocks. Now such an answer is refused like any malformed one (retried, then the next URL asked), and
 * recordChainInputs treats any key that exists as seen, whatever block it was recorded at.
 */

const CH = '0x2222222222222222222222222222222222222222';
const CID_A = '1+bafkreiew62r5kmzdtupqw4sjubmjhkb5cyqvtbb27dq7t3wxhkuufqpl4a';
const CID_B = '1+bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4';
const silent = pino({ level: 'silent' });
let tc: TestChain;
let addBlock: number;

const hex = (s: string) => `0x${Buffer.from(s, 'utf8').toString('hex')}` as const;

beforeAll(async () => {
  tc = await startTestChain();
  await tc.mine(2);
  await tc.emitters.call('core', 'addChannel', [CH, 2, hex(CID_A)]);
  addBlock = await tc.blockNumber();
  await tc.emitters.call('core', 'updateChannelV2', [CH, hex(CID_B), 1n]);
  await tc.mine(4);
});
afterAll(async () => {
  await tc?.stop();
});

const channels = (s: Store) => s.db.selectFrom('channels').select(['channel', 'identity', 'state']).execute();

async function index(store: Store, opts: { urls?: string[]; rpc?: RpcClient; until?: number } = {}) {
  const ix = createChainIndexer({
    spec: tc.spec({
      finalityDepth: 2,
      maxBlockRange: 1,
      blockTimeMs: 200,
      ...(opts.urls ? { rpcUrls: opts.urls } : {}),
    }),
    sink: createStoreChainSink({ store, coreChainId: 31337, logger: silent }),
    logger: silent,
    registry: new Registry(),
    progress: 'off',
    initialRange: 1,
    pollMs: 25,
    retryBaseMs: 20,
    retryMaxMs: 100,
    rpcOptions: { backoffBaseMs: 5, backoffMaxMs: 20, maxAttempts: 3 },
    ...(opts.rpc ? { rpc: opts.rpc } : {}),
  });
  await ix.start();
  await ix.whenSynced(opts.until ?? (await tc.blockNumber()));
  return ix;
}

/** Logs of `block`, as eth_getLogs returns them. */
async function rawLogsOf(block: number): Promise<RawLog[]> {
  return tc.rpc<RawLog[]>('eth_getLogs', [
    {
      fromBlock: `0x${block.toString(16)}`,
      toBlock: `0x${block.toString(16)}`,
      address: [tc.emitters.core, tc.emitters.comm],
      topics: [indexedTopics()],
    },
  ]);
}

/** A proxy whose eth_getLogs of the range ending just before the AddChannel also returns the UpdateChannel. */
async function leakyProxy() {
  const extra = await rawLogsOf(addBlock + 1);
  expect(extra).toHaveLength(1);
  return startTamperProxy(tc.chain.rpcUrl, (call, result) => {
    if (call.method !== 'eth_getLogs') return undefined;
    const f = call.params?.[0] as { toBlock?: string };
    return f.toBlock === `0x${(addBlock - 1).toString(16)}` ? [...(result as RawLog[]), ...extra] : undefined;
  });
}

describe('eth_getLogs answers with logs outside the asked range', () => {
  it('are refused and fetched from the next URL: a later UpdateChannel is not applied before its AddChannel', async () => {
    expect(addBlock).toBeGreaterThan(tc.emitters.startBlock);
    const fresh = await openStore({ sqlitePath: ':memory:' });
    const leaky = await openStore({ sqlitePath: ':memory:' });
    const proxy = await leakyProxy();
    try {
      await (await index(fresh)).stop();
      expect(await channels(fresh)).toEqual([{ channel: CH, identity: CID_B, state: 1 }]);
      await (await index(leaky, { urls: [proxy.url, tc.chain.rpcUrl] })).stop();
      // Before the fix: identity CID_A (the UpdateChannel was applied before the channel existed, then skipped).
      expect(await channels(leaky)).toEqual(await channels(fresh));
    } finally {
      await proxy.close();
      await fresh.close();
      await leaky.close();
    }
  }, 60_000);

  it('with no other URL, the chain stops before that range (PUSH_ERR_RPC_ERROR) and applies nothing of it', async () => {
    const store = await openStore({ sqlitePath: ':memory:' });
    const proxy = await leakyProxy();
    try {
      const ix = await index(store, { urls: [proxy.url], until: addBlock - 2 });
      // The refused range is retried with backoff: wait for the error to be recorded, not for a fixed time.
      for (let i = 0; i < 400 && !ix.status().error; i++) await new Promise((r) => setTimeout(r, 50));
      const status = ix.status();
      await ix.stop();
      expect(status.synced).toBe(addBlock - 2);
      expect(status.error?.code).toBe('PUSH_ERR_RPC_ERROR');
      expect(status.error?.message).toMatch(/outside the asked range/);
      expect(await channels(store)).toEqual([]);
      expect(await store.db.selectFrom('inputs').select('key').execute()).toEqual([]);
    } finally {
      await proxy.close();
      await store.close();
    }
  }, 60_000);

  it('the log fetcher refuses them from any RpcClient, not only the HTTP one', async () => {
    const inner = createRpcClient({ chainId: 31337, urls: [tc.chain.rpcUrl] });
    const extra = await rawLogsOf(addBlock + 1);
    const rpc: RpcClient = {
      ...inner,
      async getLogs(filter, opts) {
        return [...(await inner.getLogs(filter, opts)), ...extra];
      },
    };
    const fetcher = createLogFetcher({
      rpc,
      addresses: [tc.emitters.core, tc.emitters.comm] as Hex[],
      topics: indexedTopics(),
    });
    const err = await fetcher.getLogs(addBlock - 1, addBlock).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PUSH_ERR_RPC_ERROR', details: { malformed: true } });
  });

  it('an AddChannel applied again in a later batch does not reset the channel (the store sink)', async () => {
    const store = await openStore({ sqlitePath: ':memory:' });
    try {
      const head = await tc.blockNumber();
      const logs = await referenceIndex({
        rpcUrl: tc.chain.rpcUrl,
        chainId: 31337,
        core: tc.emitters.core,
        comm: tc.emitters.comm,
        fromBlock: tc.emitters.startBlock,
        toBlock: head,
      });
      const sink = createStoreChainSink({ store, coreChainId: 31337, logger: silent });
      const batch = (fromBlock: number, toBlock: number, ls: ChainLog[]) => ({
        fromBlock,
        toBlock,
        logs: ls,
        blocks: [],
        finalizedBlock: head,
      });
      const upTo = (n: number) => logs.filter((l) => l.blockNumber <= n);
      await sink.apply(31337, batch(tc.emitters.startBlock, addBlock + 1, upTo(addBlock + 1)));
      const before = await store.db.selectFrom('inputs').select('key').orderBy('key').execute();
      expect(await channels(store)).toEqual([{ channel: CH, identity: CID_B, state: 1 }]);
      const add = logs.filter((l) => l.blockNumber === addBlock);
      expect(add.map((l) => l.event)).toEqual(['AddChannel']);
      await sink.apply(31337, batch(addBlock + 2, head, add));
      // Before the fix: the AddChannel was "fresh" again and rewrote the row (identity back to CID_A).
      expect(await channels(store)).toEqual([{ channel: CH, identity: CID_B, state: 1 }]);
      expect(await store.db.selectFrom('inputs').select('key').orderBy('key').execute()).toEqual(before);
    } finally {
      await store.close();
    }
  }, 60_000);
});

const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex;
const log = (block: number, logIndex: number, blockHash = hash(block)): ChainLog => ({
  chainId: 5,
  blockNumber: block,
  blockHash,
  logIndex,
  txHash: hash(1000 + block),
  txIndex: 0,
  address: '0x00000000000000000000000000000000000000cc',
  contract: 'comm',
  event: 'SendNotification',
  args: { channel: '0x01', recipient: '0x02', identity: '0+1+t+b' },
  timestamp: 1_700_000_000 + block,
  topic0: hash(9),
});

describe.each(storeBackends())(
  'recordChainInputs with keys recorded at other blocks, on $name',
  (backend) => {
    afterAll(() => backend.cleanup());

    it('returns as fresh only the logs it wrote, whatever block an existing key was recorded at', async () => {
      const store = await backend.open();
      expect(await recordChainInputs(store.db, 5, 1, 2, [log(1, 0), log(2, 0)], 10)).toHaveLength(2);
      // A log of block 1 again, in a batch of blocks 5..6, next to new ones.
      expect(await recordChainInputs(store.db, 5, 5, 6, [log(1, 0), log(5, 0), log(6, 0)], 11)).toEqual([
        log(5, 0),
        log(6, 0),
      ]);
      // The same key (block hash, log index) misreported at another block number is the same input.
      expect(await recordChainInputs(store.db, 5, 7, 7, [log(7, 0, hash(2)), log(7, 1)], 12)).toEqual([
        log(7, 1),
      ]);
      const keys = await store.db.selectFrom('inputs').select(['key', 'block_number']).execute();
      expect(keys).toHaveLength(5);
    });
  },
);
