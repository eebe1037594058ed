import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPushError } from '../errors.js';
import { indexedTopics } from './abi.js';
import { createChainIndexer } from './indexer.js';
import { createMemorySink } from './memory-sink.js';
import { createRpcClient } from './rpc.js';
import { startTestChain, type TestChain } from './testing/chain.js';
import { NULL, startTamperProxy, type TamperProxy } from './testing/tamper-proxy.js';
import type { Hex, RawLog } from './types.js';

/**
 * A malformed JSON-RPC answer (HTTP 200 with `"result": null` for eth_getLogs, as gateways send when their backend
 * drops the query; logs of blocks that were not asked for; another block than the one asked for) is a failure of that
 * endpoint: retried with backoff, then the next URL is asked. It used to be returned as a success (the endpoint's
 * failure count reset, get-logs.ts threw a TypeError outside the retry loop, and the chain was stuck on the first URL).
 */

const CH = '0x1111111111111111111111111111111111111111';
const silent = pino({ level: 'silent' });
const fast = { backoffBaseMs: 5, backoffMaxMs: 20, random: () => 0.5 };
let tc: TestChain;
let head: number;

beforeAll(async () => {
  tc = await startTestChain();
  await tc.emitters.call('core', 'addChannel', [CH, 2, '0x312b516d41']);
  await tc.emitters.call('comm', 'bulk', [CH, 5n, 3n, 2n, '0x302b']);
  await tc.mine(4);
  head = await tc.blockNumber();
});
afterAll(async () => {
  await tc?.stop();
});

async function withProxy(
  tamper: Parameters<typeof startTamperProxy>[1],
  fn: (p: TamperProxy) => Promise<void>,
) {
  const p = await startTamperProxy(tc.chain.rpcUrl, tamper);
  try {
    await fn(p);
  } finally {
    await p.close();
  }
}

const nullLogs = (call: { method?: string }) => (call.method === 'eth_getLogs' ? NULL : undefined);

const filter = () => ({
  fromBlock: tc.emitters.startBlock,
  toBlock: head,
  address: [tc.emitters.core, tc.emitters.comm] as Hex[],
  topics: [indexedTopics()],
});

describe('malformed RPC answers', () => {
  it('eth_getLogs {"result": null}: fails over to the next URL, and keeps asking that one for logs', async () => {
    await withProxy(nullLogs, async (bad) => {
      // Backoff of the endpoint after one failure: 75 ms; the mark for eth_getLogs lasts 300 ms.
      const rpc = createRpcClient({
        chainId: 31337,
        urls: [bad.url, tc.chain.rpcUrl],
        backoffBaseMs: 100,
        random: () => 0.5,
      });
      const logs = await rpc.getLogs(filter());
      expect(logs).toHaveLength(6);
      expect(bad.calls.eth_getLogs).toBe(1);
      // Headers come from the first URL again once its cooldown is over, but it is not asked for logs while marked.
      await new Promise((r) => setTimeout(r, 100));
      await rpc.getBlock(1);
      expect(await rpc.getLogs(filter())).toHaveLength(6);
      expect(bad.calls.eth_getLogs).toBe(1);
      expect(bad.calls.eth_getBlockByNumber).toBe(1);
    });
  });

  it('fails with PUSH_ERR_RPC_ERROR (details.malformed) when every URL answers malformed', async () => {
    await withProxy(nullLogs, async (bad) => {
      const rpc = createRpcClient({ chainId: 31337, urls: [bad.url], maxAttempts: 3, ...fast });
      const err = await rpc.getLogs(filter()).catch((e: unknown) => e);
      expect(isPushError(err, 'PUSH_ERR_RPC_ERROR')).toBe(true);
      expect(isPushError(err) && err.details).toMatchObject({ malformed: true, method: 'eth_getLogs' });
      expect((err as Error).message).toMatch(/malformed eth_getLogs result/);
      expect(bad.calls.eth_getLogs).toBe(3);
    });
  });

  it('refuses logs outside the asked range and a block other than the asked one', async () => {
    let extra: RawLog[] = [];
    await withProxy(
      (call, result) => {
        if (call.method === 'eth_getLogs') return [...(result as RawLog[]), ...extra];
        if (call.method === 'eth_getBlockByNumber' && call.params?.[0] === '0x1') {
          return { ...(result as object), number: '0x2' };
        }
        return undefined;
      },
      async (bad) => {
        extra = await createRpcClient({ chainId: 31337, urls: [tc.chain.rpcUrl] }).getLogs({
          ...filter(),
          fromBlock: head - 5,
          toBlock: head,
        });
        expect(extra.length).toBeGreaterThan(0);
        const rpc = createRpcClient({ chainId: 31337, urls: [bad.url, tc.chain.rpcUrl], ...fast });
        const early = { ...filter(), toBlock: head - 6 };
        expect(await rpc.getLogs(early)).toEqual(
          await createRpcClient({ chainId: 31337, urls: [tc.chain.rpcUrl] }).getLogs(early),
        );
        expect(bad.calls.eth_getLogs).toBe(1);
        expect((await rpc.getBlock(1))?.number).toBe(1);
        expect(bad.calls.eth_getBlockByNumber).toBe(1);
        // Also inside a JSON-RPC batch: the bad entry is asked again alone, from the other URL.
        const blocks = await rpc.getBlocks([1, 2, 3]);
        expect(blocks.map((b) => b?.number)).toEqual([1, 2, 3]);
      },
    );
  });

  it('a malformed eth_chainId answer is a failure of the endpoint, not a chain id mismatch', async () => {
    await withProxy(
      (call) => (call.method === 'eth_chainId' ? NULL : undefined),
      async (bad) => {
        const rpc = createRpcClient({ chainId: 31337, urls: [bad.url, tc.chain.rpcUrl], ...fast });
        expect(await rpc.blockNumber()).toBe(await tc.blockNumber());
        expect(rpc.endpoints().map((e) => e.chainIdVerified)).toEqual([false, true]);
      },
    );
  });

  it('the indexer fails over to the healthy second RPC URL instead of stalling the chain', async () => {
    await withProxy(nullLogs, async (bad) => {
      const sink = createMemorySink();
      const ix = createChainIndexer({
        spec: tc.spec({ rpcUrls: [bad.url, tc.chain.rpcUrl], finalityDepth: 2, blockTimeMs: 200 }),
        sink,
        logger: silent,
        registry: new Registry(),
        progress: 'off',
        pollMs: 25,
        retryBaseMs: 20,
        retryMaxMs: 100,
      });
      await ix.start();
      const synced = await Promise.race([
        ix.whenSynced(head).then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 5_000)),
      ]);
      const status = ix.status();
      await ix.stop();
      // Before the fix: never synced; status.error was PUSH_ERR_INTERNAL ("Cannot read properties of null").
      expect(status.error).toBeUndefined();
      expect(synced).toBe(true);
      expect(sink.logs(31337).length).toBe(6);
    });
  }, 60_000);
});
