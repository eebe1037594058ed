/**
 * What the SDK suites in test/sdk share: the devnet with its IPFS gateway and seed, indexed into an in-memory store,
 * the channels named, and a node (admission, API, realtime) on localhost for the unmodified Push SDK with
 * `env: 'local'`. Vitest hooks cannot be registered from inside `beforeAll`, so each file makes the fixture at its
 * top level and registers its own hooks: `beforeAll(() => node.start(), 180_000)`, `afterAll(() => node.close())`.
 */
import { createRequire } from 'node:module';
import { CONSTANTS } from '@pushprotocol/restapi';
import { Wallet } from 'ethers';
import type { FastifyInstance } from 'fastify';
import { getAddress } from 'viem';
import {
  createIpfsGateway,
  type Devnet,
  devnetChain,
  findFreePort,
  type IpfsGateway,
  type SeedResult,
  seedDevnet,
  startDevnet,
} from '../../src/devnet/index.js';
import type { Admission } from '../../src/ingest/admission/index.js';
import { createStoreChainSink } from '../../src/ingest/chain/sink.js';
import type { Realtime } from '../../src/realtime/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { testAdmission } from '../admission/support.js';
import { logger, testPushApp } from '../api/fixtures.js';
import { indexToHeads } from '../support/devnet-index.js';
import { testTempDirs } from '../support/temp-dir.js';

export const ENV = CONSTANTS.ENV.LOCAL;
export const CORE = 11155111;

// biome-ignore lint/suspicious/noExplicitAny: the SDK's config objects are untyped CommonJS.
type Any = any;
const require = createRequire(import.meta.url);

export const caip = (a: string, chain = CORE) => `eip155:${chain}:${getAddress(a)}`;

/** Polls `get` every 25 ms until it gives a value; throws after `ms`. */
export async function until<T>(get: () => T | undefined, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Moves the SDK's LOCAL base URL (sdk-api-contract.md §1.1, option 2): API_BASE_URL.local, every
 * CONFIG.local[...].API_BASE_URL, CORE_CONFIG.local.API_BASE_URL and the socket package's API_URLS.local. Nothing
 * else of the SDK is touched.
 */
export function pointSdkAt(origin: string) {
  const restConfig = require('@pushprotocol/restapi/src/lib/config') as Any;
  const socketConfig = require('@pushprotocol/socket/src/lib/config') as Any;
  const old = restConfig.API_BASE_URL.local as string;
  const base = `${origin}/apis`;
  restConfig.API_BASE_URL.local = base;
  for (const entry of Object.values(restConfig.default.local) as Any[]) {
    if (entry.API_BASE_URL === old) entry.API_BASE_URL = base;
  }
  if (restConfig.CORE_CONFIG?.local) restConfig.CORE_CONFIG.local.API_BASE_URL = base;
  socketConfig.API_URLS.local = origin;
}

export interface SdkNodeOptions {
  /**
   * 4000: the SDK's fixed LOCAL base URL, which stays as the SDK has it (one such node per file at a time). Omitted:
   * a free port, and the SDK's LOCAL base URL is moved there (`pointSdkAt`), so the file can run beside another.
   */
  port?: number;
  /** Tags per seeded channel key, written with the names; omitted: the channels' tags are left as indexed. */
  tags?: Record<string, string[]>;
  /** Prefix of the IPFS gateway's temp directory. */
  tempPrefix?: string;
}

export interface SdkNode {
  /** Starts everything; for `beforeAll` (give it 180 s). */
  start(): Promise<void>;
  /** Stops what `start` started; for `afterAll`. */
  close(): Promise<void>;
  readonly devnet: Devnet;
  readonly seed: SeedResult;
  readonly store: Store;
  readonly app: FastifyInstance;
  /** The node's origin, `http://localhost:<port>`. */
  readonly origin: string;
  wallet(i: number): Wallet;
  address(i: number): `0x${string}`;
  alpha(): SeedResult['channels'][number];
  beta(): SeedResult['channels'][number];
  gamma(): SeedResult['channels'][number];
}

export function sdkNode(options: SdkNodeOptions = {}): SdkNode {
  const tempDirs = testTempDirs(options.tempPrefix ?? 'push-sdk-ipfs-');
  let devnet: Devnet | undefined;
  let gateway: IpfsGateway | undefined;
  let seed: SeedResult | undefined;
  let store: Store | undefined;
  let app: FastifyInstance | undefined;
  let admission: Admission | undefined;
  let realtime: Realtime | undefined;
  let origin: string | undefined;
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the SDK node is not started (beforeAll(() => node.start()))');
    return v;
  };
  const channel = (key: string) => started(seed).channels.find((c) => c.key === key)!;

  return {
    async start() {
      devnet = await startDevnet({ logger });
      gateway = await createIpfsGateway({ dir: tempDirs.make() });
      const core = devnetChain(devnet, 'core');
      const alias = devnetChain(devnet, 'alias');
      seed = await seedDevnet(devnet, { ipfs: gateway, logger });
      store = await openStore({ sqlitePath: ':memory:' });
      await indexToHeads(createStoreChainSink({ store, coreChainId: CORE, logger }), [core, alias], {
        logger,
        finalityDepth: 0,
      });
      // Hardhat gives every block a later second than the last, so a fast seed leaves block time ahead of the wall
      // clock; off-chain sends are stamped with receipt time, and an opt-in counts from its block time. Let the wall
      // clock catch up, or a broadcast sent now would predate the seeded opt-ins.
      const heads = await Promise.all(
        [core, alias].map(async (c) => {
          const res = await fetch(c.rpcUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              jsonrpc: '2.0',
              id: 1,
              method: 'eth_getBlockByNumber',
              params: ['latest', false],
            }),
          });
          return Number(((await res.json()) as { result: { timestamp: string } }).result.timestamp) * 1000;
        }),
      );
      const wait = Math.max(...heads) + 1000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // The metadata worker is not part of these tests: give the channels their names (and tags) directly.
      for (const c of seed.channels) {
        const tags = options.tags?.[c.key];
        await store.db
          .updateTable('channels')
          .set({
            name: `SDK ${c.key}`,
            url: `https://${c.key}.example`,
            ...(options.tags ? { tags: JSON.stringify(tags) } : {}),
            metadata_status: 'ok',
          })
          .where('channel', '=', c.channel.toLowerCase())
          .execute();
      }
      const fixture = testAdmission(store, {
        coreChainId: CORE,
        chains: [core, alias].map((c) => ({ chainId: c.chainId, comm: c.comm, rpcUrls: [c.rpcUrl] })),
      });
      admission = fixture.admission;
      const port = options.port ?? (await findFreePort());
      origin = `http://localhost:${port}`;
      ({ app, realtime } = testPushApp({
        store,
        bus: fixture.bus,
        admission,
        config: { coreChainId: CORE, publicUrl: origin, api: { maxPageSize: 100 } },
      }));
      await app.listen({ host: 'localhost', port });
      if (options.port === undefined) pointSdkAt(origin);
    },

    async close() {
      await realtime?.close();
      await app?.close();
      await admission?.stop();
      await store?.close();
      await devnet?.stop();
      await gateway?.close();
      tempDirs.removeAll();
    },

    get devnet() {
      return started(devnet);
    },
    get seed() {
      return started(seed);
    },
    get store() {
      return started(store);
    },
    get app() {
      return started(app);
    },
    get origin() {
      return started(origin);
    },
    wallet: (i) => new Wallet(started(devnet).accounts[i]!.privateKey),
    address: (i) => getAddress(started(devnet).accounts[i]!.address),
    alpha: () => channel('alpha'),
    beta: () => channel('beta'),
    gamma: () => channel('gamma'),
  };
}
