import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerPushRoutes } from './api/routes/index.js';
import { type HealthReport, registerSystemRoutes } from './api/routes/system.js';
import { createApiServer, listen } from './api/server.js';
import { createMultiChainIndexer, type MultiChainIndexer } from './chains/indexer.js';
import { createAddressMatcher } from './config/address-list.js';
import type { NodeConfig } from './config/config.js';
import { createIpfsClient } from './content/ipfs.js';
import { createSubgraphClient } from './content/subgraph.js';
import { type Admission, createAdmission, createBus } from './ingest/admission/index.js';
import { createStoreChainSink } from './ingest/chain/sink.js';
import { createChannelMetadataWorker } from './ingest/channel-metadata.js';
import { createVerifierPool } from './ingest/verify/index.js';
import { createLogger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { createRealtime, createStoredMissedLoader, type Realtime } from './realtime/index.js';
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
  admission: Admission;
  realtime: Realtime;
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
    preparedStatements: config.database.preparedStatements,
    logger,
  });

  const app = createApiServer({ config, logger, metrics });

  const ipfs = createIpfsClient({
    gateways: config.ipfs.gateways,
    timeoutMs: config.ipfs.timeoutMs,
    maxBytes: 5 * 1024 * 1024,
    logger,
    registry: metrics.registry,
  });
  const subgraph = config.subgraph.url
    ? createSubgraphClient({
        baseUrl: config.subgraph.url,
        timeoutMs: config.subgraph.timeoutMs,
        logger,
        registry: metrics.registry,
      })
    : null;
  const bus = createBus();
  const verifier = createVerifierPool({ logger, registry: metrics.registry });
  const admission = createAdmission({
    store,
    coreChainId: config.coreChainId,
    chains: config.chains,
    verifier,
    ...(config.ipfs.gateways.length ? { ipfs } : {}),
    ...(subgraph ? { subgraph } : {}),
    bus,
    publicUrl: config.publicUrl,
    limits: config.admission,
    logger: logger.child({ component: 'admission' }),
    registry: metrics.registry,
  });
  const realtime = createRealtime({
    server: app.server,
    bus,
    store,
    logger,
    registry: metrics.registry,
    missed: createStoredMissedLoader(store.read),
    deliveryAllowed: createAddressMatcher(config.api.deliveryNodes),
    ...(config.redis.url ? { redisUrl: config.redis.url } : {}),
  });
  registerPushRoutes(app, {
    store,
    config,
    admission,
    onSubscription: (change) => realtime.noteSubscription(change),
  });

  const indexer =
    config.indexer.enabled && config.chains.length > 0
      ? createMultiChainIndexer(config.chains, {
          sink: createStoreChainSink({
            store,
            coreChainId: config.coreChainId,
            logger,
            onSubscriptions: (rows) => {
              for (const r of rows) realtime.noteSubscription(r);
            },
            notifications: admission.chainDoor,
          }),
          logger: logger.child({ component: 'indexer' }),
          registry: metrics.registry,
        })
      : null;

  const metadataWorker =
    config.ipfs.gateways.length > 0
      ? createChannelMetadataWorker({
          store,
          ipfs,
          publicUrl: config.publicUrl,
          coreChainId: config.coreChainId,
          notifications: admission.chainDoor,
          onSubscriptions: (rows) => {
            for (const r of rows) realtime.noteSubscription(r);
          },
          logger: logger.child({ component: 'channel-metadata' }),
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
  let started = false;
  // Tears everything down once. `startError`: the node never finished starting (it is not "stopped", it failed).
  const shutdown = async (startError?: unknown): Promise<void> => {
    if (stopped) return;
    stopped = true;
    metrics.up.set(0);
    await realtime.close();
    await app.close();
    await indexer?.stop();
    await metadataWorker?.stop();
    await admission.stop();
    await verifier.close();
    await store.close();
    if (startError !== undefined) {
      const e = startError as { code?: string; message?: string };
      logger.warn({ code: e?.code, reason: e?.message ?? String(startError) }, 'push node start failed');
    } else if (started) {
      logger.info('push node stopped');
    } else {
      logger.debug('push node closed before it was started');
    }
  };
  const node: PushNode = {
    config,
    logger,
    metrics,
    store,
    app,
    indexer,
    admission,
    realtime,
    url: '',
    health,
    async start() {
      try {
        node.url = await listen(app, config.host, config.port);
      } catch (err) {
        await shutdown(err);
        throw err;
      }
      started = true;
      await realtime.ready().catch(async (err) => {
        await shutdown(err);
        throw err;
      });
      admission.start();
      metrics.up.set(1);
      logger.info({ url: node.url, store: store.dialect, version: VERSION }, 'push node listening');
      warnAboutConfig(config, logger);
      metadataWorker?.start();
      // Chains are followed in the background: an RPC that is down makes the node degraded, not dead.
      if (indexer) {
        await indexer.start().catch(async (err) => {
          await shutdown(err);
          throw err;
        });
      }
    },
    stop: () => shutdown(),
  };
  return node;
}

/**
 * What an operator should know at start: preset chains left out (and how to enable them), and icon links that will
 * point at 127.0.0.1 because the node listens on every interface but nobody said how the world reaches it.
 */
function warnAboutConfig(config: NodeConfig, logger: Logger): void {
  for (const c of config.disabledChains) {
    // Switched off on purpose (`enabled: false`) is worth a line; left out for want of an RPC URL is worth a warning.
    const level = c.reason === 'disabled in config' ? 'info' : 'warn';
    logger[level](
      { chainId: c.chainId, chain: c.name, reason: c.reason },
      `chain ${c.chainId} (${c.name}) is not indexed: ${c.reason}`,
    );
  }
  if ((config.host === '0.0.0.0' || config.host === '::') && !config.publicUrlExplicit) {
    logger.warn(
      { host: config.host, publicUrl: config.publicUrl },
      `listening on all interfaces (${config.host}) but publicUrl is not set: icon links stored in notifications will point at ${config.publicUrl}; set publicUrl (PUSH_NODE_PUBLIC_URL) to the URL clients reach this node at`,
    );
  }
}
