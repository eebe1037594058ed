import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type HealthReport, registerSystemRoutes } from './api/routes/system.js';
import { createApiServer, listen } from './api/server.js';
import type { NodeConfig } from './config/config.js';
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

  const health = (): HealthReport => ({
    status: 'ok',
    version: VERSION,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    store: { backend: store.dialect, location: store.location },
    chains: [],
    disabledChains: config.disabledChains,
  });
  registerSystemRoutes(app, { health, registry: metrics.registry });

  let stopped = false;
  const node: PushNode = {
    config,
    logger,
    metrics,
    store,
    app,
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
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      metrics.up.set(0);
      await app.close();
      await store.close();
      logger.info('push node stopped');
    },
  };
  return node;
}
