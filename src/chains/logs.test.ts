import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRpcProxy } from '../../test/support/rpc-proxy.js';
import { findFreePort } from '../devnet/free-port.js';
import { decodeLogs } from './batch.js';
import { createLogDecoder } from './decode.js';
import { createChainIndexer } from './indexer.js';
import { partLogger } from './log.js';
import { createMemorySink } from './memory-sink.js';
import { startTestChain, type TestChain } from './testing/chain.js';
import { captureLogs, repeatedKeys, topLevelKeys } from './testing/log-capture.js';
import type { RawLog } from './types.js';

/**
 * The node gives the indexer `logger.child({component: 'indexer'})`; its parts used to add `component` (and `chainId`)
 * again, so JSON lines read `"component":"indexer",…,"chainId":11155111,"component":"heads"`. Each key once per line.
 */

let tc: TestChain;
beforeAll(async () => {
  tc = await startTestChain();
  await tc.emitters.call('core', 'addChannel', [
    '0x1111111111111111111111111111111111111111',
    2,
    '0x312b516d41',
  ]);
  await tc.mine(12);
});
afterAll(async () => {
  await tc?.stop();
});

describe('chain indexer log lines', () => {
  it('has each key once per line, the sub-part under `part`', async () => {
    const logs = captureLogs('debug');
    // A dead first RPC URL (rpc lines), a proxy refusing wide eth_getLogs ranges (get-logs lines), a dead WebSocket
    // URL (heads lines) and progress lines.
    const dead = `http://127.0.0.1:${await findFreePort()}`;
    const proxy = await startRpcProxy({ target: tc.chain.rpcUrl, maxRange: 2 });
    try {
      const ix = createChainIndexer({
        spec: tc.spec({
          finalityDepth: 2,
          blockTimeMs: 200,
          rpcUrls: [dead, proxy.url],
          wsUrls: [`ws://127.0.0.1:${await findFreePort()}`],
        }),
        sink: createMemorySink(),
        logger: logs.logger.child({ component: 'indexer' }),
        registry: new Registry(),
        progress: 'log',
        progressMinBlocks: 1,
        initialRange: 10,
        pollMs: 25,
        retryBaseMs: 20,
        rpcOptions: { backoffBaseMs: 5, backoffMaxMs: 20 },
      });
      await ix.start();
      await ix.whenSynced(await tc.blockNumber());
      await new Promise((r) => setTimeout(r, 300));
      await ix.stop();
    } finally {
      await proxy.close();
    }
    // Before the fix: component and chainId twice on every rpc/heads/get-logs line, chainId twice on progress lines.
    const repeated = logs.raw
      .map((l) => ({ line: l, keys: repeatedKeys(l) }))
      .filter((r) => r.keys.length > 0);
    expect(repeated).toEqual([]);
    const lines = logs.lines();
    const parts = new Set(lines.map((l) => l.part));
    expect(parts).toContain('rpc');
    expect(parts).toContain('get-logs');
    expect(parts).toContain('heads');
    expect(lines.some((l) => l.msg === 'backfill done')).toBe(true);
    for (const l of lines) expect(l).toMatchObject({ component: 'indexer', chainId: 31337 });
  }, 60_000);

  it('nested parts and fields the logger already binds are not repeated', () => {
    const logs = captureLogs('debug');
    const chain = logs.logger.child({ component: 'indexer' }).child({ chainId: 1, chain: 'one' });
    const rpc = partLogger(chain, 'rpc', { chainId: 1 });
    partLogger(rpc, 'inner', { chainId: 1 }).info('x');
    // An undecodable log is reported with its chain id, which a chain's logger already has.
    const raw: RawLog = {
      address: '0x0000000000000000000000000000000000000001',
      topics: ['0x0000000000000000000000000000000000000000000000000000000000000000'],
      data: '0x',
      blockNumber: '0x1',
      blockHash: `0x${'11'.repeat(32)}`,
      transactionHash: `0x${'22'.repeat(32)}`,
      transactionIndex: '0x0',
      logIndex: '0x0',
      blockTimestamp: '0x1',
    };
    const decoder = createLogDecoder({ chainId: 1, comm: '0x0000000000000000000000000000000000000001' });
    decodeLogs({ chainId: 1, raw: [raw], headers: new Map(), decoder, logger: rpc });
    decodeLogs({ chainId: 1, raw: [raw], headers: new Map(), decoder, logger: logs.logger });
    expect(logs.raw).toHaveLength(3);
    for (const l of logs.raw) expect(repeatedKeys(l)).toEqual([]);
    expect(topLevelKeys(logs.raw[0]!)).toEqual(
      expect.arrayContaining(['component', 'chainId', 'chain', 'part', 'msg']),
    );
    expect(JSON.parse(logs.raw[0]!).part).toBe('rpc');
    expect(JSON.parse(logs.raw[2]!).chainId).toBe(1);
  });
});
