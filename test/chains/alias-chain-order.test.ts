import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPushArtifacts } from '../../src/contracts/artifacts.js';
import {
  createIpfsGateway,
  type Devnet,
  type DevnetChainInfo,
  devnetChain,
  type IpfsGateway,
  seedDevnet,
  sendContractCall,
  startDevnet,
} from '../../src/devnet/index.js';
import { createStoreChainSink } from '../../src/ingest/chain/sink.js';
import { openStore } from '../../src/store/index.js';
import { indexToHeads } from '../support/devnet-index.js';
import { projectionSnapshot } from '../support/projections.js';
import { testTempDirs } from '../support/temp-dir.js';

/**
 * An opt-in on an alias chain counts for the core channel once both halves of the alias handshake are indexed,
 * whichever chain the node reached first (createMultiChainIndexer indexes all chains in parallel): a from-scratch index
 * does not depend on which chain finished first.
 */

const logger = pino({ level: 'silent' });
let devnet: Devnet;
let gateway: IpfsGateway;
const tempDirs = testTempDirs('push-alias-order-');
let core: DevnetChainInfo;
let alias: DevnetChainInfo;

beforeAll(async () => {
  devnet = await startDevnet({ logger });
  gateway = await createIpfsGateway({ dir: tempDirs.make() });
  core = devnetChain(devnet, 'core');
  alias = devnetChain(devnet, 'alias');
  await seedDevnet(devnet, { ipfs: gateway, logger });
  const artifacts = await loadPushArtifacts();
  // Account #11 opts in to Gamma's alias (#10) on the alias chain, after the handshake.
  await sendContractCall(alias, devnet.accounts[11]!.privateKey, {
    address: alias.comm,
    abi: artifacts.comm.abi,
    functionName: 'subscribe',
    args: [devnet.accounts[10]!.address],
  });
}, 180_000);

afterAll(async () => {
  await devnet?.stop();
  await gateway?.close();
  tempDirs.removeAll();
});

describe('alias-chain opt-ins on a fresh node', () => {
  it('do not depend on which chain is indexed first', async () => {
    const coreFirst = await openStore({ sqlitePath: ':memory:' });
    const aliasFirst = await openStore({ sqlitePath: ':memory:' });
    try {
      await indexToHeads(
        createStoreChainSink({ store: coreFirst, coreChainId: core.chainId, logger }),
        [core, alias],
        {
          logger,
        },
      );
      await indexToHeads(
        createStoreChainSink({ store: aliasFirst, coreChainId: core.chainId, logger }),
        [alias, core],
        {
          logger,
        },
      );
      const a = await projectionSnapshot(coreFirst.db);
      const b = await projectionSnapshot(aliasFirst.db);
      const gamma = a.aliases[0]!.channel;
      const user11 = devnet.accounts[11]!.address.toLowerCase();
      expect(a.subscriptions.find((s) => s.channel === gamma && s.subscriber === user11)?.subscribed).toBe(1);
      expect(b.subscriptions).toEqual(a.subscriptions);
    } finally {
      await coreFirst.close();
      await aliasFirst.close();
    }
  }, 120_000);
});
