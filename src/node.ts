import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type HealthReport, registerSystemRoutes } from './api/routes/system.js';
import { createApiServer, listen } from './api/server.js';
import { createMultiChainIndexer, type MultiChainIndexer } from './chains/indexer.js';
import type { ChainSpec } from './chains/types.js';
import type { ChainConfig, NodeConfig } from './config/config.js';
import { createStoreChainSink } from './ingest/chain/sink.js';
import { createLogger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { openStore, type Store } from './store/index.js';
import { VERSION } from './version.js';

export interface PushNode {
  config: NodeConfig;
  logger: Logger;
  metrics: Metrics;
  store: Store;
  app: FastifyInstance;
  /** Null when no chain is configured or indexing is disabled. */
  indexer: MultiChainIndexer | null;
  /** The base URL the node listens on (known after start). */
  url: string;
  health(): HealthReport;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface CreateNodeOptions {
  logger?: Logger;
  /** Postgres schema to use (tests). */
  databaseSchema?: string;
}

function chainSpec(c: ChainConfig): ChainSpec {
  return {
    chainId: c.chainId,
    name: c.name,
    rpcUrls: c.rpcUrls,
    wsUrls: c.wsUrls,
    ...(c.core ? { core: c.core } : {}),
    comm: c.comm,
    startBlock: c.startBlock,
    finalityDepth: c.finalityDepth,
    blockTimeMs: c.blockTimeMs,
    ...(c.maxBlockRange !== undefined ? { maxBlockRange: c.maxBlockRange } : {}),
  };
}

/**
 * The composition root: wires store, API and (when configured) chain indexers. `start` opens the store first so a
 * bad database fails before the port is taken; `stop` stops taking requests, lets in-flight ones finish, then closes
 * the store.
 */
export async function createNode(config: NodeConfig, opts: CreateNodeOptions = {}): Promise<PushNode> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const startedAt = Date.now();
  const store = await openStore({
    databaseUrl: config.database.url,
    dataDir: config.dataDir,
    createDataDir: !config.dataDirExplicit,
    schema: opts.databaseSchema,
    poolSize: config.database.poolSize,
    logger,
  });

  const app = createApiServer({ config, logger, metrics });

  const indexer =
    config.indexer.enabled && config.chains.length > 0
      ? createMultiChainIndexer(config.chains.map(chainSpec), {
          sink: createStoreChainSink({ store, coreChainId: config.coreChainId, logger }),
          logger: logger.child({ component: 'indexer' }),
          registry: metrics.registry,
        })
      : null;

  const health = (): HealthReport => {
    const chains = indexer?.status() ?? [];
    return {
      status: chains.every((c) => c.healthy) ? 'ok' : 'degraded',
      version: VERSION,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      store: { backend: store.dialect, location: store.location },
      chains,
      disabledChains: config.disabledChains,
    };
  };
  registerSystemRoutes(app, { health, registry: metrics.registry });

  let stopped = false;
  const node: PushNode = {
    config,
    logger,
    metrics,
    store,
    app,
    indexer,
    url: '',
    health,
    async start() {
      try {
        node.url = await listen(app, config.host, config.port);
      } catch (err) {
        await store.close();
        throw err;
      }
      metrics.up.set(1);
      logger.info({ url: node.url, store: store.dialect, version: VERSION }, 'push node listening');
      // Chains are followed in the background: an RPC that is down makes the node degraded, not dead.
      if (indexer) {
        await indexer.start().catch(async (err) => {
          await app.close();
          await store.close();
          throw err;
        });
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      metrics.up.set(0);
      await app.close();
      await indexer?.stop();
      await store.close();
      logger.info('push node stopped');
    },
  };
  return node;
}
