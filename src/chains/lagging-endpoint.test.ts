import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChainIndexer } from './indexer.js';
import { createMemorySink } from './memory-sink.js';
import { createRpcClient, type RpcClient } from './rpc.js';
import { startTestChain, type TestChain } from './testing/chain.js';

/**
 * An RPC endpoint that is behind the chain (a failover URL, or one backend of a load-balanced provider) reports a
 * lower head and answers `null` for the blocks it does not have yet. That is not a reorg: follow.ts used to treat a
 * missing block as "not canonical", so behind by more than finalityDepth the chain was stopped for good with
 * PUSH_ERR_REORG_TOO_DEEP, and behind by less the indexer rolled back (and re-applied) blocks never reorged.
 */

const CH = '0x1111111111111111111111111111111111111111';
const silent = pino({ level: 'silent' });
let tc: TestChain;
let salt = 1000n;

beforeAll(async () => {
  tc = await startTestChain();
  await tc.emitters.call('core', 'addChannel', [CH, 2, '0x312b516d41']);
  await tc.mine(3);
});
afterAll(async () => {
  await tc?.stop();
});

async function block() {
  salt++;
  await tc.emitters.call('comm', 'bulk', [CH, salt, 2n, 1n, '0x302b']);
}

/** The real endpoint, but while `lag` is set it acts like a node `lag` blocks behind the chain. */
function laggingRpc() {
  const inner = createRpcClient({ chainId: 31337, urls: [tc.chain.rpcUrl] });
  let lagTop: number | null = null;
  const rpc: RpcClient = {
    ...inner,
    async blockNumber(opts) {
      const n = await inner.blockNumber(opts);
      return lagTop === null ? n : Math.min(n, lagTop);
    },
    async getBlock(tag, opts) {
      if (lagTop !== null) {
        if (tag === 'latest' || tag === 'finalized') return inner.getBlock(lagTop, opts);
        if (tag > lagTop) return null;
      }
      return inner.getBlock(tag, opts);
    },
    async getBlocks(numbers, opts) {
      const out = await inner.getBlocks(numbers, opts);
      return out.map((b, i) => (lagTop !== null && numbers[i]! > lagTop ? null : b));
    },
  };
  return {
    rpc,
    async lagBy(n: number) {
      lagTop = (await inner.blockNumber()) - n;
    },
    catchUp() {
      lagTop = null;
    },
  };
}

function indexer(rpc: RpcClient, sink = createMemorySink()) {
  const ix = createChainIndexer({
    spec: tc.spec({ finalityDepth: 3, blockTimeMs: 200 }),
    sink,
    rpc,
    logger: silent,
    registry: new Registry(),
    progress: 'off',
    pollMs: 25,
    retryBaseMs: 20,
  });
  return { ix, sink };
}

describe('an RPC endpoint whose head is behind what was already indexed', () => {
  it('is not a reorg deeper than finalityDepth: the chain keeps running once the endpoint catches up', async () => {
    const lag = laggingRpc();
    const { ix, sink } = indexer(lag.rpc);
    await ix.start();
    for (let i = 0; i < 6; i++) await block();
    await ix.whenSynced(await tc.blockNumber());
    // The endpoint now answers from a node 6 blocks behind (finalityDepth is 3) for about a second.
    await lag.lagBy(6);
    await new Promise((r) => setTimeout(r, 1_000));
    lag.catchUp();
    await block();
    await new Promise((r) => setTimeout(r, 1_000));
    const status = ix.status();
    await ix.stop();
    // Before the fix: phase 'failed' with PUSH_ERR_REORG_TOO_DEEP, and the chain was never indexed again.
    expect(status.error?.code).not.toBe('PUSH_ERR_REORG_TOO_DEEP');
    expect(status.phase).toBe('live');
    expect(sink.stats.rollbacks).toBe(0);
  }, 60_000);

  it('does not roll back blocks that were never reorged when the endpoint is a little behind', async () => {
    const lag = laggingRpc();
    const { ix, sink } = indexer(lag.rpc);
    await ix.start();
    for (let i = 0; i < 4; i++) await block();
    await ix.whenSynced(await tc.blockNumber());
    await lag.lagBy(2);
    await new Promise((r) => setTimeout(r, 1_000));
    lag.catchUp();
    await block();
    await ix.whenSynced(await tc.blockNumber());
    await ix.stop();
    // Before the fix: the indexer "rolled back" the two canonical blocks it could not see and re-applied them (with the
    // store sink that deletes and re-admits their notifications, publishing them to sockets a second time).
    expect(sink.stats.rollbacks).toBe(0);
  }, 60_000);
});
